"""The issuer's JSON API (/api/v1) through the Flask test client: auth, specifications,
issuing (single and joint), listing and search, status changes, bulk jobs, the audit log,
isolation between partnerships, and the OpenAPI document. Assertions are on status codes and
error codes, never on wording."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import timedelta
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError

from demo.partnership import DEMO_SPECIFICATION
from issuer.auth.tokens import create_token
from issuer.credentials import issuance
from issuer.db import transaction
from issuer.models import (
    AuditEvent,
    BulkJob,
    IssuedCredential,
    Learner,
    Organisation,
    Role,
    ShareLink,
    StatusEntry,
    StatusList,
    utcnow,
)
from issuer.partnerships.services import (
    add_organisation,
    create_partnership,
    public_keypairs,
)
from issuer.specifications.services import create_specification
from keys.did_web import build_did_document, did_web_to_url
from keys.proof_set import verify_proofs
from keys.resolver import DidResolver
from tests.issuer.conftest import BASE_URL, PASSPHRASE

AARHUS = "aarhus-demo-university"
LYON = "lyon-demo-university"
EMPLOYER = "nordic-wind-employer"
SPEC = "green-data-analytics"


# --- helpers ----------------------------------------------------------------------------------


def learner(reference: str = "s1001", given: str = "Ada", family: str = "Lovelace", **more: Any):
    return {"reference": reference, "givenName": given, "familyName": family, **more}


def issue(client, headers, **body: Any):  # type: ignore[no-untyped-def]
    payload = {"specification": SPEC, "learner": learner(), **body}
    return client.post("/api/v1/credentials", json=payload, headers=headers)


def error_code(response) -> str:  # type: ignore[no-untyped-def]
    body = response.get_json()
    assert set(body) == {"error"}, body
    return str(body["error"]["code"])


def uuid_of(credential: dict[str, Any]) -> str:
    return str(credential["id"]).removeprefix("urn:uuid:")


def count(app, model, *where) -> int:  # type: ignore[no-untyped-def]
    with transaction(app) as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def did_resolver(app) -> DidResolver:  # type: ignore[no-untyped-def]
    """A resolver whose fetch serves every organisation's DID document from the database."""
    with transaction(app) as session:
        documents = {
            did_web_to_url(o.did): json.dumps(
                build_did_document(o.did, public_keypairs(o))
            ).encode()
            for o in session.scalars(select(Organisation))
        }
    return DidResolver(fetch=lambda url: documents[url])


def dids(app, *slugs: str) -> list[str]:  # type: ignore[no-untyped-def]
    with transaction(app) as session:
        by_slug = {o.slug: o.did for o in session.scalars(select(Organisation))}
    return [by_slug[s] for s in slugs]


@pytest.fixture
def other(app, demo):  # type: ignore[no-untyped-def]
    """A second partnership with one organisation, the demo specification's twin and tokens."""
    with transaction(app) as session:
        partnership = create_partnership(session, "blue-economy", "Blue Economy Partnership")
        organisation = add_organisation(
            session,
            partnership,
            slug="baltic-university",
            legal_name="Baltic Demo University",
            country="SWE",
            country_label="Sweden",
            base_url=BASE_URL,
            passphrase=PASSPHRASE.encode(),
        )
        create_specification(session, partnership, DEMO_SPECIFICATION, base_url=BASE_URL)
        tokens = {
            role.value: create_token(session, organisation, role, f"baltic-{role.value}")[1]
            for role in Role
        }
    return {role: {"Authorization": f"Bearer {token}"} for role, token in tokens.items()}


# --- auth -------------------------------------------------------------------------------------


def test_every_api_route_needs_a_token(client, demo):
    for method, path in [
        ("get", "/api/v1/specifications"),
        ("get", "/api/v1/organisations"),
        ("get", "/api/v1/credentials"),
        ("post", "/api/v1/credentials"),
        ("get", "/api/v1/audit"),
        ("post", "/api/v1/bulk-jobs"),
        ("get", "/api/v1/bulk-jobs/1"),
    ]:
        response = getattr(client, method)(path)
        assert response.status_code == 401, path
        assert error_code(response) == "unauthorized"
    response = client.get("/api/v1/credentials", headers={"Authorization": "Bearer mc_nope"})
    assert response.status_code == 401
    assert error_code(response) == "unauthorized"
    response = client.get("/api/v1/credentials", headers={"Authorization": "Basic abc"})
    assert response.status_code == 401


def test_roles(client, auth):
    response = issue(client, auth("viewer"))
    assert response.status_code == 403
    assert error_code(response) == "forbidden"
    assert client.get("/api/v1/credentials", headers=auth("viewer")).status_code == 200
    assert issue(client, auth("admin")).status_code == 201
    assert issue(client, auth("issuer"), learner=learner("s2")).status_code == 201
    spec = {**DEMO_SPECIFICATION, "slug": "offshore-safety"}
    for role in ("viewer", "issuer"):
        response = client.post("/api/v1/specifications", json=spec, headers=auth(role))
        assert response.status_code == 403
        assert error_code(response) == "forbidden"


# --- specifications and organisations ---------------------------------------------------------


