"""Share links: the public page and JSON-LD, QR codes, the learner's management API and the
staff endpoint."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from PIL import Image
from sqlalchemy import select

from demo.reference import demo_award
from issuer.auth.tokens import create_token
from issuer.credentials.issuance import LearnerInput, issue_credential
from issuer.db import transaction
from issuer.models import (
    AuditEvent,
    CredentialState,
    IssuedCredential,
    Learner,
    Organisation,
    Role,
    ShareLink,
    Specification,
    TokenScope,
    utcnow,
)
from issuer.partnerships.services import (
    add_organisation,
    create_partnership,
    organisation_data,
    signing_keypair,
)
from issuer.sharing.links import (
    create_share_link,
    hash_manage_token,
    new_token,
    share_url,
    verify_url,
)
from issuer.sharing.qr import QR_BORDER, QR_BOX_SIZE, qr_code
from keys.proof import add_proof
from schemas.elm.build import Learner as LearnerData
from schemas.elm.build import build_microcredential
from tests.issuer.conftest import BASE_URL, PASSPHRASE

VERIFIER = "https://verifier.example"
YESTERDAY = utcnow() - timedelta(days=1)
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
JSONLD = {"Accept": "application/ld+json"}


@dataclass(frozen=True)
class Shared:
    """A stored credential with one share link and the learner's management token."""

    credential_id: int
    uri: str
    uuid: str
    document: str
    token: str
    manage_token: str

    @property
    def page(self) -> str:
        return f"/c/{self.token}"

    @property
    def links(self) -> str:
        return f"/api/v1/learner/{self.manage_token}/share-links"


def store_credential(
    app,
    demo,
    *,
    number: int = 1,
    given_name: str = "Ana",
    family_name: str = "Andersen",
    valid_until: datetime | None = None,
    share_expires: datetime | None = None,
    organisation_id: int | None = None,
    specification_id: int | None = None,
    partnership_id: int | None = None,
) -> Shared:
    """Insert a credential signed by the organisation's key (no issuance service needed)."""
    with transaction(app) as session:
        organisation = session.get(Organisation, organisation_id or demo.organisations[0].id)
        keypair = signing_keypair(organisation, PASSPHRASE.encode())
        body = organisation_data(organisation)
        award = demo_award(body, [body], number=number)
        learner_data = LearnerData(
            given_name=given_name, family_name=family_name, id=f"urn:microcred:learner:{number}"
        )
        award = replace(award, learner=learner_data, valid_until=valid_until)
        signed = add_proof(build_microcredential(award), keypair)
        text = json.dumps(signed, indent=2, ensure_ascii=False) + "\n"
        learner = Learner(
            partnership_id=partnership_id or demo.partnership.id,
            reference=f"student-{number}",
            subject_id=learner_data.id,
            given_name=given_name,
            family_name=family_name,
        )
        session.add(learner)
        session.flush()
        manage_token = new_token()
        credential = IssuedCredential(
            credential_uri=signed["id"],
            partnership_id=partnership_id or demo.partnership.id,
            issuer_id=organisation.id,
            specification_id=specification_id or demo.specification.id,
            learner_id=learner.id,
            document=text,
            manage_token_hash=hash_manage_token(manage_token),
        )
        session.add(credential)
        session.flush()
        link = create_share_link(session, credential, expires_at=share_expires)
        return Shared(
            credential.id,
            signed["id"],
            signed["id"].removeprefix("urn:uuid:"),
            text,
            link.token,
            manage_token,
        )


@pytest.fixture
def shared(app, demo) -> Shared:
    return store_credential(app, demo)


def set_link(app, token: str, **values) -> None:
    with transaction(app) as session:
        link = session.scalar(select(ShareLink).where(ShareLink.token == token))
        for name, value in values.items():
            setattr(link, name, value)


def set_state(app, credential_id: int, state: CredentialState) -> None:
    with transaction(app) as session:
        session.get(IssuedCredential, credential_id).state = state


def audit_actions(app, credential_id: int) -> list[tuple[str, str]]:
    with transaction(app) as session:
        events = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.credential_id == credential_id)
            .order_by(AuditEvent.id)
        )
        return [(event.action, event.actor) for event in events]


def assert_private(response) -> None:
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Robots-Tag"] == "noindex"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def error_code(response) -> str:
    return response.get_json()["error"]["code"]


