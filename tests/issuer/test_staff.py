"""The partnership staff pages (/staff) through the Flask test client, with real CSRF tokens
read from the forms: signing in and out, roles, specifications, issuing one credential, bulk
jobs, search, status changes with reasons, the audit log, isolation between partnerships,
escaping and Danish. Assertions are on behaviour and status codes, not on wording (except
that Danish text appears in Danish)."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from typing import Any

import pytest
from sqlalchemy import select, update
from werkzeug.security import generate_password_hash

from demo.partnership import (
    DEMO_SPECIFICATION,
    add_demo_staff,
    create_demo,
    demo_password,
    demo_staff_email,
)
from issuer.app import create_app
from issuer.auth.tokens import create_token
from issuer.bulk.jobs import create_job
from issuer.bulk.runner import work_on_job as run_job
from issuer.db import session_factory, transaction
from issuer.models import (
    AuditEvent,
    BulkJob,
    CredentialState,
    IssuedCredential,
    JobState,
    Organisation,
    Role,
    Specification,
    User,
    utcnow,
)
from issuer.partnerships.services import add_organisation, create_partnership
from issuer.specifications.services import create_specification
from tests.issuer.conftest import BASE_URL, PASSPHRASE

AARHUS = "aarhus-demo-university"
LYON = "lyon-demo-university"
SPEC = "green-data-analytics"
PASSWORD = "correct horse battery staple"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


# --- helpers ----------------------------------------------------------------------------------


def csrf(client, path: str) -> str:  # type: ignore[no-untyped-def]
    """The CSRF token of the form on the page at ``path``."""
    response = client.get(path)
    assert response.status_code == 200, path
    found = TOKEN.search(response.get_data(as_text=True))
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def post(client, path: str, data: dict[str, Any] | None = None, *, form: str | None = None):  # type: ignore[no-untyped-def]
    """POST ``data`` to ``path`` with the CSRF token of the form page ``form`` (or ``path``)."""
    token = csrf(client, form or path)
    return client.post(path, data={**(data or {}), "csrf_token": token})


def sign_in(client, email: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return post(client, "/staff/login", {"email": email, "password": password})


def add_user(app, role: str, organisation: str = AARHUS, email: str | None = None) -> str:  # type: ignore[no-untyped-def]
    """A staff user (a cheap hash keeps the tests fast); their e-mail address."""
    email = email or f"{role}@{organisation}.test"
    with transaction(app) as session:
        org = session.scalar(select(Organisation).where(Organisation.slug == organisation))
        assert org is not None
        session.add(
            User(
                organisation_id=org.id,
                email=email,
                name=f"{role.title()} Person",
                role=Role(role),
                password_hash=generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"),
            )
        )
    return email


@pytest.fixture
def staff(app, client, demo):  # type: ignore[no-untyped-def]
    """``staff(role)`` → the client signed in as a new user of Aarhus with ``role``."""

    def signed_in(role: str = "issuer", organisation: str = AARHUS) -> Any:
        email = add_user(app, role, organisation)
        response = sign_in(client, email)
        assert response.status_code == 302
        return client

    return signed_in


def api_issue(client, auth, reference: str, given: str = "Ada", family: str = "Lovelace") -> str:  # type: ignore[no-untyped-def]
    """Issue through the JSON API; the credential's uuid."""
    body = {
        "specification": SPEC,
        "learner": {"reference": reference, "givenName": given, "familyName": family},
    }
    response = client.post("/api/v1/credentials", json=body, headers=auth("issuer"))
    assert response.status_code == 201, response.get_json()
    return str(response.get_json()["credential"]["id"]).removeprefix("urn:uuid:")


