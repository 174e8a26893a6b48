"""The learner's e-mail address stays out of the signed credential unless staff ask for it
("include in the credential": the staff form's checkbox, the API's ``emailInCredential``, the
bulk CSV's ``email_in_credential`` column); it is stored for delivery either way."""

from __future__ import annotations

import json

from sqlalchemy import select

from issuer.db import transaction
from issuer.models import IssuedCredential, Learner
from tests.issuer.test_bulk import _create, _credentials, _rows
from tests.issuer.test_bulk import run_job as run_bulk_job
from tests.issuer.test_staff import SPEC, post, staff, text  # noqa: F401


def _issue(client, auth, reference: str, **learner: object):  # type: ignore[no-untyped-def]
    body = {
        "specification": SPEC,
        "learner": {"reference": reference, "givenName": "Ada", "familyName": "Lovelace"} | learner,
    }
    return client.post("/api/v1/credentials", json=body, headers=auth("issuer"))


def _stored_email(app, reference: str) -> str | None:  # type: ignore[no-untyped-def]
    with transaction(app) as session:
        return session.scalar(select(Learner.email).where(Learner.reference == reference))


def test_the_api_keeps_the_email_out_unless_asked(app, client, auth):
    plain = _issue(client, auth, "e-1", email="ada@example.org")
    assert plain.status_code == 201
    assert "contactPoint" not in plain.get_json()["document"]["credentialSubject"]
    assert "ada@example.org" not in json.dumps(plain.get_json()["document"])
    assert _stored_email(app, "e-1") == "ada@example.org"  # kept for delivery

    asked = _issue(client, auth, "e-2", email="bo@example.org", emailInCredential=True)
    assert asked.status_code == 201
    contact = asked.get_json()["document"]["credentialSubject"]["contactPoint"]
    assert contact["emailAddress"]["id"] == "mailto:bo@example.org"


def test_including_an_email_needs_one(client, auth):
    response = _issue(client, auth, "e-3", emailInCredential=True)
    assert response.status_code == 422
    assert "emailInCredential" in json.dumps(response.get_json())


def test_the_openapi_document_describes_the_flag(client):
    assert "emailInCredential" in client.get("/openapi.json").get_data(as_text=True)


def test_the_staff_form_has_the_checkbox_and_honours_it(app, staff):  # noqa: F811
    client = staff("issuer")
    form = text(client.get("/staff/issue"))
    assert 'name="email_in_credential"' in form
    assert "Include it in the credential" in form
    learner = {"specification": SPEC, "given_name": "Ida", "family_name": "Jensen"}
    for reference, extra, stated in (
        ("f-1", {}, False),
        ("f-2", {"email_in_credential": "y"}, True),
    ):
        data = learner | {"reference": reference, "email": f"{reference}@example.org"} | extra
        assert post(client, "/staff/issue", data).status_code == 302
        with transaction(app) as session:
            document = session.scalar(
                select(IssuedCredential.document)
                .join(Learner, Learner.id == IssuedCredential.learner_id)
                .where(Learner.reference == reference)
            )
        assert (f"{reference}@example.org" in document) is stated
        assert _stored_email(app, reference) == f"{reference}@example.org"


def test_the_bulk_csv_column(app, demo):
    content = (
        b"reference,given_name,family_name,email,email_in_credential\n"
        b"b-1,Ada,One,one@example.org,\n"
        b"b-2,Bo,Two,two@example.org,yes\n"
        b"b-3,Cy,Three,,yes\n"
        b"b-4,Di,Four,four@example.org,maybe\n"
    )
    job_id = _create(app, demo, content)
    run_bulk_job(app, job_id)
    lines = {c.bulk_line: c.document for c in _credentials(app, job_id)}
    issued = {"b-1": lines.get(2, ""), "b-2": lines.get(3, "")}
    assert set(lines) == {2, 3}
    assert "one@example.org" not in issued["b-1"]
    assert "mailto:two@example.org" in issued["b-2"]
    refused = {row.line: row.error_code for row in _rows(app, job_id) if row.error_code}
    assert refused == {4: "invalid_learner", 5: "invalid_learner"}
    assert _stored_email(app, "b-1") == "one@example.org"