# --- JSON-LD ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "query"),
    [
        (JSONLD, ""),
        ({"Accept": "application/json"}, ""),
        ({"Accept": "application/ld+json;q=0.9, text/html;q=0.8"}, ""),
        ({"Accept": "application/*"}, ""),
        (BROWSER, "?format=jsonld"),
        ({}, ""),  # no Accept header at all: a program, not a browser
    ],
)
def test_json_clients_get_the_stored_document_byte_for_byte(client, shared, headers, query):
    response = client.get(shared.page + query, headers=headers)
    assert response.status_code == 200
    assert response.data == shared.document.encode("utf-8")
    assert response.headers["Content-Type"] == "application/ld+json"
    assert response.headers["Content-Disposition"] == "inline"
    assert_private(response)


def test_download_is_an_attachment_named_by_uuid(client, shared):
    response = client.get(shared.page + "?download=1", headers=BROWSER)
    assert response.status_code == 200
    assert response.data == shared.document.encode("utf-8")
    assert response.headers["Content-Type"] == "application/ld+json"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{shared.uuid}.jsonld"'
    )
    assert shared.uuid == "00000000-0000-4000-8000-000000000001"


def test_revoked_credentials_are_still_served_as_json(app, client, shared):
    set_state(app, shared.credential_id, CredentialState.REVOKED)
    response = client.get(shared.page, headers=JSONLD)
    assert response.status_code == 200  # the verifier reads the status list and says revoked
    assert response.data == shared.document.encode("utf-8")


# --- the HTML page ----------------------------------------------------------------------------


def test_browsers_get_the_credential_page(client, shared):
    response = client.get(shared.page, headers=BROWSER)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert_private(response)
    page = response.get_data(as_text=True)
    assert '<html lang="en">' in page
    assert '<h1><span lang="en">Green Data Analytics</span></h1>' in page
    assert "Ana Andersen" in page
    assert "Aarhus Demo University" in page
    assert '<time datetime="2026-06-30">June 30, 2026</time>' in page  # the reader's long date
    assert "5 ECTS credits" in page
    assert "EQF level 6" in page
    for n in (1, 2, 3):
        assert f"Outcome {n}: apply data analysis to sustainability question {n}" in page
    assert "Credential status: <strong>Active</strong>" in page
    assert f'href="/c/{shared.token}?format=jsonld"' in page
    assert f'href="/c/{shared.token}?download=1"' in page
    assert f'src="/c/{shared.token}/qr.svg"' in page  # the page shows the SVG QR code
    assert f'href="/c/{shared.token}/qr.png"' in page
    assert f'href="/c/{shared.token}/qr.svg"' in page
    assert f'href="/c/{shared.token}/certificate.pdf"' in page
    expected = verify_url(VERIFIER, share_url(BASE_URL, shared.token))
    assert f'href="{expected}"' in page
    assert "Share link expires: never" in page
    assert "Credential valid until" in page and "No expiry date" in page


@pytest.mark.parametrize(
    ("state", "label"),
    [(CredentialState.REVOKED, "Revoked"), (CredentialState.SUSPENDED, "Suspended")],
)
def test_page_shows_revoked_and_suspended(app, client, shared, state, label):
    set_state(app, shared.credential_id, state)
    page = client.get(shared.page, headers=BROWSER).get_data(as_text=True)
    assert f'class="state state-{state.value}"' in page
    assert f"Credential status: <strong>{label}</strong>" in page
    assert "no longer valid" in page if state is CredentialState.REVOKED else "not valid" in page


def test_share_link_expiry_is_shown_apart_from_credential_expiry(app, client, demo):
    link_expiry = datetime(2031, 1, 2, 3, 4, tzinfo=UTC)
    shared = store_credential(
        app,
        demo,
        valid_until=datetime(2030, 12, 31, tzinfo=UTC),
        share_expires=link_expiry,
    )
    page = client.get(shared.page, headers=BROWSER).get_data(as_text=True)
    share_part = page[page.index('id="share-link-expiry"') :]
    assert "Share link expires: " in share_part
    assert '<time datetime="2031-01-02T03:04:00Z">January 2, 2031 03:04 UTC</time>' in share_part
    assert "not when the credential expires" in share_part
    credential_part = page[page.index('id="credential-expiry"') :]
    assert credential_part.startswith(
        'id="credential-expiry"><time datetime="2030-12-31">December 31, 2030</time>'
    )