def text(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def field_error(html: str, field: str) -> bool:
    """Whether the page shows an error for ``field``, tied to its control."""
    has_message = f'id="{field}-error"' in html
    described = re.search(rf'id="{field}"[^>]*aria-describedby="[^"]*{field}-error', html)
    return has_message and described is not None


def credential_state(app, uuid: str) -> CredentialState:  # type: ignore[no-untyped-def]
    with transaction(app) as session:
        found = session.scalar(
            select(IssuedCredential).where(IssuedCredential.credential_uri == f"urn:uuid:{uuid}")
        )
        assert found is not None
        return found.state


# --- signing in and out -----------------------------------------------------------------------


def test_the_demo_staff_user_signs_in_and_out(client, demo):
    email = demo_staff_email(AARHUS)
    response = sign_in(client, email, demo_password())
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/staff/")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    page = client.get("/staff/")
    assert page.status_code == 200
    assert "Aarhus Demo University" in text(page)
    assert page.headers["Cache-Control"] == "no-store"

    assert post(client, "/staff/logout", form="/staff/").status_code == 302
    after = client.get("/staff/")
    assert after.status_code == 302 and "/staff/login" in after.headers["Location"]


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(client, demo):
    wrong = sign_in(client, demo_staff_email(AARHUS), "not the password")
    unknown = sign_in(client, "nobody@example.org", "not the password")
    assert wrong.status_code == unknown.status_code == 422

    def message(response) -> str:  # type: ignore[no-untyped-def]
        found = re.search(r'<p class="error-box" id="login-error"[^>]*>(.*?)</p>', text(response))
        assert found
        return found.group(1)

    assert message(wrong) == message(unknown)
    assert client.get("/staff/").status_code == 302  # still not signed in


def test_repeated_failures_are_refused_for_a_while(app, client, demo):
    app.config["STAFF_LOGIN_MAX_FAILURES"] = 3
    email = add_user(app, "viewer")
    for _attempt in range(3):
        assert sign_in(client, email, "wrong").status_code == 422
    assert sign_in(client, email).status_code == 429  # even the right password, for now
    assert client.get("/staff/").status_code == 302
    app.config["STAFF_LOGIN_WINDOW"] = 0  # the window has passed
    assert sign_in(client, email).status_code == 302


def test_changing_the_password_ends_older_sessions(app, staff):
    client = staff("viewer")
    assert client.get("/staff/").status_code == 200
    with transaction(app) as session:
        session.execute(
            update(User)
            .where(User.email == "viewer@aarhus-demo-university.test")
            .values(password_hash=generate_password_hash("new", method="pbkdf2:sha256:1000"))
        )
    assert client.get("/staff/").status_code == 302


def test_a_session_lasts_at_most_staff_session_hours(app, staff):
    client = staff("viewer")
    app.config["STAFF_SESSION_HOURS"] = 0
    assert client.get("/staff/").status_code == 302


PAGES = [
    "/staff/",
    "/staff/specifications",
    f"/staff/specifications/{SPEC}",
    "/staff/specifications/new",
    "/staff/issue",
    "/staff/bulk",
    "/staff/bulk/1",
    "/staff/bulk/1/errors.csv",
    "/staff/credentials",
    "/staff/credentials/00000000-0000-4000-8000-000000000000",
    "/staff/credentials/00000000-0000-4000-8000-000000000000/status/revoke",
    "/staff/audit",
]


def test_every_page_needs_a_signed_in_user(client, demo):
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/staff/login?next="), path
    assert client.get("/staff/bulk/1.json").status_code == 401


def test_signing_in_returns_to_the_page_asked_for_and_never_elsewhere(app, client, demo):
    email = add_user(app, "viewer")
    response = client.get("/staff/credentials?state=active")
    token = csrf(client, response.headers["Location"])
    back = client.post(
        "/staff/login",
        data={
            "email": email,
            "password": PASSWORD,
            "next": "/staff/credentials?state=active",
            "csrf_token": token,
        },
    )
    assert back.headers["Location"] == "/staff/credentials?state=active"
    client.post("/staff/logout", data={"csrf_token": csrf(client, "/staff/")})
    for target in ("https://evil.example/staff/", "//evil.example/staff", "/api/v1/audit"):
        token = csrf(client, "/staff/login")
        response = client.post(
            "/staff/login",
            data={"email": email, "password": PASSWORD, "next": target, "csrf_token": token},
        )
        assert response.headers["Location"] == "/staff/", target
        client.post("/staff/logout", data={"csrf_token": csrf(client, "/staff/")})


def test_the_session_cookie_is_not_secure_over_plain_http(database_url):
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "ISSUER_BASE_URL": "http://localhost:5000",
            "SECRET_KEY": "test",
        }
    )
    try:
        assert app.config["SESSION_COOKIE_SECURE"] is False
        assert app.config["SESSION_COOKIE_HTTPONLY"] is True
        assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    finally:
        session_factory(app).kw["bind"].dispose()


# --- CSRF -------------------------------------------------------------------------------------