def test_specifications(app, client, auth):
    response = client.get("/api/v1/specifications", headers=auth("viewer"))
    assert response.status_code == 200
    assert [s["slug"] for s in response.get_json()["specifications"]] == [SPEC]

    spec = {**DEMO_SPECIFICATION, "slug": "offshore-safety", "eqfLevel": 4}
    response = client.post("/api/v1/specifications", json=spec, headers=auth("admin"))
    assert response.status_code == 201
    assert response.headers["Location"].endswith("/api/v1/specifications/offshore-safety")
    created = response.get_json()
    assert created["slug"] == "offshore-safety" and created["eqfLevel"] == 4
    assert created["uri"] == f"{BASE_URL}/specifications/green-skills-alliance/offshore-safety"

    response = client.get("/api/v1/specifications/offshore-safety", headers=auth("viewer"))
    assert response.status_code == 200
    assert response.get_json() == created
    listed = client.get("/api/v1/specifications", headers=auth("viewer")).get_json()
    assert [s["slug"] for s in listed["specifications"]] == [SPEC, "offshore-safety"]

    response = client.post("/api/v1/specifications", json=spec, headers=auth("admin"))
    assert response.status_code == 409

    response = client.get("/api/v1/specifications/nope", headers=auth("viewer"))
    assert response.status_code == 404
    assert error_code(response) == "unknown_specification"

    assert (
        count(
            app,
            AuditEvent,
            AuditEvent.action == "create_specification",
            AuditEvent.actor == f"token:{AARHUS}-admin",
        )
        == 1
    )


def test_specification_errors_name_every_field(client, auth):
    bad = {**DEMO_SPECIFICATION, "slug": "bad-one", "eqfLevel": 9, "ects": "-1"}
    del bad["learningOutcomes"], bad["qualityAssurance"]
    response = client.post("/api/v1/specifications", json=bad, headers=auth("admin"))
    assert response.status_code == 422
    assert error_code(response) == "invalid_input"
    fields = response.get_json()["error"]["details"]["fields"]
    assert set(fields) == {"eqfLevel", "ects", "learningOutcomes", "qualityAssurance"}

    for body in (b"not json", b"[1, 2]", b"", b'{"slug": NaN}'):
        response = client.post(
            "/api/v1/specifications",
            data=body,
            content_type="application/json",
            headers=auth("admin"),
        )
        assert response.status_code == 400, body
        assert error_code(response) == "invalid_json"


def test_organisations(client, auth, demo):
    response = client.get("/api/v1/organisations", headers=auth("viewer", LYON))
    assert response.status_code == 200
    organisations = response.get_json()["organisations"]
    assert [o["slug"] for o in organisations] == [AARHUS, LYON, EMPLOYER]
    assert organisations[0] == {
        "slug": AARHUS,
        "legalName": "Aarhus Demo University",
        "country": "DNK",
        "countryLabel": "Denmark",
        "did": demo.organisations[0].did,
        "didMethod": "web",
        "identifier": "DK AARHUS01",
    }


# --- issuing ----------------------------------------------------------------------------------