def test_credential_text_is_escaped(app, client, demo):
    shared = store_credential(
        app, demo, given_name="<script>alert(1)</script>", family_name='"&<b>'
    )
    page = client.get(shared.page, headers=BROWSER).get_data(as_text=True)
    assert "<script>" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &#34;&amp;&lt;b&gt;" in page


# --- unavailable links ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"withdrawn_at": YESTERDAY}, "share_link_withdrawn"),
        ({"expires_at": YESTERDAY}, "share_link_expired"),
        (
            {"withdrawn_at": YESTERDAY, "expires_at": utcnow()},
            "share_link_withdrawn",
        ),
    ],
)
def test_withdrawn_or_expired_link_is_gone(app, client, shared, change, code):
    set_link(app, shared.token, **change)
    for path in (shared.page, shared.page + "/qr.png", shared.page + "/qr.svg"):
        response = client.get(path, headers=JSONLD)
        assert response.status_code == 410
        assert error_code(response) == code
        assert_private(response)
    response = client.get(shared.page + "?format=jsonld", headers=BROWSER)
    assert response.status_code == 410 and error_code(response) == code
    response = client.get(shared.page, headers=BROWSER)
    assert response.status_code == 410
    assert response.mimetype == "text/html"
    assert f'data-error-code="{code}"' in response.get_data(as_text=True)
    assert "Green Data Analytics" not in response.get_data(as_text=True)
    assert_private(response)


@pytest.mark.parametrize("token", ["nope", "x" * 65, new_token()], ids=["short", "long", "fresh"])
def test_unknown_link_is_404(client, demo, token):
    response = client.get(f"/c/{token}", headers=JSONLD)
    assert response.status_code == 404
    assert error_code(response) == "unknown_share_link"
    assert_private(response)
    response = client.get(f"/c/{token}", headers=BROWSER)
    assert response.status_code == 404
    assert 'data-error-code="unknown_share_link"' in response.get_data(as_text=True)
    assert client.get(f"/c/{token}/qr.png", headers=JSONLD).status_code == 404


# --- QR codes ---------------------------------------------------------------------------------


def test_qr_encodes_the_verifier_url(shared):
    url = share_url(BASE_URL, shared.token)
    assert url == f"https://issuer.example/c/{shared.token}"
    encoded = verify_url(VERIFIER, url)
    assert encoded == f"https://verifier.example/verify?url={quote(url, safe='')}"
    assert encoded.startswith(
        "https://verifier.example/verify?url=https%3A%2F%2Fissuer.example%2Fc%2F"
    )
    assert parse_qs(urlsplit(encoded).query) == {"url": [url]}
    assert verify_url(VERIFIER + "/", url) == encoded


def expected_matrix(shared: Shared) -> list[list[bool]]:
    code = qr_code(verify_url(VERIFIER, share_url(BASE_URL, shared.token)))
    return code.get_matrix()  # includes the quiet zone


def test_qr_png_holds_the_verifier_url(client, shared):
    response = client.get(shared.page + "/qr.png")
    assert response.status_code == 200
    assert response.content_type == "image/png"
    assert response.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert_private(response)
    matrix = expected_matrix(shared)
    image = Image.open(io.BytesIO(response.data)).convert("L")
    assert image.size == (len(matrix) * QR_BOX_SIZE,) * 2
    half = QR_BOX_SIZE // 2
    modules = [
        [
            image.getpixel((x * QR_BOX_SIZE + half, y * QR_BOX_SIZE + half)) < 128
            for x in range(len(row))
        ]
        for y, row in enumerate(matrix)
    ]
    assert modules == matrix
    assert not any(modules[0]) and not any(row[0] for row in modules)  # quiet zone
    assert QR_BORDER == 4


