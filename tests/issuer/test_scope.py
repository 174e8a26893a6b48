"""Who may act on a credential within a partnership (``issuer.auth.scope``): an organisation's API
token changes only credentials its organisation issued or co-awards (403 ``forbidden`` on
another member's), a partnership-scoped token any of the partnership's, and staff pages apply
the organisation rule to the signed-in user. Reading stays partnership-wide; another
partnership's credential stays "not found"."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from issuer.auth.tokens import create_token
from issuer.bulk.jobs import create_job
from issuer.db import transaction
from issuer.errors import InvalidInput
from issuer.models import (
    AuditEvent,
    BulkJob,
    CredentialState,
    IssuedCredential,
    JobState,
    Organisation,
    Role,
    Specification,
    TokenScope,
    User,
)
from issuer.partnerships.services import add_organisation, create_partnership
from tests.issuer.conftest import BASE_URL, PASSPHRASE

AARHUS = "aarhus-demo-university"
LYON = "lyon-demo-university"
EMPLOYER = "nordic-wind-employer"
SPEC = "green-data-analytics"
PASSWORD = "correct horse battery staple"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
Headers = dict[str, str]


# --- helpers ----------------------------------------------------------------------------------


def issue(client: FlaskClient, headers: Headers, reference: str, *bodies: str) -> str:
    """Issue through the API (``bodies``: the awarding bodies, the caller's first); its uuid."""
    body: dict[str, Any] = {
        "specification": SPEC,
        "learner": {"reference": reference, "givenName": "Ada", "familyName": "Lovelace"},
    }
    if bodies:
        body["awardingBodies"] = list(bodies)
    response = client.post("/api/v1/credentials", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return str(response.get_json()["credential"]["id"]).removeprefix("urn:uuid:")


def state(app: Flask, uuid: str) -> CredentialState:
    with transaction(app) as session:
        found = session.scalar(
            select(IssuedCredential).where(IssuedCredential.credential_uri == f"urn:uuid:{uuid}")
        )
        assert found is not None
        return found.state


def audit_count(app: Flask, action: str) -> int:
    with transaction(app) as session:
        return int(
            session.scalar(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
            )
            or 0
        )


def token(app: Flask, organisation: str, role: Role, scope: TokenScope, name: str) -> Headers:
    """The Authorization header of a new token of a demo organisation."""
    with transaction(app) as session:
        org = session.scalar(select(Organisation).where(Organisation.slug == organisation))
        assert org is not None
        _, secret = create_token(session, org, role, name, scope=scope)
    return {"Authorization": f"Bearer {secret}"}


def change(client: FlaskClient, uuid: str, action: str, headers: Headers):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/v1/credentials/{uuid}/{action}", json={"reason": "test"}, headers=headers
    )


@pytest.fixture
def awards(client, auth) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Aarhus's own credential, Lyon's own, and a joint award of Aarhus with Lyon."""
    return {
        "aarhus": issue(client, auth("issuer", AARHUS), "a-1"),
        "lyon": issue(client, auth("issuer", LYON), "l-1"),
        "joint": issue(client, auth("issuer", AARHUS), "j-1", AARHUS, LYON),
    }


# --- API tokens -------------------------------------------------------------------------------


def test_a_members_token_is_refused_on_another_members_credential(app, client, auth, awards):
    before = audit_count(app, "suspend")
    for action in ("suspend", "revoke"):
        response = change(client, awards["aarhus"], action, auth("issuer", LYON))
        assert response.status_code == 403
        error = response.get_json()["error"]
        assert error["code"] == "forbidden"
        assert LYON in error["message"] and "partnership scope" in error["message"]
        assert error["details"] == {"organisation": LYON, "scope": "organisation"}
    admin = change(client, awards["aarhus"], "suspend", auth("admin", LYON))
    assert admin.status_code == 403  # a stronger role is no wider scope
    assert state(app, awards["aarhus"]) is CredentialState.ACTIVE
    assert audit_count(app, "suspend") == before
    # Reading stays partnership-wide.
    read = client.get(f"/api/v1/credentials/{awards['aarhus']}", headers=auth("viewer", LYON))
    assert read.status_code == 200


def test_a_members_token_acts_on_its_own_and_on_joint_awards_it_is_a_body_of(
    app, client, auth, awards
):
    lyon = auth("issuer", LYON)
    assert change(client, awards["lyon"], "suspend", lyon).status_code == 200
    assert change(client, awards["lyon"], "reinstate", lyon).status_code == 200
    assert change(client, awards["joint"], "suspend", lyon).status_code == 200
    assert change(client, awards["joint"], "revoke", lyon).status_code == 200
    assert state(app, awards["joint"]) is CredentialState.REVOKED
    assert change(client, awards["aarhus"], "revoke", auth("issuer", AARHUS)).status_code == 200
    # The employer co-awards nothing here.
    employer = auth("issuer", EMPLOYER)
    for uuid in awards.values():  # the scope is checked before the state
        assert change(client, uuid, "suspend", employer).status_code == 403


def test_a_partnership_scoped_token_acts_on_every_credential_of_its_partnership(
    app, client, awards
):
    wide = token(app, EMPLOYER, Role.ISSUER, TokenScope.PARTNERSHIP, "employer-wide")
    assert change(client, awards["aarhus"], "suspend", wide).status_code == 200
    assert change(client, awards["lyon"], "revoke", wide).status_code == 200
    assert state(app, awards["aarhus"]) is CredentialState.SUSPENDED
    with transaction(app) as session:
        event = session.scalar(
            select(AuditEvent).where(AuditEvent.action == "revoke").order_by(AuditEvent.id.desc())
        )
        assert event is not None and event.actor == "token:employer-wide"
    # An explicit organisation scope is the default's.
    narrow = token(app, EMPLOYER, Role.ISSUER, TokenScope.ORGANISATION, "employer-narrow")
    assert change(client, awards["aarhus"], "reinstate", narrow).status_code == 403


def test_a_partnership_scope_reaches_no_other_partnership(app, client, awards):
    with transaction(app) as session:
        partnership = create_partnership(session, "blue-economy", "Blue Economy Partnership")
        outsider = add_organisation(
            session,
            partnership,
            slug="baltic-university",
            legal_name="Baltic Demo University",
            country="SWE",
            country_label="Sweden",
            base_url=BASE_URL,
            passphrase=PASSPHRASE.encode(),
        )
        _, secret = create_token(
            session, outsider, Role.ADMIN, "baltic-wide", scope=TokenScope.PARTNERSHIP
        )
    response = change(client, awards["aarhus"], "revoke", {"Authorization": f"Bearer {secret}"})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "unknown_credential"


def test_a_viewer_token_gets_no_partnership_scope(app, demo):
    with transaction(app) as session:
        organisation = session.get(Organisation, demo.organisations[0].id)
        with pytest.raises(InvalidInput) as refused:
            create_token(session, organisation, Role.VIEWER, "v", scope=TokenScope.PARTNERSHIP)
    assert refused.value.code == "invalid_scope"


def test_share_links_and_learner_links_follow_the_same_rule(app, client, auth, awards):
    lyon = auth("issuer", LYON)
    for uuid, allowed in ((awards["aarhus"], False), (awards["joint"], True)):
        link = client.post(f"/api/v1/credentials/{uuid}/share-links", headers=lyon)
        renew = client.post(f"/api/v1/credentials/{uuid}/learner-link", headers=lyon)
        expected = 201 if allowed else 403
        assert (link.status_code, renew.status_code) == (expected, expected), uuid


def upload(client: FlaskClient, headers: Headers, bodies: str = ""):  # type: ignore[no-untyped-def]
    fields: dict[str, Any] = {
        "specification": SPEC,
        "file": (io.BytesIO(b"reference,given_name,family_name\nb1,Ada,Lovelace\n"), "a.csv"),
        "sameFile": "true",  # one file uploaded again and again, on purpose
        "reissue": "true",
    }
    if bodies:
        fields["awardingBodies"] = bodies
    response = client.post(
        "/api/v1/bulk-jobs", data=fields, content_type="multipart/form-data", headers=headers
    )
    assert response.status_code == 202, response.get_json()
    return response.get_json()["id"]


def test_resuming_a_bulk_job_follows_the_same_rule(app, client, auth):
    solo = upload(client, auth("issuer", AARHUS))
    joint = upload(client, auth("issuer", AARHUS), f"{AARHUS},{LYON}")

    def resume(job_id: int, headers: Headers) -> str:
        response = client.post(f"/api/v1/bulk-jobs/{job_id}/resume", headers=headers)
        return str(response.get_json()["error"]["code"])

    # The scope is checked first; a job it reaches is finished here (409 job_finished).
    assert resume(solo, auth("issuer", LYON)) == "forbidden"
    assert resume(solo, auth("issuer", AARHUS)) == "job_finished"
    assert resume(joint, auth("issuer", LYON)) == "job_finished"
    wide = token(app, LYON, Role.ISSUER, TokenScope.PARTNERSHIP, "lyon-wide")
    assert resume(solo, wide) == "job_finished"


def test_the_openapi_document_says_so(client):
    document = client.get("/openapi.json").get_json()
    for action in ("suspend", "reinstate", "revoke"):
        operation = document["paths"][f"/api/v1/credentials/{{id}}/{action}"]["post"]
        assert "partnership scope" in operation["description"]
        assert "403" in operation["responses"]
    scheme = document["components"]["securitySchemes"]["bearerAuth"]["description"]
    assert "`organisation`" in scheme and "`partnership`" in scheme


# --- staff pages ------------------------------------------------------------------------------


def staff_client(app: Flask, organisation: str, role: Role = Role.ISSUER) -> FlaskClient:
    """A browser signed in as a new staff user of ``organisation``."""
    email = f"{role.value}@{organisation}.test"
    with transaction(app) as session:
        org = session.scalar(select(Organisation).where(Organisation.slug == organisation))
        assert org is not None
        session.add(
            User(
                organisation_id=org.id,
                email=email,
                name="Staff Person",
                role=role,
                password_hash=generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"),
            )
        )
    client = app.test_client()
    response = client.post(
        "/staff/login",
        data={"email": email, "password": PASSWORD, "csrf_token": csrf(client, "/staff/login")},
    )
    assert response.status_code == 302
    return client


def csrf(client: FlaskClient, path: str) -> str:
    found = TOKEN.search(client.get(path).get_data(as_text=True))
    assert found, path
    return found.group(1)


def staff_change(client: FlaskClient, uuid: str, action: str):  # type: ignore[no-untyped-def]
    path = f"/staff/credentials/{uuid}/status/{action}"
    return client.post(path, data={"reason": "test", "csrf_token": csrf(client, "/staff/")})


def test_staff_act_only_on_what_their_organisation_awards(app, awards):
    lyon = staff_client(app, LYON)
    page = lyon.get(f"/staff/credentials/{awards['aarhus']}")
    assert page.status_code == 200  # reading is partnership-wide
    html = page.get_data(as_text=True)
    assert "/status/suspend" not in html and 'id="not-yours"' in html
    assert lyon.get(f"/staff/credentials/{awards['aarhus']}/status/suspend").status_code == 403
    assert staff_change(lyon, awards["aarhus"], "revoke").status_code == 403
    assert state(app, awards["aarhus"]) is CredentialState.ACTIVE

    joint = lyon.get(f"/staff/credentials/{awards['joint']}").get_data(as_text=True)
    assert "/status/suspend" in joint and 'id="not-yours"' not in joint
    assert staff_change(lyon, awards["joint"], "suspend").status_code == 302
    assert state(app, awards["joint"]) is CredentialState.SUSPENDED
    assert staff_change(lyon, awards["lyon"], "revoke").status_code == 302
    assert state(app, awards["lyon"]) is CredentialState.REVOKED

    aarhus = staff_client(app, AARHUS)
    assert staff_change(aarhus, awards["aarhus"], "suspend").status_code == 302
    assert state(app, awards["aarhus"]) is CredentialState.SUSPENDED
    danish = lyon.get(f"/staff/credentials/{awards['aarhus']}/status/reinstate?lang=da")
    assert danish.status_code == 403 and "Kun de organisationer" in danish.get_data(as_text=True)


def test_staff_resume_only_their_organisations_bulk_jobs(app, demo):
    with transaction(app) as session:
        issuer = session.scalar(select(Organisation).where(Organisation.slug == AARHUS))
        spec = session.scalar(select(Specification).where(Specification.slug == SPEC))
        assert issuer is not None and spec is not None
        job = create_job(  # never started: resumable
            session,
            issuer=issuer,
            specification=spec,
            awarding_bodies=[issuer],
            filename="stopped.csv",
            content=b"reference,given_name,family_name\nb1,Ada,Lovelace\n",
            actor="token:test",
        )
        job_id = job.id
    resume = f"/staff/bulk/{job_id}/resume"
    assert resume in staff_client(app, AARHUS).get(f"/staff/bulk/{job_id}").get_data(as_text=True)
    lyon = staff_client(app, LYON)
    assert resume not in lyon.get(f"/staff/bulk/{job_id}").get_data(as_text=True)
    assert lyon.post(resume, data={"csrf_token": csrf(lyon, "/staff/")}).status_code == 403
    with transaction(app) as session:
        assert session.get_one(BulkJob, job_id).state is JobState.PENDING
