"""Correction by re-issue (issue 17): a new credential with the corrected learner details, the
old one revoked with the reason "superseded", the two linked both ways, the learner's links
moved to the new one, audited — through the API and the staff pages."""

from __future__ import annotations

import re

from sqlalchemy import select

from issuer.credentials.models import CredentialCorrection
from issuer.db import transaction
from issuer.models import AuditEvent, IssuedCredential
from tests.issuer.test_staff import LYON, SPEC, csrf, staff, text  # noqa: F401

HOST = "https://issuer.example"


def _issue(client, auth) -> dict:  # type: ignore[no-untyped-def,type-arg]
    body = {
        "specification": SPEC,
        "grade": "12",
        "learner": {"reference": "r-1", "givenName": "Ada", "familyName": "Lovelase"},
    }
    answer = client.post("/api/v1/credentials", json=body, headers=auth("issuer"))
    assert answer.status_code == 201
    return answer.get_json()  # type: ignore[no-any-return]


def _uuid(urn: str) -> str:
    return urn.removeprefix("urn:uuid:")


def test_reissue_through_the_api(app, client, auth):
    issued = _issue(client, auth)
    old = _uuid(issued["credential"]["id"])
    share = issued["shareUrl"].removeprefix(HOST)
    manage = issued["learnerManageUrl"].removeprefix(HOST)
    answer = client.post(
        f"/api/v1/credentials/{old}/reissue",
        json={"learner": {"familyName": "Lovelace"}},
        headers=auth("issuer"),
    )
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    new = _uuid(body["credential"]["id"])
    assert body["replaces"] == f"urn:uuid:{old}" and new != old
    assert body["changes"] == {"familyName": ["Lovelase", "Lovelace"]}
    subject = body["document"]["credentialSubject"]
    assert subject["familyName"] == {"en": "Lovelace"} or "Lovelace" in str(subject["familyName"])
    assert "12" in str(subject["hasClaim"]["provenBy"]["grade"])  # the grade carried over

    old_detail = client.get(f"/api/v1/credentials/{old}", headers=auth("viewer")).get_json()
    assert old_detail["credential"]["state"] == "revoked"
    assert old_detail["replacedBy"] == f"urn:uuid:{new}"
    new_detail = client.get(f"/api/v1/credentials/{new}", headers=auth("viewer")).get_json()
    assert new_detail["replaces"] == f"urn:uuid:{old}" and new_detail["replacedBy"] is None

    # the learner's links now lead to the corrected credential
    page = client.get(share, headers={"Accept": "application/ld+json"}).get_json()
    assert page["id"] == f"urn:uuid:{new}"
    assert client.get(manage).status_code == 200

    with transaction(app) as session:
        link = session.scalars(select(CredentialCorrection)).one()
        old_row = session.get(IssuedCredential, link.old_credential_id)
        assert old_row is not None and old_row.uuid == old
        revoke = session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "revoke", AuditEvent.credential_id == old_row.id
            )
        ).one()
        assert revoke.reason == "superseded"
        assert (
            session.scalars(select(AuditEvent).where(AuditEvent.action == "credential_reissued"))
            .one()
            .details["replaces"]
            == old_row.id
        )

    again = client.post(
        f"/api/v1/credentials/{old}/reissue",
        json={"learner": {"familyName": "X"}},
        headers=auth("issuer"),
    )
    assert again.status_code == 409
    nothing = client.post(
        f"/api/v1/credentials/{new}/reissue",
        json={"learner": {"familyName": "Lovelace"}},
        headers=auth("issuer"),
    )
    assert nothing.status_code == 422
    bad = client.post(
        f"/api/v1/credentials/{new}/reissue",
        json={"learner": {"reference": "x"}},
        headers=auth("issuer"),
    )
    assert bad.status_code == 422
    audit = client.get(
        "/api/v1/audit?action=credential_reissued", headers=auth("viewer")
    ).get_json()
    assert audit["events"][0]["event"] == "Re-issued with corrections"
    assert any(
        "Replaces Green Data Analytics of Ada Lovelace" in s for s in audit["events"][0]["summary"]
    )


def test_reissue_from_the_staff_pages(app, client, auth, staff):  # noqa: F811
    issued = _issue(client, auth)
    old = _uuid(issued["credential"]["id"])
    signed_in = staff("issuer")
    page = f"/staff/credentials/{old}/reissue"
    assert page in text(signed_in.get(f"/staff/credentials/{old}"))
    form = text(signed_in.get(page))
    assert 'value="Lovelase"' in form  # filled in with the stored details
    unchanged = signed_in.post(
        page,
        data={"csrf_token": csrf(signed_in, page), "given_name": "Ada", "family_name": "Lovelase"},
    )
    assert unchanged.status_code == 422
    answer = signed_in.post(
        page,
        data={"csrf_token": csrf(signed_in, page), "given_name": "Ada", "family_name": "Lovelace"},
    )
    assert answer.status_code == 302
    new = answer.headers["Location"].rsplit("/", 1)[1]
    assert new != old
    new_page = text(signed_in.get(f"/staff/credentials/{new}"))
    assert 'id="replaces"' in new_page and f"/staff/credentials/{old}" in new_page
    old_page = text(signed_in.get(f"/staff/credentials/{old}"))
    assert 'id="replaced-by"' in old_page and f"/staff/credentials/{new}" in old_page
    assert "superseded" in old_page  # the revocation's reason in its history
    assert page not in old_page  # corrected once
    assert signed_in.get(page).status_code == 409
    audit = text(signed_in.get("/staff/audit?action=credential_reissued"))
    assert "Re-issued with corrections" in audit and "Replaces Green Data Analytics" in audit
    assert re.search(r"awarded to Ada Lovelace", audit)


def test_other_members_cannot_correct(client, auth, staff):  # noqa: F811
    old = _uuid(_issue(client, auth)["credential"]["id"])
    assert staff("issuer", LYON).get(f"/staff/credentials/{old}/reissue").status_code == 403