def test_qr_svg_holds_the_verifier_url(client, shared):
    response = client.get(shared.page + "/qr.svg")
    assert response.status_code == 200
    assert response.content_type == "image/svg+xml; charset=utf-8"
    root = ET.fromstring(response.data)
    svg = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{svg}svg"
    matrix = expected_matrix(shared)
    assert root.get("viewBox") == f"0 0 {len(matrix)} {len(matrix)}"
    assert root.find(f"{svg}rect").get("fill") == "white"
    path = root.find(f"{svg}path").get("d")
    drawn = {(int(x), int(y)) for x, y in re.findall(r"M(\d+),(\d+)H", path)}
    dark = {(x, y) for y, row in enumerate(matrix) for x, cell in enumerate(row) if cell}
    assert drawn == dark


# --- the learner's management API -------------------------------------------------------------


def test_learner_lists_links(client, shared):
    response = client.get(shared.links)
    assert response.status_code == 200
    assert_private(response)
    body = response.get_json()
    assert body["credential"] == {"id": shared.uri, "state": "active"}
    [link] = body["shareLinks"]
    url = f"https://issuer.example/c/{shared.token}"
    assert link["token"] == shared.token
    assert link["url"] == url
    assert link["qr"] == {"png": url + "/qr.png", "svg": url + "/qr.svg"}
    assert link["verifyUrl"] == verify_url(VERIFIER, url)
    assert link["expiresAt"] is None and link["withdrawnAt"] is None
    assert link["live"] is True
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", link["createdAt"])


def test_learner_creates_links(app, client, shared):
    response = client.post(shared.links)
    assert response.status_code == 201
    first = response.get_json()
    assert first["expiresAt"] is None and first["live"] is True
    assert response.headers["Location"] == first["url"]
    response = client.post(shared.links, json={"expiresAt": "2040-01-31T12:00:00+01:00"})
    assert response.status_code == 201
    second = response.get_json()
    assert second["expiresAt"] == "2040-01-31T11:00:00Z"
    for created in (first, second):
        assert client.get(f"/c/{created['token']}", headers=JSONLD).data == shared.document.encode()
    tokens = [link["token"] for link in client.get(shared.links).get_json()["shareLinks"]]
    assert tokens == [shared.token, first["token"], second["token"]]
    assert audit_actions(app, shared.credential_id) == [("share_link_created", "learner")] * 2


@pytest.mark.parametrize(
    "body",
    [
        {"expiresAt": "2020-01-01T00:00:00Z"},  # in the past
        {"expiresAt": "2040-01-01T00:00:00"},  # no time zone
        {"expiresAt": "next tuesday"},
        {"expiresAt": 1_900_000_000},
    ],
)
def test_learner_create_refuses_bad_expiry(app, client, shared, body):
    response = client.post(shared.links, json=body)
    assert response.status_code == 422
    assert error_code(response) == "invalid_input"
    assert len(client.get(shared.links).get_json()["shareLinks"]) == 1
    assert audit_actions(app, shared.credential_id) == []


# "\n": whitespace alone is no JSON text (RFC 8259), and only a body of no bytes is absent;
# found by `make fuzz` (schemathesis sent it as schema-violating, and it was accepted).
@pytest.mark.parametrize("data", ["{", '["not", "an", "object"]', "\n", "  "])
def test_learner_create_refuses_malformed_json(app, client, shared, data):
    # One JSON reader for the whole API (issuer.edge.json_body): 400 invalid_json.
    response = client.post(shared.links, data=data, content_type="application/json")
    assert response.status_code == 400
    assert error_code(response) == "invalid_json"
    assert audit_actions(app, shared.credential_id) == []


def test_learner_sets_and_clears_expiry(app, client, shared):
    item = f"{shared.links}/{shared.token}"
    response = client.patch(item, json={"expiresAt": "2041-05-06T07:08:09Z"})
    assert response.status_code == 200
    assert response.get_json()["expiresAt"] == "2041-05-06T07:08:09Z"
    assert client.get(shared.links).get_json()["shareLinks"][0]["expiresAt"] == (
        "2041-05-06T07:08:09Z"
    )
    response = client.patch(item, json={"expiresAt": None})
    assert response.status_code == 200 and response.get_json()["expiresAt"] is None
    response = client.patch(item, json={})
    assert response.status_code == 422 and error_code(response) == "invalid_input"
    response = client.patch(item, json={"expiresAt": "2001-01-01T00:00:00Z"})
    assert response.status_code == 422
    assert audit_actions(app, shared.credential_id) == [("share_link_expiry_set", "learner")] * 2