def test_forms_without_the_csrf_token_are_refused(app, client, staff, auth):
    email = add_user(app, "admin", email="admin-csrf@example.org")
    assert (
        client.post("/staff/login", data={"email": email, "password": PASSWORD}).status_code == 400
    )
    client = staff("issuer")
    for path in ("/staff/issue", "/staff/bulk", "/staff/logout", "/staff/specifications/new"):
        assert client.post(path, data={}).status_code == 400, path
    bad = client.post("/staff/issue", data={"csrf_token": "forged"})
    assert bad.status_code == 400 and "text/html" in bad.content_type
    assert client.get("/staff/").status_code == 200  # still signed in: logout was refused
    # The token-authenticated JSON interfaces need no CSRF token.
    uuid = api_issue(client, auth, "csrf-1")
    assert client.post(f"/api/v1/credentials/{uuid}/suspend", headers=auth()).status_code == 200
    vc = client.post("/credentials/issue", json={}, headers=auth())
    assert "csrf" not in text(vc).lower()


# --- roles ------------------------------------------------------------------------------------


def test_a_viewer_only_looks(app, staff, auth):
    client = staff("viewer")
    uuid = api_issue(client, auth, "v-1")
    for path in ("/staff/", "/staff/credentials", f"/staff/credentials/{uuid}", "/staff/audit"):
        assert client.get(path).status_code == 200, path
    assert "/staff/issue" not in text(client.get("/staff/"))
    assert client.get("/staff/issue").status_code == 403
    assert client.get("/staff/specifications/new").status_code == 403
    assert client.get(f"/staff/credentials/{uuid}/status/suspend").status_code == 403
    token = csrf(client, "/staff/")
    for path in ("/staff/issue", "/staff/bulk", f"/staff/credentials/{uuid}/status/suspend"):
        assert client.post(path, data={"csrf_token": token, "reason": "x"}).status_code == 403
    assert credential_state(app, uuid) is CredentialState.ACTIVE


def test_an_issuer_issues_but_creates_no_specification(staff):
    client = staff("issuer")
    assert client.get("/staff/issue").status_code == 200
    assert client.get("/staff/specifications/new").status_code == 403


# --- specifications ---------------------------------------------------------------------------

GOOD_SPECIFICATION = {
    "title_en": "Offshore Wind Maintenance",
    "title_da": "Vedligehold af havvindmøller",
    "slug": "",
    "description_en": "Keeping offshore wind turbines running safely.",
    "learning_outcomes": (
        "Plan a maintenance visit | http://data.europa.eu/esco/skill/abc-123 plan maintenance\n"
        "\n"
        "Work safely at height\n"
    ),
    "ects": "7,5",
    "hours": "190",
    "eqf_level": "5",
    "isced_field": "0713",
    "isced_label": "Electricity and energy",
    "assessment_type": "Practical test",
    "participation_mode": "online",
    "learning_setting": "non-formal",
    "language": "DAN",
    "prerequisites": "A GWO basic safety certificate.",
    "qa_title": "Institutional accreditation",
    "qa_type_iri": "urn:microcred:concept:accreditation:institutional",
    "qa_type_label": "Institutional accreditation",
    "qa_agent_id": "did:web:agency.example",
    "qa_agent_name": "Danish Accreditation Institution",
    "qa_agent_country": "dnk",
    "qa_agent_country_label": "Denmark",
}
NEW = "/staff/specifications/new"


def test_creating_a_specification_shows_every_problem_at_its_field(app, staff):
    client = staff("admin")
    empty = post(client, NEW, {})
    assert empty.status_code == 422
    html = text(empty)
    for field in (
        "title_en",
        "learning_outcomes",
        "ects",
        "hours",
        "eqf_level",
        "isced_field",
        "isced_label",
        "assessment_type",
        "participation_mode",
        "qa_title",
        "qa_type_iri",
        "qa_agent_id",
        "qa_agent_country",
    ):
        assert field_error(html, field), field
    assert 'id="error-summary"' in html

    bad = {
        **GOOD_SPECIFICATION,
        "ects": "0",
        "hours": "many",
        "eqf_level": "9",
        "isced_field": "12345",
        "slug": "Not A Slug",
        "learning_outcomes": "Plan | https://example.org/skill plan",
        "qa_agent_country": "Denmark",
    }
    response = post(client, NEW, bad, form=NEW)
    assert response.status_code == 422
    html = text(response)
    for field in (
        "ects",
        "hours",
        "eqf_level",
        "isced_field",
        "slug",
        "learning_outcomes",
        "qa_agent_country",
    ):
        assert field_error(html, field), field
    assert not field_error(html, "title_en")
    assert 'value="Offshore Wind Maintenance"' in html  # what was typed is kept
    with transaction(app) as session:
        assert len(session.scalars(select(Specification)).all()) == 1


