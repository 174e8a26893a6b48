"""Status entries of credentials issued through the W3C VC API (POST /credentials/issue) and
their changes (POST /credentials/status): entries added, stored by the credential's id, and
shown by the served status list after a change."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from issuer.db import transaction
from issuer.models import AuditEvent, StatusEntry
from issuer.status.lists import decode_list, is_set
from keys.proof_set import verify_proofs
from schemas.elm.vocab import STATUS_LIST_V1, VC_V1
from schemas.jsonld import expand_strict

from .conftest import BASE_URL
from .test_vc_api import LYON, did_of, issue, resolver, v1_credential, v2_credential

CREDENTIAL_ID = "urn:uuid:7d2c4f57-9b1e-4a63-8c0f-2f6c1e1b9a10"


def status_of(client, entry: dict[str, Any]) -> bool:  # type: ignore[no-untyped-def]
    """The bit of ``entry`` in the list the issuer serves."""
    path = entry["statusListCredential"].removeprefix(BASE_URL)
    response = client.get(path)
    assert response.status_code == 200
    subject = json.loads(response.data)["credentialSubject"]
    assert subject["statusPurpose"] == entry["statusPurpose"]
    return is_set(decode_list(subject["encodedList"]), int(entry["statusListIndex"]))


def change(client, headers, **status: Any):  # type: ignore[no-untyped-def]
    body = {
        "credentialId": CREDENTIAL_ID,
        "credentialStatus": {"type": "BitstringStatusListEntry", **status},
    }
    return client.post("/credentials/status", json=body, headers=headers)


def test_a_v2_credential_gets_revocation_and_suspension_entries(app, client, auth, demo):
    response = issue(client, auth(), v2_credential(id=CREDENTIAL_ID))
    assert response.status_code == 201
    signed = response.get_json()["verifiableCredential"]
    entries = signed["credentialStatus"]
    assert [e["statusPurpose"] for e in entries] == ["revocation", "suspension"]
    for entry in entries:
        assert entry["type"] == "BitstringStatusListEntry"
        assert entry["statusListCredential"].startswith(f"{BASE_URL}/status/")
        assert entry["id"] == f"{entry['statusListCredential']}#{entry['statusListIndex']}"
        assert int(entry["statusListIndex"]) >= 0
        assert status_of(client, entry) is False  # resolves to a served list, bit clear
    expand_strict(signed)  # the v2 context defines every status term
    issuer = did_of(demo, "aarhus-demo-university")
    assert verify_proofs(signed, resolver=resolver(app), controllers=[issuer]).verified
    with transaction(app) as session:
        stored = session.scalars(
            select(StatusEntry).where(StatusEntry.credential_ref == CREDENTIAL_ID)
        ).all()
        assert sorted(e.list_index for e in stored) == sorted(
            int(e["statusListIndex"]) for e in entries
        )
        assert all(e.credential_id is None for e in stored)
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "issue_vc_api"))
        assert event is not None and len(event.details["statusEntries"]) == 2


def test_revoke_through_the_vc_api_shows_in_the_list(app, client, auth):
    signed = issue(client, auth(), v2_credential(id=CREDENTIAL_ID)).get_json()
    revocation, suspension = signed["verifiableCredential"]["credentialStatus"]

    response = change(client, auth(), statusPurpose="suspension")
    assert response.status_code == 200
    assert status_of(client, suspension) is True
    response = change(client, auth(), statusPurpose="suspension", status=False)
    assert response.status_code == 200
    assert status_of(client, suspension) is False

    response = change(client, auth(), statusPurpose="revocation")
    assert response.status_code == 200
    body = response.get_json()
    assert body["credentialId"] == CREDENTIAL_ID
    assert [(e["statusPurpose"], e["status"]) for e in body["credentialStatus"]] == [
        ("revocation", True)
    ]
    assert status_of(client, revocation) is True
    assert change(client, auth(), statusPurpose="revocation", status=False).status_code == 409
    with transaction(app) as session:
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.action != "issue_vc_api")
        ).all()
        assert list(actions) == ["suspend", "reinstate", "revoke"]


def test_issuing_again_under_the_same_id_reuses_its_entries(app, client, auth):
    first = issue(client, auth(), v2_credential(id=CREDENTIAL_ID)).get_json()
    entries = first["verifiableCredential"]["credentialStatus"]
    again = issue(client, auth(), v2_credential(id=CREDENTIAL_ID)).get_json()
    assert again["verifiableCredential"]["credentialStatus"] == entries  # a retry: no new entries
    with transaction(app) as session:
        stored = session.scalars(
            select(StatusEntry).where(StatusEntry.credential_ref == CREDENTIAL_ID)
        ).all()
        assert len(stored) == 2

    assert change(client, auth(), statusPurpose="revocation").status_code == 200
    reissued = issue(client, auth(), v2_credential(id=CREDENTIAL_ID, name="corrected"))
    assert reissued.status_code == 201
    revocation = reissued.get_json()["verifiableCredential"]["credentialStatus"][0]
    assert revocation == entries[0]
    assert status_of(client, revocation) is True  # the status follows the id: still revoked

    # another organisation's credential with that id is another credential
    lyon = issue(client, auth(organisation=LYON), v2_credential(id=CREDENTIAL_ID)).get_json()
    assert lyon["verifiableCredential"]["credentialStatus"][0] != entries[0]


def test_status_changes_are_scoped_and_checked(client, auth):
    issue(client, auth(), v2_credential(id=CREDENTIAL_ID))
    lyon = auth(organisation=LYON)
    assert change(client, lyon, statusPurpose="revocation").status_code == 404
    assert change(client, auth("viewer"), statusPurpose="revocation").status_code == 403
    assert change(client, auth(), statusPurpose="expired").status_code == 400
    bad = {"credentialId": CREDENTIAL_ID, "credentialStatus": {"type": "Other"}}
    assert client.post("/credentials/status", json=bad, headers=auth()).status_code == 400


def test_options_credential_id_sets_the_id(client, auth):
    response = issue(client, auth(), v2_credential(), options={"credentialId": CREDENTIAL_ID})
    assert response.status_code == 201
    signed = response.get_json()["verifiableCredential"]
    assert signed["id"] == CREDENTIAL_ID
    assert len(signed["credentialStatus"]) == 2
    other = issue(
        client, auth(), v2_credential(id="urn:uuid:other"), options={"credentialId": CREDENTIAL_ID}
    )
    assert other.status_code == 400
    assert other.get_json()["error"]["code"] == "credential_id_mismatch"
    options = {"credentialStatus": {"type": "BitstringStatusListEntry"}}
    assert issue(client, auth(), v2_credential(id="urn:uuid:x"), options=options).status_code == 201


@pytest.mark.parametrize(
    ("credential", "expected"),
    [
        (v2_credential(), None),  # no id: nobody could ever change the status
        (v1_credential(), None),  # the v1 context does not define the status terms
        (
            v2_credential(
                id=CREDENTIAL_ID,
                credentialStatus={
                    "id": "https://example.org/status/1#5",
                    "type": "BitstringStatusListEntry",
                    "statusPurpose": "revocation",
                    "statusListIndex": "5",
                    "statusListCredential": "https://example.org/status/1",
                },
            ),
            "caller",
        ),
    ],
)
def test_no_entries_added(client, auth, credential, expected):
    signed = issue(client, auth(), credential).get_json()["verifiableCredential"]
    if expected is None:
        assert "credentialStatus" not in signed
    else:
        assert signed["credentialStatus"] == credential["credentialStatus"]  # kept as given


def test_a_v1_credential_with_the_status_context_gets_entries(app, client, auth):
    given = v1_credential(**{"@context": [VC_V1, STATUS_LIST_V1]})
    response = issue(client, auth(), given)
    assert response.status_code == 201, response.get_json()
    signed = response.get_json()["verifiableCredential"]
    assert [e["statusPurpose"] for e in signed["credentialStatus"]] == ["revocation", "suspension"]
    expand_strict(signed)