def test_learner_can_revive_an_expired_link(app, client, shared):
    set_link(app, shared.token, expires_at=YESTERDAY)
    assert client.get(shared.page, headers=JSONLD).status_code == 410
    assert client.get(shared.links).get_json()["shareLinks"][0]["live"] is False
    future = (utcnow() + timedelta(days=7)).isoformat()
    assert (
        client.patch(f"{shared.links}/{shared.token}", json={"expiresAt": future}).status_code
        == 200
    )
    assert client.get(shared.page, headers=JSONLD).status_code == 200


def test_learner_withdraws_a_link(app, client, shared):
    item = f"{shared.links}/{shared.token}"
    response = client.delete(item)
    assert response.status_code == 204
    assert response.data == b""
    response = client.get(shared.page, headers=JSONLD)
    assert response.status_code == 410 and error_code(response) == "share_link_withdrawn"
    [link] = client.get(shared.links).get_json()["shareLinks"]
    assert link["live"] is False and link["withdrawnAt"] is not None
    # idempotent, and recorded once
    assert client.delete(item).status_code == 204
    assert (
        client.get(shared.links).get_json()["shareLinks"][0]["withdrawnAt"] == link["withdrawnAt"]
    )
    assert audit_actions(app, shared.credential_id) == [("share_link_withdrawn", "learner")]
    # a withdrawn link stays withdrawn
    response = client.patch(item, json={"expiresAt": None})
    assert response.status_code == 409 and error_code(response) == "share_link_withdrawn"


@pytest.mark.parametrize(
    "manage_token", ["nope", new_token(), "x" * 300], ids=["short", "fresh", "long"]
)
def test_bad_manage_token_is_404(client, shared, manage_token):
    base = f"/api/v1/learner/{manage_token}/share-links"
    for response in (
        client.get(base),
        client.post(base, json={}),
        client.patch(f"{base}/{shared.token}", json={"expiresAt": None}),
        client.delete(f"{base}/{shared.token}"),
    ):
        assert response.status_code == 404
        assert error_code(response) == "unknown_learner_link"
        assert shared.token not in response.get_data(as_text=True)
    assert client.get(shared.page, headers=JSONLD).status_code == 200


def test_learner_cannot_touch_another_credentials_link(app, client, demo, shared):
    other = store_credential(app, demo, number=2)
    for response in (
        client.patch(f"{shared.links}/{other.token}", json={"expiresAt": None}),
        client.delete(f"{shared.links}/{other.token}"),
        client.delete(f"{shared.links}/nope"),
    ):
        assert response.status_code == 404
        assert error_code(response) == "unknown_share_link"
    assert client.get(other.page, headers=JSONLD).status_code == 200


def test_share_links_per_credential_are_limited(app, client, shared, monkeypatch):
    monkeypatch.setattr("issuer.sharing.links.MAX_LINKS_PER_CREDENTIAL", 3)
    assert client.post(shared.links).status_code == 201
    assert client.post(shared.links).status_code == 201
    response = client.post(shared.links)
    assert response.status_code == 409 and error_code(response) == "share_link_limit"


def test_issued_credentials_share_link_and_manage_token_work(app, client, demo):
    """With the issuance service: its first share link and the learner's management token."""
    with transaction(app) as session:
        issued = issue_credential(
            session,
            issuer=session.get(Organisation, demo.organisations[0].id),
            specification=session.get(Specification, demo.specification.id),
            learner=LearnerInput(reference="s-77", given_name="Bo", family_name="Berg"),
            actor="test",
            base_url=BASE_URL,
            passphrase=PASSPHRASE.encode(),
        )
        token, manage_token = issued.share_link.token, issued.manage_token
        document = issued.credential.document
    response = client.get(f"/c/{token}", headers=JSONLD)
    assert response.status_code == 200 and response.data == document.encode("utf-8")
    assert "Bo Berg" in client.get(f"/c/{token}", headers=BROWSER).get_data(as_text=True)
    links = f"/api/v1/learner/{manage_token}/share-links"
    assert [link["token"] for link in client.get(links).get_json()["shareLinks"]] == [token]
    assert client.delete(f"{links}/{token}").status_code == 204
    assert client.get(f"/c/{token}", headers=JSONLD).status_code == 410


# --- staff ------------------------------------------------------------------------------------