def test_creating_a_specification(app, staff):
    client = staff("admin")
    response = post(client, NEW, GOOD_SPECIFICATION)
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/specifications/offshore-wind-maintenance"
    with transaction(app) as session:
        spec = session.scalar(
            select(Specification).where(Specification.slug == "offshore-wind-maintenance")
        )
        assert spec is not None
        assert spec.title == {
            "en": "Offshore Wind Maintenance",
            "da": "Vedligehold af havvindmøller",
        }
        assert str(spec.ects.normalize()) == "7.5"
        assert spec.volume_of_learning == "PT190H"
        assert spec.eqf_level == 5
        assert spec.participation_mode == "online"
        assert spec.language == "DAN"
        assert spec.learning_outcomes == [
            {
                "title": {"en": "Plan a maintenance visit"},
                "escoSkills": [
                    {"id": "http://data.europa.eu/esco/skill/abc-123", "label": "plan maintenance"}
                ],
            },
            {"title": {"en": "Work safely at height"}, "escoSkills": []},
        ]
        assert spec.quality_assurance["agent"]["country"] == "DNK"
        assert spec.prerequisites == {"en": "A GWO basic safety certificate."}
        event = session.scalar(
            select(AuditEvent).where(AuditEvent.action == "create_specification")
        )
        assert event is not None and event.actor == "user:admin@aarhus-demo-university.test"
    page = client.get("/staff/specifications/offshore-wind-maintenance")
    assert page.status_code == 200 and "Vedligehold af havvindmøller" in text(page)
    assert "offshore-wind-maintenance" in text(client.get("/staff/specifications"))

    again = post(client, NEW, GOOD_SPECIFICATION)
    assert again.status_code == 422 and field_error(text(again), "slug")


# --- issuing one credential -------------------------------------------------------------------


def test_issuing_one_credential_with_a_partner(app, staff):
    client = staff("issuer")
    form = text(client.get("/staff/issue"))
    own = form.index(f'id="body-{AARHUS}"')
    assert own < form.index(f'id="body-{LYON}"')  # the user's organisation first …
    assert re.search(rf'id="body-{AARHUS}" checked disabled', form)  # … and fixed
    response = post(
        client,
        "/staff/issue",
        {
            "specification": SPEC,
            "reference": "s-77",
            "given_name": "Ida",
            "family_name": "Jensen",
            "email": "ida@example.org",
            "date_of_birth": "2001-02-03",
            "awarding_bodies": LYON,
            "grade": "12",
        },
    )
    assert response.status_code == 302
    issued_page = response.headers["Location"]
    uuid = issued_page.split("/")[3]
    page = client.get(issued_page)
    assert page.status_code == 200
    html = text(page)
    share = re.search(r'href="(https://issuer\.example/c/[^"]+)"', html)
    manage = re.search(r'value="(https://issuer\.example/learner/[^"]+)"', html)
    assert share and manage
    token = share.group(1).rsplit("/", 1)[1]
    assert f'src="/c/{token}/qr.png"' in html
    assert client.get(f"/c/{token}/qr.png").status_code == 200
    assert client.get(f"/c/{token}").status_code == 200
    # The learner's management link is shown once.
    assert "https://issuer.example/learner/" not in text(client.get(issued_page))
    with transaction(app) as session:
        credential = session.scalar(
            select(IssuedCredential).where(IssuedCredential.credential_uri == f"urn:uuid:{uuid}")
        )
        assert credential is not None
        assert [o.slug for o in credential.awarding_bodies] == [AARHUS, LYON]
        assert credential.learner.email == "ida@example.org"
        assert '"12"' in credential.document
        event = session.scalar(
            select(AuditEvent).where(
                AuditEvent.credential_id == credential.id, AuditEvent.action == "issue"
            )
        )
        assert event is not None and event.actor == "user:issuer@aarhus-demo-university.test"


def test_the_issue_form_shows_each_problem_at_its_field(app, staff):
    client = staff("issuer")
    response = post(
        client,
        "/staff/issue",
        {
            "specification": "no-such-spec",
            "reference": "s-1",
            "given_name": " ",
            "family_name": "Jensen",
            "email": "not an address",
            "date_of_birth": "2999-01-01",
            "awarding_bodies": "not-a-member",
            "grade": "a\tb",
        },
    )
    assert response.status_code == 422
    html = text(response)
    for field in ("specification", "given_name", "email", "date_of_birth", "grade"):
        assert field_error(html, field), field
    assert 'id="awarding_bodies-error"' in html
    assert not field_error(html, "reference")
    with transaction(app) as session:
        assert session.scalars(select(IssuedCredential)).first() is None