def test_issue_a_credential(app, client, auth, demo):
    response = issue(
        client,
        auth(),
        learner=learner(email="ada@example.org", dateOfBirth="1990-12-10"),
        grade="Excellent",
        validUntil="2040-01-31T00:00:00Z",
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    credential, document = body["credential"], body["document"]
    uuid = uuid_of(credential)
    assert response.headers["Location"].endswith(f"/api/v1/credentials/{uuid}")
    assert credential["state"] == "active"
    assert credential["issuer"] == AARHUS and credential["awardingBodies"] == [AARHUS]
    assert credential["specification"] == SPEC
    assert credential["learner"] == {
        "reference": "s1001",
        "givenName": "Ada",
        "familyName": "Lovelace",
    }
    assert document["id"] == credential["id"]
    assert document["issuer"]["id"] == demo.organisations[0].did
    assert document["validUntil"].startswith("2040-01-31")
    token = body["shareUrl"].removeprefix(f"{BASE_URL}/c/")
    assert re.fullmatch(r"[A-Za-z0-9_-]{20,}", token)
    assert body["qr"] == {
        "png": f"{BASE_URL}/c/{token}/qr.png",
        "svg": f"{BASE_URL}/c/{token}/qr.svg",
    }
    assert body["learnerManageUrl"].startswith(f"{BASE_URL}/learner/")

    result = verify_proofs(document, resolver=did_resolver(app), controllers=dids(app, AARHUS))
    assert result.verified, result

    # the stored JSON, byte for byte, and the metadata view
    response = client.get(f"/api/v1/credentials/{uuid}/document", headers=auth("viewer"))
    assert response.status_code == 200
    assert response.mimetype == "application/ld+json"
    with transaction(app) as session:
        stored = session.scalar(
            select(IssuedCredential.document).where(
                IssuedCredential.credential_uri == credential["id"]
            )
        )
    assert response.get_data(as_text=True) == stored
    assert json.loads(stored) == document
    response = client.get(f"/api/v1/credentials/{uuid}", headers=auth("viewer", EMPLOYER))
    assert response.status_code == 200
    assert response.get_json() == {
        "credential": credential,
        "document": document,
        "replaces": None,
        "replacedBy": None,
    }
    # the urn:uuid: form names it as well
    assert client.get(f"/api/v1/credentials/{credential['id']}", headers=auth()).status_code == 200
    # the share link serves the same document
    shared = client.get(f"/c/{token}", headers={"Accept": "application/ld+json"})
    assert shared.status_code == 200
    assert shared.get_data(as_text=True) == stored

    assert (
        count(
            app,
            AuditEvent,
            AuditEvent.action == "issue",
            AuditEvent.actor == f"token:{AARHUS}-issuer",
        )
        == 1
    )


def test_joint_award(app, client, auth):
    response = issue(client, auth("issuer", LYON), awardingBodies=[AARHUS, LYON, EMPLOYER])
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    # the caller's organisation is the issuer, and the first awarding body
    assert body["credential"]["issuer"] == LYON
    assert body["credential"]["awardingBodies"] == [LYON, AARHUS, EMPLOYER]
    document = body["document"]
    assert len(document["proof"]) == 3
    result = verify_proofs(
        document, resolver=did_resolver(app), controllers=dids(app, LYON, AARHUS, EMPLOYER)
    )
    assert result.verified
    assert result.signers == dids(app, LYON, AARHUS, EMPLOYER)


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"specification": None, "learner": None}, {"specification", "learner"}),
        (
            {"learner": {"reference": "x", "givenName": " ", "email": "nope"}},
            {"learner.givenName", "learner.familyName", "learner.email"},
        ),
        ({"learner": "Ada"}, {"learner"}),
        ({"awardingBodies": ["nowhere-university"]}, {"awardingBodies"}),
        ({"awardingBodies": [AARHUS, "nowhere-university"]}, {"awardingBodies"}),
        ({"awardingBodies": [LYON]}, {"awardingBodies"}),  # the issuer must be included
        ({"awardingBodies": [AARHUS, AARHUS]}, {"awardingBodies"}),
        ({"awardingBodies": []}, {"awardingBodies"}),
        ({"grade": 5}, {"grade"}),
        ({"validUntil": "2001-01-01T00:00:00Z"}, {"validUntil"}),
        ({"validUntil": "2040-01-01T00:00:00"}, {"validUntil"}),  # no timezone
        ({"validUntil": "soon"}, {"validUntil"}),
    ],
)
def test_issue_refuses_bad_input(app, client, auth, body, fields):
    response = issue(client, auth(), **body)
    assert response.status_code == 422, response.get_json()
    assert error_code(response) == "invalid_input"
    assert set(response.get_json()["error"]["details"]["fields"]) == fields
    assert count(app, IssuedCredential) == 0


class Deadlock(Exception):
    sqlstate = "40P01"  # what psycopg's DeadlockDetected carries


