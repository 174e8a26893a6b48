"""The learner's record: one page for all of a learner's credentials (across specifications),
reached by any of their management links or a sign-in link (API, CLI); set links over a chosen
set (a presentation: created, opened and counted, withdrawn → 410), LinkedIn's add-certification
link and the Open Badges 3.0 download — on credentials issued through the API."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from demo.partnership import DEMO_SPECIFICATION
from issuer.api.learner_schemas import MAX_SET_CREDENTIALS as DOCUMENTED_MAX
from issuer.db import transaction
from issuer.learner_models import SetLink, SetLinkOpen
from issuer.models import AuditEvent, Learner, utcnow
from issuer.sharing import set_links
from issuer.sharing.record import learner_by_key, new_signin_link
from issuer.sharing.set_links import KEEP_OPENS, MAX_SET_CREDENTIALS, record_open
from tests.issuer.conftest import BASE_URL

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
DANISH = {**BROWSER, "Accept-Language": "da"}
SECOND_SPEC = {
    **DEMO_SPECIFICATION,
    "slug": "offshore-safety",
    "title": {"en": "Offshore Wind Safety", "da": "Sikkerhed på havvindmøller"},
}


def issue(client, auth, reference="s-1", specification=None, **learner) -> dict:
    """A credential issued through the JSON API; its id, uuid and management token."""
    body = {
        "specification": specification or DEMO_SPECIFICATION["slug"],
        "learner": {
            "reference": reference,
            "givenName": "Ana",
            "familyName": "Andersen",
            **learner,
        },
    }
    response = client.post("/api/v1/credentials", json=body, headers=auth("issuer"))
    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    uri = answer["credential"]["id"]
    return {
        "id": uri,
        "uuid": uri.removeprefix("urn:uuid:"),
        "key": answer["learnerManageUrl"].rsplit("/", 1)[1],
    }


@pytest.fixture
def record(client, auth) -> dict:
    """Ana's three credentials of two specifications (one revoked), and Bo's one."""
    created = client.post("/api/v1/specifications", json=SECOND_SPEC, headers=auth("admin"))
    assert created.status_code == 201, created.get_json()
    first = issue(client, auth, email="ana@example.org")
    second = issue(client, auth, specification="offshore-safety")
    third = issue(client, auth)
    revoked = client.post(
        f"/api/v1/credentials/{third['uuid']}/revoke", json={}, headers=auth("issuer")
    )
    assert revoked.status_code == 200, revoked.get_json()
    bo = issue(client, auth, reference="s-2", givenName="Bo", familyName="Berg")
    return {"ana": [first, second, third], "bo": bo}


def _page(client, path: str, headers=BROWSER) -> str:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return unescape(response.get_data(as_text=True))


def _csrf(html: str) -> dict:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    return {"csrf_token": found.group(1)} if found else {}


# --- the record and how it is reached ----------------------------------------------------------


def test_any_management_link_opens_the_whole_record(client, record):
    ana = record["ana"]
    for credential in ana:
        html = _page(client, f"/record/{credential['key']}")
        assert "Your credentials" in html and "Ana Andersen" in html
        assert html.count('name="credential"') == 3
        for mine in ana:
            assert mine["uuid"] in html
        assert record["bo"]["uuid"] not in html
    html = _page(client, f"/record/{ana[0]['key']}")
    assert "Offshore Wind Safety" in html and "Green Data Analytics" in html
    assert "Revoked" in html
    # the management page links to the record
    assert f"/record/{ana[0]['key']}" in _page(client, f"/learner/{ana[0]['key']}")


def test_unknown_record_link_is_404(client, record):
    response = client.get("/record/not-a-key", headers=BROWSER)
    assert response.status_code == 404
    assert 'data-error-code="unknown_record_link"' in response.get_data(as_text=True)
    assert client.get("/api/v1/learner/not-a-key/record").status_code == 404


def test_signin_link_by_email_through_the_api(client, auth, record):
    response = client.post(
        "/api/v1/learners/signin-link", json={"email": "ANA@example.org"}, headers=auth("issuer")
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["email"] == "ana@example.org" and body["learner"] == "s-1"
    assert body["signinUrl"].startswith(f"{BASE_URL}/record/")
    key = body["signinUrl"].rsplit("/", 1)[1]
    assert record["ana"][2]["uuid"] in _page(client, f"/record/{key}")
    refused = client.post(
        "/api/v1/learners/signin-link", json={"reference": "nobody"}, headers=auth("issuer")
    )
    assert refused.status_code == 404 and refused.get_json()["error"]["code"] == "unknown_learner"
    viewer = client.post(
        "/api/v1/learners/signin-link", json={"reference": "s-1"}, headers=auth("viewer")
    )
    assert viewer.status_code == 403
    neither = client.post("/api/v1/learners/signin-link", json={}, headers=auth("issuer"))
    assert neither.status_code == 422


def test_signin_link_expires(app, record):
    with transaction(app) as session:
        learner = session.scalar(select(Learner).where(Learner.reference == "s-1"))
        past = utcnow() - timedelta(days=8)
        link = new_signin_link(session, learner, base_url=BASE_URL, actor="test", now=past)
        token = link.token
        event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert event.action == "learner_signin_link"
    with transaction(app) as session, pytest.raises(Exception) as refused:
        learner_by_key(session, token)
    assert getattr(refused.value, "code", None) == "unknown_record_link"


def test_signin_link_from_the_command_line(cli, app, record):
    result = cli(
        "learners", "signin-link", "--partnership", "green-skills-alliance", "--reference", "s-2"
    )
    assert result.exit_code == 0, result.output
    url, to, expires = result.output.strip().splitlines()
    assert url.startswith("https://") and "/record/" in url
    assert to == "to: (no e-mail address known)" and expires.startswith("expires: ")
    with transaction(app) as session:
        assert learner_by_key(session, url.rsplit("/", 1)[1]).reference == "s-2"


# --- set links -----------------------------------------------------------------------------------


def test_set_link_from_the_page_opened_counted_and_withdrawn(client, record):
    ana = record["ana"]
    key = ana[1]["key"]
    html = _page(client, f"/record/{key}")
    response = client.post(
        f"/record/{key}/sets",
        data={
            "credential": [ana[0]["uuid"], ana[1]["uuid"]],
            "label": "For Nordic Wind",
            **_csrf(html),
        },
        headers=BROWSER,
    )
    assert response.status_code == 303
    html = _page(client, response.headers["Location"])
    assert "New set link created." in html and "For Nordic Wind" in html
    url = re.search(r'href="(https://issuer\.example/s/[^"]+)"', html).group(1)
    path = urlsplit(url).path

    presented = client.get(path, headers={"Accept": "application/ld+json"})
    assert presented.status_code == 200
    assert presented.mimetype == "application/ld+json"
    document = presented.get_json()
    assert document["type"] == ["VerifiablePresentation"] and document["id"] == url
    assert [c["id"] for c in document["verifiableCredential"]] == [ana[0]["id"], ana[1]["id"]]
    assert "proof" not in document and "holder" not in document
    assert all("proof" in c for c in document["verifiableCredential"])
    page = _page(client, path)
    assert "Offshore Wind Safety" in page and "/verify?url=" in page
    assert client.get(f"{path}/qr.svg").mimetype == "image/svg+xml"

    html = _page(client, f"/record/{key}")
    assert "2 times" in html  # the presentation and the page; QR codes are no opens
    assert "Only the time is recorded" in html

    confirm = _page(client, f"/record/{key}/sets/{path.rsplit('/', 1)[1]}/withdraw")
    assert "Withdraw this link?" in confirm
    response = client.post(
        f"/record/{key}/sets/{path.rsplit('/', 1)[1]}/withdraw",
        data=_csrf(confirm),
        headers=BROWSER,
    )
    assert response.status_code == 303
    gone = client.get(path, headers={"Accept": "application/ld+json"})
    assert gone.status_code == 410
    assert gone.get_json()["error"]["code"] == "set_link_withdrawn"
    page = client.get(path, headers=BROWSER)
    assert page.status_code == 410 and "has been withdrawn" in page.get_data(as_text=True)
    assert client.get(f"{path}/qr.png").status_code == 410


def test_set_link_form_refusals(client, record):
    key = record["ana"][0]["key"]
    html = _page(client, f"/record/{key}")
    empty = client.post(f"/record/{key}/sets", data=_csrf(html), headers=BROWSER)
    assert empty.status_code == 422
    assert "Choose at least one credential." in empty.get_data(as_text=True)
    theirs = client.post(
        f"/record/{key}/sets",
        data={"credential": [record["bo"]["uuid"]], **_csrf(html)},
        headers=BROWSER,
    )
    assert theirs.status_code == 422


def test_set_links_through_the_api(client, record):
    ana, bo = record["ana"], record["bo"]
    base = f"/api/v1/learner/{ana[0]['key']}"
    answer = client.get(f"{base}/record").get_json()
    assert answer["learner"] == "Ana Andersen"
    assert {c["id"] for c in answer["credentials"]} == {c["id"] for c in ana}
    assert answer["setLinks"] == []

    created = client.post(
        f"{base}/set-links",
        json={
            "credentials": [ana[1]["uuid"], ana[0]["id"]],
            "label": "CV",
            "expiresAt": (utcnow() + timedelta(days=3)).isoformat(),
        },
    )
    assert created.status_code == 201, created.get_json()
    link = created.get_json()
    assert link["credentials"] == [ana[1]["id"], ana[0]["id"]]
    assert link["live"] and link["openCount"] == 0 and link["expiresAt"]
    assert link["verifyUrl"].startswith("https://verifier.example/verify?url=")
    token = link["token"]
    client.get(f"/s/{token}")  # no Accept: a program gets the presentation
    again = client.get(f"{base}/set-links/{token}").get_json()
    assert again["openCount"] == 1 and len(again["opens"]) == 1

    for refused, code in [
        ({"credentials": []}, "empty_set"),
        ({"credentials": [bo["uuid"]]}, "unknown_credential"),
        ({"credentials": "all"}, "invalid_input"),
        ({"credentials": [ana[0]["uuid"]], "expiresAt": "2001-01-01T00:00:00Z"}, "invalid_input"),
    ]:
        response = client.post(f"{base}/set-links", json=refused)
        assert response.status_code == 422, refused
        assert response.get_json()["error"]["code"] == code
    # another learner's record cannot see or withdraw the link
    assert client.delete(f"/api/v1/learner/{bo['key']}/set-links/{token}").status_code == 404
    assert client.delete(f"{base}/set-links/{token}").status_code == 204
    assert client.delete(f"{base}/set-links/{token}").status_code == 204
    assert client.get(f"/s/{token}").status_code == 410
    assert client.get(f"{base}/set-links/{token}").get_json()["live"] is False


def test_set_limits_match_the_documented_ones():
    assert MAX_SET_CREDENTIALS == DOCUMENTED_MAX == 10


def test_opens_keep_the_count_and_the_latest_moments(app, record, client):
    key = record["ana"][0]["key"]
    created = client.post(
        f"/api/v1/learner/{key}/set-links", json={"credentials": [record["ana"][0]["uuid"]]}
    )
    token = created.get_json()["token"]
    with transaction(app) as session:
        link = session.scalar(select(SetLink).where(SetLink.token == token))
        for _ in range(KEEP_OPENS + 5):
            record_open(session, link)
        assert link.open_count == KEEP_OPENS + 5
        kept = session.scalars(select(SetLinkOpen).where(SetLinkOpen.set_link_id == link.id))
        assert len(list(kept)) == KEEP_OPENS
        assert len(set_links.recent_opens(session, link)) == KEEP_OPENS


# --- LinkedIn and Open Badges ------------------------------------------------------------------


def test_add_to_linkedin_points_at_a_lasting_share_link(client, record):
    credential = record["ana"][0]
    html = _page(client, f"/record/{credential['key']}")
    response = client.post(
        f"/record/{credential['key']}/credentials/{credential['uuid']}/linkedin",
        data=_csrf(html),
        headers=BROWSER,
    )
    assert response.status_code == 303
    target = urlsplit(response.headers["Location"])
    assert (target.netloc, target.path) == ("www.linkedin.com", "/profile/add")
    query = {name: values[0] for name, values in parse_qs(target.query).items()}
    assert query["startTask"] == "CERTIFICATION_NAME"
    assert query["name"] == "Green Data Analytics"
    assert query["organizationName"] == "Aarhus Demo University"
    assert query["certId"] == credential["id"]
    now = utcnow()
    assert (query["issueYear"], query["issueMonth"]) == (str(now.year), str(now.month))
    shared = urlsplit(query["certUrl"]).path
    assert (
        client.get(shared, headers={"Accept": "application/ld+json"}).get_json()["id"]
        == (credential["id"])
    )
    again = client.post(
        f"/api/v1/learner/{credential['key']}/credentials/{credential['uuid']}/linkedin"
    ).get_json()
    assert urlsplit(again["shareUrl"]).path == shared  # the same lasting link, not a new one


def test_open_badge_download_from_the_page_and_the_apis(client, auth, record):
    credential = record["ana"][0]
    response = client.get(f"/record/{credential['key']}/credentials/{credential['uuid']}/ob3.json")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    badge = json.loads(response.get_data())
    assert badge["type"] == ["VerifiableCredential", "AchievementCredential"]
    assert badge["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    learner_api = client.get(
        f"/api/v1/learner/{credential['key']}/credentials/{credential['uuid']}/ob3"
    )
    staff_api = client.get(f"/api/v1/credentials/{credential['uuid']}/ob3", headers=auth("viewer"))
    for answer in (learner_api, staff_api):
        assert answer.status_code == 200 and answer.mimetype == "application/ld+json"
        assert answer.get_json()["id"] == badge["id"]
    revoked = record["ana"][2]
    refused = client.get(f"/api/v1/learner/{revoked['key']}/credentials/{revoked['uuid']}/ob3")
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "credential_revoked"
    # another learner's credential is not in this record
    bo = record["bo"]
    assert (
        client.get(f"/record/{credential['key']}/credentials/{bo['uuid']}/ob3.json").status_code
        == 404
    )


def test_record_page_in_danish(client, record):
    html = _page(client, f"/record/{record['ana'][0]['key']}", headers=DANISH)
    assert 'lang="da"' in html
    assert "Your credentials" not in html and "Add to LinkedIn profile" not in html