# --- bulk issuance ----------------------------------------------------------------------------

CSV = (
    b"reference,given_name,family_name,email\n"
    b"b-1,Ada,Lovelace,ada@example.org\n"
    b"b-2,Alan,Turing,not-an-address\n"
    b"b-3,Grace,Hopper,\n"
)


def upload(client, content: bytes, **fields: Any):  # type: ignore[no-untyped-def]
    import io

    token = csrf(client, "/staff/bulk")
    data = {"specification": SPEC, "csrf_token": token, **fields}
    data["file"] = (io.BytesIO(content), "learners.csv")
    return client.post("/staff/bulk", data=data, content_type="multipart/form-data")


def test_bulk_upload_with_an_error_row_and_its_report(app, staff):
    client = staff("issuer")
    response = upload(client, CSV, awarding_bodies=LYON)
    assert response.status_code == 302
    job_page = response.headers["Location"]
    job_id = int(job_page.rsplit("/", 1)[1])
    page = client.get(job_page)
    assert page.status_code == 200
    html = text(page)
    assert 'id="job-bar"' in html and "<progress" in html
    assert 'http-equiv="refresh"' not in html  # finished: no more reloading
    assert "progress.js" not in html
    progress = client.get(f"/staff/bulk/{job_id}.json").get_json()
    assert progress["state"] == "done"
    assert (progress["issuedRows"], progress["errorRows"], progress["pendingRows"]) == (2, 1, 0)
    report = client.get(f"/staff/bulk/{job_id}/errors.csv")
    assert report.status_code == 200 and report.mimetype == "text/csv"
    assert "attachment" in report.headers["Content-Disposition"]
    lines = report.get_data(as_text=True).splitlines()
    assert lines[0] == "line,reference,code,reason,message"
    assert lines[1].startswith("3,b-2,invalid_learner,")
    with transaction(app) as session:
        credentials = session.scalars(
            select(IssuedCredential).where(IssuedCredential.bulk_job_id == job_id)
        ).all()
        assert len(credentials) == 2
        assert all([o.slug for o in c.awarding_bodies] == [AARHUS, LYON] for c in credentials)


def test_a_bulk_file_with_a_whole_file_problem_is_refused_at_its_field(app, staff):
    client = staff("issuer")
    response = upload(client, b"reference,given_name\nb-1,Ada\n")
    assert response.status_code == 422
    assert field_error(text(response), "file")
    assert field_error(text(upload(client, b"")), "file")
    with transaction(app) as session:
        assert session.scalars(select(BulkJob)).first() is None


def test_a_stopped_bulk_job_refreshes_and_can_be_resumed(app, staff, demo):
    client = staff("issuer")
    with transaction(app) as session:
        issuer = session.scalar(select(Organisation).where(Organisation.slug == AARHUS))
        spec = session.scalar(select(Specification).where(Specification.slug == SPEC))
        job = create_job(
            session,
            issuer=issuer,
            specification=spec,
            awarding_bodies=[issuer],
            filename="stopped.csv",
            content=CSV,
            actor="token:test",
        )
        job_id = job.id
    run_job(app, job_id, stop_after=0)  # the worker "dies" holding its batch
    page = text(client.get(f"/staff/bulk/{job_id}"))
    assert 'http-equiv="refresh"' in page and "progress.js" in page  # live, with or without JS
    assert f"/staff/bulk/{job_id}/resume" not in page  # its heartbeat is fresh
    with transaction(app) as session:
        session.execute(
            update(BulkJob)
            .where(BulkJob.id == job_id)
            .values(heartbeat_at=utcnow() - timedelta(minutes=10))
        )
    response = post(client, f"/staff/bulk/{job_id}/resume", form=f"/staff/bulk/{job_id}")
    assert response.status_code == 302
    with transaction(app) as session:
        job = session.get_one(BulkJob, job_id)
        assert job.state is JobState.DONE and (job.issued_rows, job.error_rows) == (2, 1)
        assert session.scalar(select(AuditEvent).where(AuditEvent.action == "bulk_resume"))
    # A finished job is not resumed again.
    token = csrf(client, f"/staff/bulk/{job_id}")
    client.post(f"/staff/bulk/{job_id}/resume", data={"csrf_token": token})
    with transaction(app) as session:
        resumed = session.scalars(select(AuditEvent).where(AuditEvent.action == "bulk_resume"))
        assert len(resumed.all()) == 1