def test_a_transaction_the_database_aborted_is_a_503_to_send_again(app, client, auth, monkeypatch):
    def deadlocked(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("INSERT INTO status_entries …", {}, Deadlock("deadlock"))

    monkeypatch.setattr(issuance, "issue_credential", deadlocked)
    response = issue(client, auth(), learner=learner())
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.get_json()["error"]["code"] == "database_busy"
    with transaction(app) as session:
        assert session.scalar(select(func.count()).select_from(IssuedCredential)) == 0


def test_sqlite_busy_past_its_timeout_is_a_503_to_send_again(app, client, auth, monkeypatch):
    def locked(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("INSERT INTO learners …", {}, sqlite3.OperationalError(
            "database is locked"
        ))

    monkeypatch.setattr(issuance, "issue_credential", locked)
    response = issue(client, auth(), learner=learner())
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "database_busy"


def test_other_sqlite_errors_are_not_taken_for_a_busy_database(app, client, auth, monkeypatch):
    def broken(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("INSERT INTO learners …", {}, sqlite3.OperationalError(
            "no such table: learners"
        ))

    monkeypatch.setattr(issuance, "issue_credential", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert issue(client, auth(), learner=learner()).status_code == 500


def test_issue_refuses_unknown_specification_and_bad_json(client, auth):
    response = issue(client, auth(), specification="no-such-thing")
    assert response.status_code == 404
    assert error_code(response) == "unknown_specification"
    for data in (b"{", b'"a string"', b"[]", b"null"):
        response = client.post(
            "/api/v1/credentials", data=data, content_type="application/json", headers=auth()
        )
        assert response.status_code == 400
        assert error_code(response) == "invalid_json"


def _nothing_written(app) -> None:  # type: ignore[no-untyped-def]
    for model in (IssuedCredential, Learner, StatusEntry, StatusList, ShareLink):
        assert count(app, model) == 0, model.__name__
    assert count(app, AuditEvent, AuditEvent.action == "issue") == 0


def test_a_signing_failure_leaves_nothing_written(app, client, auth, monkeypatch):
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the HSM is on fire")

    monkeypatch.setattr("issuer.credentials.issuance.add_proofs", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer 500, as in production
    response = issue(client, auth())
    assert response.status_code == 500
    assert error_code(response) == "internal_server_error"
    _nothing_written(app)


def test_a_refused_credential_leaves_nothing_written(app, client, auth, monkeypatch):
    from schemas.errors import SchemaIssue, SchemaViolation

    def refuse(document: Any, **_: Any) -> None:
        raise SchemaViolation([SchemaIssue(path="issuer", message="no", element="3")])

    monkeypatch.setattr("issuer.credentials.issuance.validate_microcredential", refuse)
    response = issue(client, auth())
    assert response.status_code == 422
    assert error_code(response) == "invalid_credential"
    _nothing_written(app)


# --- listing, search, pagination --------------------------------------------------------------

PEOPLE = [
    ("s1", "Ada", "Lovelace"),
    ("s2", "Grace", "Hopper"),
    ("s3", "Alan", "Turing"),
    ("s4", "Ada", "Yonath"),
    ("s5", "Katherine", "Johnson"),
]


@pytest.fixture
def five(client, auth):  # type: ignore[no-untyped-def]
    """Five credentials, in PEOPLE order; their uuids."""
    uuids = []
    for reference, given, family in PEOPLE:
        response = issue(client, auth(), learner=learner(reference, given, family))
        assert response.status_code == 201
        uuids.append(uuid_of(response.get_json()["credential"]))
    return uuids


def _list(client, headers, **params: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/credentials", query_string=params, headers=headers)
    assert response.status_code == 200, response.get_json()
    return dict(response.get_json())


def test_list_pages_newest_first(client, auth, five):
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = _list(client, auth("viewer"), **params)
        pages += 1
        seen += [uuid_of(c) for c in page["credentials"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == list(reversed(five))
    everything = _list(client, auth("viewer"))
    assert [uuid_of(c) for c in everything["credentials"]] == list(reversed(five))
    assert everything["nextCursor"] is None


def test_list_search_and_filters(client, auth, five):
    def refs(**params: Any) -> list[str]:
        page = _list(client, auth("viewer"), **params)
        return sorted(c["learner"]["reference"] for c in page["credentials"])

    assert refs(q="ada") == ["s1", "s4"]
    assert refs(q="ADA love") == ["s1"]
    assert refs(q="hopper") == ["s2"]
    assert refs(q="s3") == ["s3"]
    assert refs(q="nobody") == []
    assert refs(q="%") == []  # LIKE wildcards are searched for literally
    assert refs(specification=SPEC) == ["s1", "s2", "s3", "s4", "s5"]

    client.post(f"/api/v1/credentials/{five[1]}/suspend", json={}, headers=auth())
    client.post(f"/api/v1/credentials/{five[2]}/revoke", json={}, headers=auth())
    assert refs(state="suspended") == ["s2"]
    assert refs(state="revoked") == ["s3"]
    assert refs(state="active") == ["s1", "s4", "s5"]
    assert refs(state="active", q="ada") == ["s1", "s4"]

    spec = {**DEMO_SPECIFICATION, "slug": "offshore-safety"}
    assert (
        client.post("/api/v1/specifications", json=spec, headers=auth("admin")).status_code == 201
    )
    issue(client, auth(), specification="offshore-safety", learner=learner("s9", "Mae", "Jemison"))
    assert refs(specification="offshore-safety") == ["s9"]


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"state": "lost"}, 422, "invalid_input"),
        ({"limit": "0"}, 422, "invalid_input"),
        ({"limit": "1000"}, 422, "invalid_input"),
        ({"limit": "ten"}, 422, "invalid_input"),
        ({"cursor": "garbage!"}, 422, "invalid_input"),
        ({"cursor": "eyJhZnRlciI6IC0xfQ"}, 422, "invalid_input"),  # {"after": -1}
        ({"specification": "nope"}, 404, "unknown_specification"),
    ],
)
def test_list_refuses_bad_parameters(client, auth, params, status, code):
    response = client.get("/api/v1/credentials", query_string=params, headers=auth("viewer"))
    assert response.status_code == status
    assert error_code(response) == code


def test_unknown_credential(client, auth):
    for ref in ("8a3c8a4e-1d1b-4a47-9a51-0f6d2f5ac001", "not-a-uuid"):
        for path in (f"/api/v1/credentials/{ref}", f"/api/v1/credentials/{ref}/document"):
            response = client.get(path, headers=auth("viewer"))
            assert response.status_code == 404
            assert error_code(response) == "unknown_credential"


# --- status changes ---------------------------------------------------------------------------


def test_status_changes(app, client, auth):
    credential = issue(client, auth()).get_json()["credential"]
    uuid = uuid_of(credential)

    def act(action: str, role: str = "issuer", **body: Any):  # type: ignore[no-untyped-def]
        return client.post(f"/api/v1/credentials/{uuid}/{action}", json=body, headers=auth(role))

    assert act("suspend", "viewer").status_code == 403
    response = act("suspend", reason="Under investigation")
    assert response.status_code == 200
    assert response.get_json()["state"] == "suspended"
    assert response.get_json()["id"] == credential["id"]
    assert error_code(act("suspend")) == "already_suspended"
    assert act("suspend").status_code == 409

    response = act("reinstate")
    assert response.status_code == 200 and response.get_json()["state"] == "active"
    assert act("reinstate").status_code == 409
    assert error_code(act("reinstate")) == "not_suspended"

    # an empty body is fine (no reason)
    response = client.post(f"/api/v1/credentials/{uuid}/suspend", headers=auth())
    assert response.status_code == 200

    response = act("revoke", "admin", reason="Plagiarism")
    assert response.status_code == 200 and response.get_json()["state"] == "revoked"
    assert error_code(act("revoke")) == "already_revoked"
    assert error_code(act("suspend")) == "credential_revoked"
    assert error_code(act("reinstate")) == "credential_revoked"

    response = act("revoke", reason=["not", "a", "string"])
    assert response.status_code == 422
    response = client.post(
        f"/api/v1/credentials/{uuid}/revoke",
        data=b"[]",
        content_type="application/json",
        headers=auth(),
    )
    assert response.status_code == 400 and error_code(response) == "invalid_json"

    with transaction(app) as session:
        entries = session.scalars(
            select(StatusEntry)
            .join(IssuedCredential)
            .where(IssuedCredential.credential_uri == credential["id"])
        ).all()
        bits = {e.status_list.purpose.value: e.is_set for e in entries}
    assert bits == {"revocation": True, "suspension": True}

    events = client.get(
        "/api/v1/audit", query_string={"credential": uuid}, headers=auth("viewer")
    ).get_json()["events"]
    assert [(e["action"], e["actor"], e["reason"]) for e in events] == [
        ("revoke", f"token:{AARHUS}-admin", "Plagiarism"),
        ("suspend", f"token:{AARHUS}-issuer", None),
        ("reinstate", f"token:{AARHUS}-issuer", None),
        ("suspend", f"token:{AARHUS}-issuer", "Under investigation"),
        ("issue", f"token:{AARHUS}-issuer", None),
    ]
    assert all(e["credential"] == uuid for e in events)


# --- bulk jobs --------------------------------------------------------------------------------

GOOD_AND_BAD = (
    "reference,given_name,family_name,email,grade\n"
    "b1,Ada,Lovelace,ada@example.org,A\n"
    "b2,,Hopper,,\n"  # line 3: no given name
    "b3,Alan,Turing,not-an-email,\n"  # line 4: bad e-mail
    "b4,Katherine,Johnson,,B\n"
    "b1,Ada,Again,,\n"  # line 6: the reference again
    "b5,Mae,Jemison,,\n"
)


def upload(client, headers, content: str | bytes, **form: Any):  # type: ignore[no-untyped-def]
    import io

    data = content.encode() if isinstance(content, str) else content
    fields = {"specification": SPEC, **form, "file": (io.BytesIO(data), "learners.csv")}
    return client.post(
        "/api/v1/bulk-jobs", data=fields, content_type="multipart/form-data", headers=headers
    )


def test_bulk_job_with_bad_rows(app, client, auth):
    response = upload(client, auth(), GOOD_AND_BAD)
    assert response.status_code == 202, response.get_json()
    job = response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/bulk-jobs/{job['id']}")
    assert job["state"] == "done"
    assert (job["totalRows"], job["issuedRows"], job["errorRows"]) == (6, 3, 3)
    assert job["filename"] == "learners.csv"

    response = client.get(f"/api/v1/bulk-jobs/{job['id']}", headers=auth("viewer"))
    assert response.status_code == 200
    assert response.get_json()["issuedRows"] == 3

    response = client.get(f"/api/v1/bulk-jobs/{job['id']}/errors.csv", headers=auth("viewer"))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment")
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == "line,reference,code,reason,message"
    rows = [line.split(",") for line in lines[1:]]
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("3", "b2", "invalid_learner"),
        ("4", "b3", "invalid_learner"),
        ("6", "b1", "duplicate_learner"),
    ]

    listed = _list(client, auth("viewer"))["credentials"]
    assert sorted(c["learner"]["reference"] for c in listed) == ["b1", "b4", "b5"]
    assert (
        count(
            app,
            AuditEvent,
            AuditEvent.action == "bulk_upload",
            AuditEvent.actor == f"token:{AARHUS}-issuer",
        )
        == 1
    )


def test_bulk_joint_award(app, client, auth):
    response = upload(
        client,
        auth(),
        "reference,given_name,family_name\nj1,Ada,Lovelace\n",
        awardingBodies=f"{AARHUS}, {LYON}",
    )
    assert response.status_code == 202
    assert response.get_json()["issuedRows"] == 1
    credential = _list(client, auth("viewer"))["credentials"][0]
    assert credential["awardingBodies"] == [AARHUS, LYON]


@pytest.mark.parametrize(
    ("content", "form", "status", "code"),
    [
        ("given_name,family_name\nAda,Lovelace\n", {}, 422, "missing_columns"),
        ("reference,given_name,family_name\n", {}, 422, "empty_file"),
        (b"reference,given_name,family_name\nx,\xff,y\n", {}, 422, "bad_encoding"),
        (GOOD_AND_BAD, {"specification": "nope"}, 404, "unknown_specification"),
        (GOOD_AND_BAD, {"specification": ""}, 422, "invalid_input"),
        (GOOD_AND_BAD, {"awardingBodies": LYON}, 422, "invalid_input"),
        (GOOD_AND_BAD, {"awardingBodies": "nowhere"}, 422, "invalid_input"),
    ],
)
def test_bulk_upload_refusals(app, client, auth, content, form, status, code):
    response = upload(client, auth(), content, **form)
    assert response.status_code == status, response.get_json()
    assert error_code(response) == code
    assert count(app, BulkJob) == 0


def test_bulk_upload_needs_a_file_and_the_issuer_role(client, auth):
    response = client.post(
        "/api/v1/bulk-jobs",
        data={"specification": SPEC},
        content_type="multipart/form-data",
        headers=auth(),
    )
    assert response.status_code == 422
    assert set(response.get_json()["error"]["details"]["fields"]) == {"file"}
    assert upload(client, auth("viewer"), GOOD_AND_BAD).status_code == 403


def test_oversize_upload(app, client, auth):
    app.config["MAX_CONTENT_LENGTH"] = 2048
    big = "reference,given_name,family_name\n" + "".join(
        f"r{n},Given{n},Family{n}\n" for n in range(500)
    )
    response = upload(client, auth(), big)
    assert response.status_code == 413
    assert error_code(response) == "payload_too_large"
    assert count(app, BulkJob) == 0


def test_resume_a_stopped_job(app, client, auth, monkeypatch):
    from issuer.bulk import jobs as bulk
    from issuer.bulk import runner

    # the worker "dies" after one batch: the job stays running with a fresh heartbeat
    monkeypatch.setattr(bulk, "BATCH_ROWS", 1)
    monkeypatch.setattr(
        "issuer.api.bulk_jobs.queue.start_job",
        lambda app, job_id: runner.work_on_job(app, job_id, stop_after=1),
    )
    content = "reference,given_name,family_name\nr1,A,One\nr2,B,Two\nr3,C,Three\n"
    job = upload(client, auth(), content).get_json()
    assert (job["state"], job["issuedRows"]) == ("running", 1)
    monkeypatch.undo()

    response = client.post(f"/api/v1/bulk-jobs/{job['id']}/resume", headers=auth())
    assert response.status_code == 409
    assert error_code(response) == "job_running"

    with transaction(app) as session:  # the heartbeat goes stale
        session.execute(update(BulkJob).values(heartbeat_at=utcnow() - timedelta(minutes=10)))
    assert (
        client.post(f"/api/v1/bulk-jobs/{job['id']}/resume", headers=auth("viewer")).status_code
        == 403
    )
    response = client.post(f"/api/v1/bulk-jobs/{job['id']}/resume", headers=auth())
    assert response.status_code == 202
    resumed = response.get_json()
    assert (resumed["state"], resumed["issuedRows"], resumed["errorRows"]) == ("done", 3, 0)
    assert count(app, IssuedCredential) == 3

    response = client.post(f"/api/v1/bulk-jobs/{job['id']}/resume", headers=auth())
    assert response.status_code == 409
    assert error_code(response) == "job_finished"


def test_unknown_bulk_job(client, auth):
    for path in ("/api/v1/bulk-jobs/999", "/api/v1/bulk-jobs/999/errors.csv"):
        response = client.get(path, headers=auth("viewer"))
        assert response.status_code == 404
        assert error_code(response) == "unknown_bulk_job"
    response = client.post("/api/v1/bulk-jobs/999/resume", headers=auth())
    assert response.status_code == 404


# --- audit ------------------------------------------------------------------------------------


def test_audit_log(client, auth, five):
    response = client.get("/api/v1/audit", headers=auth("viewer", LYON))
    assert response.status_code == 200
    events = response.get_json()["events"]
    assert [e["action"] for e in events] == ["issue"] * 5
    assert [e["credential"] for e in events] == list(reversed(five))
    first = events[0]
    assert first["actor"] == f"token:{AARHUS}-issuer"
    assert first["organisation"] == AARHUS
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", first["at"])

    page = client.get("/api/v1/audit", query_string={"limit": 3}, headers=auth("viewer")).get_json()
    assert len(page["events"]) == 3 and page["nextCursor"]
    rest = client.get(
        "/api/v1/audit", query_string={"cursor": page["nextCursor"]}, headers=auth("viewer")
    ).get_json()
    assert [e["id"] for e in page["events"] + rest["events"]] == [e["id"] for e in events]

    one = client.get("/api/v1/audit", query_string={"credential": five[0]}, headers=auth("viewer"))
    assert [e["credential"] for e in one.get_json()["events"]] == [five[0]]
    response = client.get("/api/v1/audit", query_string={"credential": "nope"}, headers=auth())
    assert response.status_code == 404
    assert error_code(response) == "unknown_credential"
    assert client.get("/api/v1/audit", query_string={"limit": 0}, headers=auth()).status_code == 422


# --- isolation between partnerships -----------------------------------------------------------


def test_another_partnership_sees_nothing(app, client, auth, other):
    issued = issue(client, auth()).get_json()
    uuid = uuid_of(issued["credential"])
    job = upload(client, auth(), "reference,given_name,family_name\nz1,Zed,Zee\n").get_json()

    for path in (f"/api/v1/credentials/{uuid}", f"/api/v1/credentials/{uuid}/document"):
        response = client.get(path, headers=other["admin"])
        assert response.status_code == 404
        assert error_code(response) == "unknown_credential"
    for action in ("suspend", "reinstate", "revoke"):
        response = client.post(
            f"/api/v1/credentials/{uuid}/{action}", json={}, headers=other["admin"]
        )
        assert response.status_code == 404
        assert error_code(response) == "unknown_credential"
    response = client.get(
        "/api/v1/audit", query_string={"credential": uuid}, headers=other["viewer"]
    )
    assert response.status_code == 404
    for path in (f"/api/v1/bulk-jobs/{job['id']}", f"/api/v1/bulk-jobs/{job['id']}/errors.csv"):
        response = client.get(path, headers=other["viewer"])
        assert response.status_code == 404
        assert error_code(response) == "unknown_bulk_job"
    assert (
        client.post(f"/api/v1/bulk-jobs/{job['id']}/resume", headers=other["issuer"]).status_code
        == 404
    )

    assert _list(client, other["viewer"])["credentials"] == []
    assert client.get("/api/v1/audit", headers=other["viewer"]).get_json()["events"] == []
    organisations = client.get("/api/v1/organisations", headers=other["viewer"]).get_json()
    assert [o["slug"] for o in organisations["organisations"]] == ["baltic-university"]

    # its own specification of the same slug is its own
    spec = client.get(f"/api/v1/specifications/{SPEC}", headers=other["viewer"]).get_json()
    assert spec["uri"] == f"{BASE_URL}/specifications/blue-economy/{SPEC}"
    # it cannot name the demo partnership's organisations as awarding bodies
    response = issue(client, other["issuer"], awardingBodies=["baltic-university", AARHUS])
    assert response.status_code == 422
    # and its own issuance lands in its own list only
    own = issue(client, other["issuer"], learner=learner("s1001"))
    assert own.status_code == 201
    assert [c["id"] for c in _list(client, other["viewer"])["credentials"]] == [
        own.get_json()["credential"]["id"]
    ]
    demo_ids = [c["id"] for c in _list(client, auth("viewer"))["credentials"]]
    assert len(demo_ids) == 2 and issued["credential"]["id"] in demo_ids
    assert own.get_json()["credential"]["id"] not in demo_ids
    # the same learner reference in another partnership is another learner
    assert count(app, Learner, Learner.reference == "s1001") == 2


# --- the OpenAPI document ---------------------------------------------------------------------

DOCUMENTED_PREFIXES = ("/api/v1", "/credentials", "/c/", "/status", "/orgs", "/.well-known")
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@pytest.fixture
def openapi(client) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return dict(response.get_json())


def _template(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def _flask_template(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?[^<>]+>", "{}", rule)


def test_openapi_paths_are_the_app_routes(app, openapi):
    routes = {
        (_flask_template(rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
        if rule.endpoint != "static"
    }
    documented = {
        (_template(path), method)
        for path, item in openapi["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }
    covered = {r for r in routes if r[0].startswith(DOCUMENTED_PREFIXES)}
    assert covered - documented == set(), "app routes missing from the OpenAPI document"
    assert documented - routes == set(), "documented paths the app does not serve"


def _walk(node: Any, path: tuple[Any, ...] = ()):  # type: ignore[no-untyped-def]
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, (*path, index))


def _pointer(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _resolve(document: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        node = _pointer(document, node["$ref"])
    return node


def test_no_query_parameter_may_be_null(openapi):
    # In a URL a parameter is absent or has a value; a schema that admits null made the fuzzer
    # send ``?q=`` as an array and count the answer as accepting invalid data (make fuzz).
    queries = [
        (path, parameter)
        for path, item in openapi["paths"].items()
        for operation in item.values()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "query"
    ]
    assert {parameter["name"] for _, parameter in queries} >= {"q", "limit", "cursor", "state"}
    for path, parameter in queries:
        assert "null" not in json.dumps(parameter["schema"]), (path, parameter)
        assert parameter["schema"].get("type") in ("string", "integer"), (path, parameter)


#: The issuer's W3C VC API routes: they need a token, like /api/v1.
VC_API_ISSUER = ("/credentials/issue", "/credentials/status")


def test_openapi_document_is_well_formed(openapi):
    """The OpenAPI 3.1 rules that can be checked without an OpenAPI validator package."""
    assert re.fullmatch(r"3\.1\.\d+", openapi["openapi"])
    assert isinstance(openapi["info"]["title"], str) and isinstance(openapi["info"]["version"], str)
    assert set(openapi) <= {
        "openapi",
        "info",
        "jsonSchemaDialect",
        "servers",
        "paths",
        "webhooks",
        "components",
        "security",
        "tags",
        "externalDocs",
    }
    assert openapi["servers"] == [{"url": BASE_URL}]
    schemes = openapi["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}
    tags = {t["name"] for t in openapi["tags"]}
    # every $ref resolves
    for _where, node in _walk(openapi):
        if isinstance(node, dict) and isinstance(node.get("$ref"), str):
            _pointer(openapi, node["$ref"])  # raises KeyError if dangling
    # every schema is a valid JSON Schema 2020-12 schema
    for schema in openapi["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    operation_ids = []
    for path, item in openapi["paths"].items():
        assert path.startswith("/")
        names = re.findall(r"\{([^}]+)\}", path)
        for method, operation in item.items():
            assert method in HTTP_METHODS, (path, method)
            operation_ids.append(operation["operationId"])
            assert set(operation["tags"]) <= tags
            params = [_resolve(openapi, p) for p in operation.get("parameters", [])]
            for p in params:
                assert {"name", "in"} <= set(p) and p["in"] in {"query", "header", "path", "cookie"}
                Draft202012Validator.check_schema(p["schema"])
            in_path = [p["name"] for p in params if p["in"] == "path"]
            assert sorted(in_path) == sorted(names), (path, method)
            assert all(p["required"] is True for p in params if p["in"] == "path")
            assert operation["responses"], (path, method)
            for status, response in operation["responses"].items():
                assert re.fullmatch(r"[1-5](\d\d|XX)|default", status), status
                response = _resolve(openapi, response)
                assert isinstance(response["description"], str)
                for media in response.get("content", {}).values():
                    Draft202012Validator.check_schema(media["schema"])
            for requirement in operation.get("security", openapi["security"]):
                assert set(requirement) <= set(schemes)
            if "requestBody" in operation:
                assert operation["requestBody"]["content"]
    assert len(operation_ids) == len(set(operation_ids))
    # the JSON API routes need a token; the public ones (and the learner's) say they do not
    for path, item in openapi["paths"].items():
        api = path.startswith("/api/v1") and not path.startswith("/api/v1/learner/")
        for operation in item.values():
            public = operation.get("security") == []
            assert public is not (api or path in VC_API_ISSUER), path


def _validator(
    openapi: dict[str, Any], path: str, method: str, status: int, media: str = "application/json"
) -> Draft202012Validator:
    response = openapi["paths"][path][method]["responses"][str(status)]
    if "$ref" in response:
        pointer = response["$ref"] + f"/content/{media.replace('/', '~1')}/schema"
    else:
        escaped = path.replace("~", "~0").replace("/", "~1")
        pointer = (
            f"#/paths/{escaped}/{method}/responses/{status}/content/"
            f"{media.replace('/', '~1')}/schema"
        )
    registry = Registry().with_resource(
        "urn:openapi", Resource.from_contents(openapi, default_specification=DRAFT202012)
    )
    return Draft202012Validator(
        {"$ref": f"urn:openapi{pointer}"},
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def test_real_answers_match_the_response_schemas(client, auth, openapi):
    def check(response, path: str, method: str, media: str = "application/json") -> None:  # type: ignore[no-untyped-def]
        body = response.get_json() if media.endswith("json") else response.get_data(as_text=True)
        _validator(openapi, path, method, response.status_code, media).validate(body)

    check(
        client.get("/api/v1/specifications", headers=auth("viewer")),
        "/api/v1/specifications",
        "get",
    )
    check(
        client.get(f"/api/v1/specifications/{SPEC}", headers=auth("viewer")),
        "/api/v1/specifications/{slug}",
        "get",
    )
    check(
        client.get("/api/v1/organisations", headers=auth("viewer")), "/api/v1/organisations", "get"
    )
    issued = issue(client, auth(), awardingBodies=[AARHUS, LYON], grade="A")
    assert issued.status_code == 201
    check(issued, "/api/v1/credentials", "post")
    uuid = uuid_of(issued.get_json()["credential"])
    check(client.get("/api/v1/credentials", headers=auth("viewer")), "/api/v1/credentials", "get")
    check(
        client.get(f"/api/v1/credentials/{uuid}", headers=auth("viewer")),
        "/api/v1/credentials/{id}",
        "get",
    )
    check(
        client.post(f"/api/v1/credentials/{uuid}/suspend", json={"reason": "x"}, headers=auth()),
        "/api/v1/credentials/{id}/suspend",
        "post",
    )
    check(
        client.post(f"/api/v1/credentials/{uuid}/suspend", json={}, headers=auth()),
        "/api/v1/credentials/{id}/suspend",
        "post",
    )  # 409
    job = upload(client, auth(), GOOD_AND_BAD)
    check(job, "/api/v1/bulk-jobs", "post")
    check(
        client.get(f"/api/v1/bulk-jobs/{job.get_json()['id']}", headers=auth("viewer")),
        "/api/v1/bulk-jobs/{id}",
        "get",
    )
    check(client.get("/api/v1/audit", headers=auth("viewer")), "/api/v1/audit", "get")
    # errors
    check(issue(client, auth(), learner={}), "/api/v1/credentials", "post")  # 422
    check(issue(client, auth("viewer")), "/api/v1/credentials", "post")  # 403
    check(client.get("/api/v1/credentials"), "/api/v1/credentials", "get")  # 401
    check(
        client.get("/api/v1/credentials/nope", headers=auth()), "/api/v1/credentials/{id}", "get"
    )  # 404
    check(
        client.post(
            "/api/v1/credentials", data=b"x", content_type="application/json", headers=auth()
        ),
        "/api/v1/credentials",
        "post",
    )  # 400
    # a learner's share links (another helper's routes, documented here)
    manage = issued.get_json()["learnerManageUrl"].rsplit("/", 1)[1]
    check(
        client.get(f"/api/v1/learner/{manage}/share-links"),
        "/api/v1/learner/{manageToken}/share-links",
        "get",
    )
    check(
        client.post(f"/api/v1/credentials/{uuid}/share-links", json={}, headers=auth()),
        "/api/v1/credentials/{id}/share-links",
        "post",
    )
    check(
        client.get(
            f"/orgs/green-skills-alliance/{AARHUS}/did.json", headers={"Accept": "application/json"}
        ),
        "/orgs/{partnership}/{organisation}/did.json",
        "get",
    )