def test_staff_create_a_share_link(app, client, demo, auth, shared):
    path = f"/api/v1/credentials/{shared.uuid}/share-links"
    response = client.post(path, headers=auth("issuer"))
    assert response.status_code == 201
    body = response.get_json()
    url = f"https://issuer.example/c/{body['token']}"
    assert body["url"] == url
    assert body["qr"] == {"png": url + "/qr.png", "svg": url + "/qr.svg"}
    assert client.get(f"/c/{body['token']}", headers=JSONLD).data == shared.document.encode()
    # Another member's token acts only on what its organisation awards (issuer.auth.scope) ...
    refused = client.post(path, headers=auth("admin", "lyon-demo-university"))
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"
    # ... unless it was granted the partnership scope.
    with transaction(app) as session:
        lyon = session.get(Organisation, demo.organisations[1].id)
        _, secret = create_token(
            session, lyon, Role.ISSUER, "lyon-partnership", scope=TokenScope.PARTNERSHIP
        )
    response = client.post(
        path,
        headers={"Authorization": f"Bearer {secret}"},
        json={"expiresAt": "2042-01-01T00:00:00Z"},
    )
    assert (
        response.status_code == 201 and response.get_json()["expiresAt"] == "2042-01-01T00:00:00Z"
    )
    assert audit_actions(app, shared.credential_id) == [
        ("share_link_created", "token:aarhus-demo-university-issuer"),
        ("share_link_created", "token:lyon-partnership"),
    ]
    assert (
        client.post(
            f"/api/v1/credentials/urn:uuid:{shared.uuid}/share-links", headers=auth()
        ).status_code
        == 201
    )


def test_staff_share_link_needs_the_issuer_role(client, auth, shared):
    path = f"/api/v1/credentials/{shared.uuid}/share-links"
    response = client.post(path)
    assert response.status_code == 401 and error_code(response) == "unauthorized"
    response = client.post(path, headers=auth("viewer"))
    assert response.status_code == 403 and error_code(response) == "forbidden"


def test_staff_cannot_share_another_partnerships_credential(app, client, demo, shared):
    with transaction(app) as session:
        partnership = create_partnership(session, "other-alliance", "Other Alliance")
        outsider = add_organisation(
            session,
            partnership,
            slug="outsider",
            legal_name="Outsider",
            country="SWE",
            country_label="Sweden",
            base_url=BASE_URL,
            passphrase=PASSPHRASE.encode(),
        )
        _, secret = create_token(session, outsider, Role.ADMIN, "outsider-admin")
    headers = {"Authorization": f"Bearer {secret}"}
    for ref in (shared.uuid, "00000000-0000-4000-8000-000000000099", "not-a-uuid"):
        response = client.post(f"/api/v1/credentials/{ref}/share-links", headers=headers)
        assert response.status_code == 404
        assert error_code(response) == "unknown_credential"
    assert len(client.get(shared.links).get_json()["shareLinks"]) == 1


def test_staff_renew_the_learner_management_link(client, auth):
    issued = client.post(
        "/api/v1/credentials",
        json={
            "specification": "green-data-analytics",
            "learner": {"reference": "renew-1", "givenName": "Ana", "familyName": "Berg"},
        },
        headers=auth("issuer"),
    ).get_json()
    old_token = issued["learnerManageUrl"].rsplit("/", 1)[-1]
    uuid = issued["credential"]["id"].rsplit(":", 1)[-1]
    assert client.get(f"/api/v1/learner/{old_token}/share-links").status_code == 200

    assert (
        client.post(f"/api/v1/credentials/{uuid}/learner-link", headers=auth("viewer")).status_code
        == 403
    )
    renewed = client.post(f"/api/v1/credentials/{uuid}/learner-link", headers=auth("issuer"))
    assert renewed.status_code == 201
    new_token = renewed.get_json()["manageToken"]
    assert renewed.get_json()["learnerManageUrl"].endswith(f"/learner/{new_token}")
    assert client.get(f"/api/v1/learner/{old_token}/share-links").status_code == 404
    assert client.get(f"/api/v1/learner/{new_token}/share-links").status_code == 200
    audit = client.get(f"/api/v1/audit?credential={uuid}", headers=auth("viewer")).get_json()
    actions = [event["action"] for event in audit.get("events", audit.get("items", []))]
    assert "learner_link_renewed" in actions