# --- search and detail ------------------------------------------------------------------------


def test_searching_issued_credentials(app, staff, auth):
    client = staff("viewer")
    app.config["STAFF_PAGE_SIZE"] = 2
    ada = api_issue(client, auth, "s-1", "Ada", "Lovelace")
    api_issue(client, auth, "s-2", "Alan", "Turing")
    api_issue(client, auth, "s-3", "Grace", "Hopper")
    suspended = api_issue(client, auth, "s-4", "Ada", "Yonath")
    assert (
        client.post(f"/api/v1/credentials/{suspended}/suspend", headers=auth()).status_code == 200
    )

    def found(query: str) -> set[str]:
        response = client.get(f"/staff/credentials{query}")
        assert response.status_code == 200
        return set(re.findall(r'href="/staff/credentials/([0-9a-f-]{36})"', text(response)))

    assert found("?q=lovelace") == {ada}
    assert found("?q=S-1") == {ada}
    assert found("?q=ada&state=suspended") == {suspended}
    assert found("?q=ada&state=active") == {ada}
    assert found(f"?q=ada&specification={SPEC}") == {ada, suspended}
    assert found("?q=nobody") == set()
    first, second = found(""), found("?page=2")
    assert len(first) == len(second) == 2 and not first & second
    assert 'rel="next"' in text(client.get("/staff/credentials"))
    assert "page=2" in text(client.get("/staff/credentials?q="))
    detail = client.get(f"/staff/credentials/{ada}")
    assert detail.status_code == 200 and "Lovelace" in text(detail) and "s-1" in text(detail)
    document = client.get(f"/staff/credentials/{ada}/document.jsonld")
    assert document.status_code == 200 and document.mimetype == "application/ld+json"
    assert client.get("/staff/credentials/not-a-uuid").status_code == 404


def test_credential_data_is_escaped(staff, auth):
    client = staff("viewer")
    uuid = api_issue(client, auth, "<b>ref</b>", "<script>alert(1)</script>", "O'Brien & Co")
    for path in ("/staff/credentials", f"/staff/credentials/{uuid}", "/staff/audit"):
        html = text(client.get(path))
        assert "<script>alert(1)</script>" not in html, path
        assert "<b>ref</b>" not in html, path
    html = text(client.get(f"/staff/credentials/{uuid}"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# --- status changes and the audit log ---------------------------------------------------------


def test_suspend_reinstate_and_revoke_with_reasons_in_the_audit_log(app, staff, auth):
    client = staff("issuer")
    uuid = api_issue(client, auth, "st-1")
    detail = text(client.get(f"/staff/credentials/{uuid}"))
    assert f"/staff/credentials/{uuid}/status/suspend" in detail
    assert f"/staff/credentials/{uuid}/status/reinstate" not in detail

    suspend = f"/staff/credentials/{uuid}/status/suspend"
    assert client.get(suspend).status_code == 200  # the confirmation step
    no_reason = post(client, suspend, {"reason": "  "})
    assert no_reason.status_code == 422 and field_error(text(no_reason), "reason")
    assert credential_state(app, uuid) is CredentialState.ACTIVE

    assert post(client, suspend, {"reason": "Exam under review"}).status_code == 302
    assert credential_state(app, uuid) is CredentialState.SUSPENDED
    assert client.get(suspend).status_code == 409  # not possible twice
    reinstate = f"/staff/credentials/{uuid}/status/reinstate"
    assert post(client, reinstate, {"reason": "Review passed"}).status_code == 302
    assert credential_state(app, uuid) is CredentialState.ACTIVE
    revoke = f"/staff/credentials/{uuid}/status/revoke"
    assert post(client, revoke, {"reason": "Plagiarism <proven>"}).status_code == 302
    assert credential_state(app, uuid) is CredentialState.REVOKED
    assert client.get(revoke).status_code == 409
    token = csrf(client, f"/staff/credentials/{uuid}")
    late = client.post(suspend, data={"csrf_token": token, "reason": "again"})
    assert late.status_code == 409
    assert client.get(f"/staff/credentials/{uuid}/status/delete").status_code == 404
    # The public status says so too.
    assert client.get(f"/api/v1/credentials/{uuid}", headers=auth()).get_json()["credential"][
        "state"
    ] == ("revoked")

    log = client.get(f"/staff/audit?credential={uuid}")
    assert log.status_code == 200
    html = unescape(text(log))
    for reason in ("Exam under review", "Review passed", "Plagiarism <proven>"):
        assert reason in html
    assert "Plagiarism <proven>" not in text(log)  # escaped in the page
    assert html.index("Plagiarism") < html.index("Review passed") < html.index("Exam under")
    with transaction(app) as session:
        events = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action.in_(["suspend", "reinstate", "revoke"]))
            .order_by(AuditEvent.id)
        ).all()
        assert [(e.action, e.reason) for e in events] == [
            ("suspend", "Exam under review"),
            ("reinstate", "Review passed"),
            ("revoke", "Plagiarism <proven>"),
        ]
        assert {e.actor for e in events} == {"user:issuer@aarhus-demo-university.test"}


def test_the_audit_log_is_paginated_and_filtered(app, staff, auth):
    client = staff("viewer")
    app.config["STAFF_PAGE_SIZE"] = 2
    first = api_issue(client, auth, "a-1")
    second = api_issue(client, auth, "a-2")
    api_issue(client, auth, "a-3")
    page_one = text(client.get("/staff/audit"))
    assert 'rel="next"' in page_one
    assert client.get("/staff/audit?page=2").status_code == 200
    only = text(client.get(f"/staff/audit?credential=urn:uuid:{first}"))
    assert first in only and second not in only
    assert client.get("/staff/audit?credential=nonsense").status_code == 404


# --- partnerships -----------------------------------------------------------------------------


@pytest.fixture
def outsider(app, demo):  # type: ignore[no-untyped-def]
    """A second partnership with one organisation, a specification and an admin user."""
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
        spec = dict(DEMO_SPECIFICATION, slug="blue-data")
        create_specification(session, partnership, spec, base_url=BASE_URL)
        _, token = create_token(session, organisation, Role.ISSUER, "baltic-issuer")
    add_user(app, "admin", "baltic-university", email="admin@baltic.example")
    return {"Authorization": f"Bearer {token}"}


def test_another_partnership_sees_nothing(app, client, auth, outsider):
    uuid = api_issue(client, auth, "iso-1", "Secret", "Learner")
    upload_token = auth()
    import io

    job = client.post(
        "/api/v1/bulk-jobs",
        data={"file": (io.BytesIO(CSV), "x.csv"), "specification": SPEC},
        headers=upload_token,
        content_type="multipart/form-data",
    ).get_json()
    assert sign_in(client, "admin@baltic.example").status_code == 302
    assert "Baltic Demo University" in text(client.get("/staff/"))
    for path in (
        f"/staff/credentials/{uuid}",
        f"/staff/credentials/{uuid}/status/revoke",
        f"/staff/credentials/{uuid}/document.jsonld",
        f"/staff/specifications/{SPEC}",
        f"/staff/bulk/{job['id']}",
        f"/staff/bulk/{job['id']}/errors.csv",
        f"/staff/audit?credential={uuid}",
    ):
        assert client.get(path).status_code == 404, path
    assert client.get(f"/staff/bulk/{job['id']}.json").status_code == 404
    token = csrf(client, "/staff/")
    revoke = client.post(
        f"/staff/credentials/{uuid}/status/revoke", data={"csrf_token": token, "reason": "x"}
    )
    assert revoke.status_code == 404
    assert credential_state(app, uuid) is CredentialState.ACTIVE
    assert "Secret" not in text(client.get("/staff/credentials?q=secret"))
    audit = text(client.get("/staff/audit"))
    assert uuid not in audit and "Aarhus" not in audit
    assert SPEC not in text(client.get("/staff/specifications"))
    assert "x.csv" not in text(client.get("/staff/bulk"))
    # Issuing offers only this partnership's specifications and organisations.
    form = text(client.get("/staff/issue"))
    assert "blue-data" in form and f'value="{SPEC}"' not in form and LYON not in form
    refused = post(
        client,
        "/staff/issue",
        {
            "specification": SPEC,
            "reference": "x",
            "given_name": "A",
            "family_name": "B",
            "awarding_bodies": LYON,
        },
    )
    assert refused.status_code == 422


def test_status_pages_say_how_soon_verifiers_see_the_change(app, staff, auth):
    """The promise follows STATUS_LIST_MAX_AGE, the max-age the status lists are served with."""
    client = staff("issuer")
    uuid = api_issue(client, auth, "st-delay")
    for action in ("suspend", "revoke"):
        page = unescape(text(client.get(f"/staff/credentials/{uuid}/status/{action}")))
        assert "Verifiers will see this within 10 seconds." in page
        assert "from now on" not in page
    danish = client.get(
        f"/staff/credentials/{uuid}/status/revoke", headers={"Accept-Language": "da"}
    )
    assert "Verifikationstjenester vil se det inden for 10 sekunder." in unescape(text(danish))

    app.config["STATUS_LIST_MAX_AGE"] = 45
    suspend = f"/staff/credentials/{uuid}/status/suspend"
    assert "within 45 seconds." in unescape(text(client.get(suspend)))
    done = post(client, suspend, {"reason": "review"})
    assert done.status_code == 302
    detail = unescape(text(client.get(done.headers["Location"])))
    assert "The credential is now suspended. Verifiers will see this within 45 seconds." in detail
    listed = client.get(f"/status/{_status_list_id(app, uuid)}")
    assert listed.cache_control.max_age == 45  # the page says what the lists are served with

    app.config["STATUS_LIST_MAX_AGE"] = 1
    reinstate = f"/staff/credentials/{uuid}/status/reinstate"
    assert "Verifiers will see this within a second." in unescape(text(client.get(reinstate)))


def _status_list_id(app, uuid: str) -> int:  # type: ignore[no-untyped-def]
    with transaction(app) as session:
        credential = session.scalar(
            select(IssuedCredential).where(IssuedCredential.credential_uri == f"urn:uuid:{uuid}")
        )
        assert credential is not None
        return int(credential.status_entries[0].status_list_id)


def test_a_reason_issuance_refuses_is_shown_at_the_reason(app, staff, auth):
    """Issuance checks a reason (one line, at most 2000 characters); the form shows its
    problem at the field."""
    client = staff("issuer")
    uuid = api_issue(client, auth, "reason-1")
    suspend = f"/staff/credentials/{uuid}/status/suspend"
    for reason in ("x" * 2001, "two\nlines", "a\x7fb"):
        response = post(client, suspend, {"reason": reason})
        assert response.status_code == 422, repr(reason)
        assert field_error(text(response), "reason"), repr(reason)
    assert credential_state(app, uuid) is CredentialState.ACTIVE
    assert post(client, suspend, {"reason": "x" * 2000}).status_code == 302
    assert credential_state(app, uuid) is CredentialState.SUSPENDED


# --- Danish -----------------------------------------------------------------------------------


def test_the_pages_speak_danish(app, client, auth, demo):
    danish = {"Accept-Language": "da"}
    login = client.get("/staff/login", headers=danish)
    assert '<html lang="da">' in text(login)
    assert "Log ind" in text(login) and "Adgangskode" in text(login)
    email = add_user(app, "admin")
    token = TOKEN.search(text(login))
    assert token
    response = client.post(
        "/staff/login",
        data={"email": email, "password": "wrong", "csrf_token": token.group(1)},
        headers=danish,
    )
    assert "Log ind" in text(response) and "adgangskoden" in text(response)
    assert sign_in(client, email).status_code == 302
    uuid = api_issue(client, auth, "da-1")
    pages = {
        "/staff/": "Udstedte beviser",
        "/staff/credentials": "Søg",
        f"/staff/credentials/{uuid}": "Tilbagekald",
        f"/staff/credentials/{uuid}/status/revoke": "Begrundelse",
        "/staff/issue": "Udstedende organisationer",
        "/staff/bulk": "Masseudstedelse",
        "/staff/specifications/new": "Læringsudbytte",
        "/staff/audit": "Revisionslog",
    }
    for path, words in pages.items():
        page = client.get(path, headers=danish)
        assert page.status_code == 200, path
        assert words in text(page), path
    refused = post(client, NEW, {})
    assert "Feltet skal udfyldes." in text(
        client.post(NEW, data={"csrf_token": csrf(client, NEW)}, headers=danish)
    )
    assert refused.status_code == 422


# --- the demo ---------------------------------------------------------------------------------


def test_the_demo_has_a_staff_user_per_organisation(app):
    with transaction(app) as session:
        demo = create_demo(
            session, base_url=BASE_URL, passphrase=PASSPHRASE.encode(), staff_password="s3cret"
        )
        assert demo.staff_logins == {demo_staff_email(o.slug): "s3cret" for o in demo.organisations}
        users = session.scalars(select(User).order_by(User.id)).all()
        assert [u.role for u in users] == [Role.ADMIN] * 3
        assert add_demo_staff(session, demo.organisations) == {}  # idempotent
    client = app.test_client()
    assert sign_in(client, demo_staff_email(LYON), "s3cret").status_code == 302
    assert "Université de Lyon" in text(client.get("/staff/"))
