"""The learner's pages: the credential page at the share link, its PDF certificate and the
learner's management page (plain HTML forms, POST-redirect-GET, audit events, CSRF)."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from html import unescape
from urllib.parse import quote, urlsplit

import pytest
import zxingcpp
from flask_wtf.csrf import CSRFProtect
from PIL import Image
from sqlalchemy import select

from demo.partnership import DEMO_SPECIFICATION
from demo.reference import reference_credential
from issuer.credentials import certificate
from issuer.credentials.certificate import certificate_pdf, latin1
from issuer.credentials.display import badge
from issuer.credentials.issuance import LearnerInput, issue_credential
from issuer.db import transaction
from issuer.errors import InvalidInput
from issuer.models import (
    AuditEvent,
    CredentialState,
    IssuedCredential,
    Organisation,
    ShareLink,
    Specification,
    utcnow,
)
from issuer.sharing.learner_views import expiry_from_form
from tests.issuer.conftest import BASE_URL, PASSPHRASE
from tests.pdf import read_pdf

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
DANISH = {**BROWSER, "Accept-Language": "da"}
JSONLD = {"Accept": "application/ld+json"}
VERIFIER = "https://verifier.example"
OUTCOMES = [outcome["title"]["en"] for outcome in DEMO_SPECIFICATION["learningOutcomes"]]


# --- issuing real credentials -----------------------------------------------------------------


def issue(client, demo, auth, **learner) -> dict:
    """A credential issued through the JSON API: its uuid, share token and management path."""
    body = {
        "specification": demo.specification.slug,
        "learner": {"reference": "s-1", "givenName": "Ana", "familyName": "Andersen", **learner},
        "awardingBodies": ["aarhus-demo-university", "lyon-demo-university"],
    }
    response = client.post("/api/v1/credentials", json=body, headers=auth("issuer"))
    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    manage = urlsplit(answer["learnerManageUrl"])
    assert f"{manage.scheme}://{manage.netloc}" == BASE_URL
    return {
        "uuid": answer["credential"]["id"].removeprefix("urn:uuid:"),
        "token": answer["shareUrl"].rsplit("/", 1)[1],
        "page": urlsplit(answer["shareUrl"]).path,
        "manage": manage.path,
        "manage_token": manage.path.rsplit("/", 1)[1],
    }


@pytest.fixture
def issued(client, demo, auth) -> dict:
    return issue(client, demo, auth)


def credential_id(app, token: str) -> int:
    with transaction(app) as session:
        return session.scalar(select(ShareLink.credential_id).where(ShareLink.token == token))


def links_of(app, token: str) -> list[ShareLink]:
    with transaction(app) as session:
        links = session.scalars(
            select(ShareLink)
            .where(ShareLink.credential_id == credential_id(app, token))
            .order_by(ShareLink.id)
        )
        return list(links)


def audit_actions(app, token: str) -> list[tuple[str, str]]:
    with transaction(app) as session:
        events = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.credential_id == credential_id(app, token))
            .where(AuditEvent.action.like("share_link%"))
            .order_by(AuditEvent.id)
        )
        return [(event.action, event.actor) for event in events]


def set_link(app, token: str, **values) -> None:
    with transaction(app) as session:
        link = session.scalar(select(ShareLink).where(ShareLink.token == token))
        for name, value in values.items():
            setattr(link, name, value)


def csrf_token(client, page: str) -> str | None:
    """The CSRF token the learner's forms carry (``None`` when the app has no CSRFProtect)."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html(client.get(page, headers=BROWSER)))
    return found.group(1) if found else None


def submit(client, manage: str, path: str, data: dict | None = None):
    """POST a form of the management page ``manage`` as a browser does: with the page's CSRF
    token when the app protects its forms (the issuer's CSRFProtect)."""
    data = dict(data or {})
    token = csrf_token(client, manage)
    if token is not None:
        data["csrf_token"] = token
    return client.post(path, data=data, headers=BROWSER)


def assert_private(response, referrer: str = "no-referrer") -> None:
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Robots-Tag"] == "noindex"
    assert response.headers["Referrer-Policy"] == referrer


def html(response) -> str:
    return response.get_data(as_text=True)


def visible_text(page: str) -> str:
    """The page's text without tags or scripts, entities decoded, blanks collapsed."""
    page = re.sub(r"<script.*?</script>", " ", page, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", page)).split())


# --- the credential page ----------------------------------------------------------------------


def test_credential_page_shows_the_credential(client, issued):
    response = client.get(issued["page"], headers=BROWSER)
    assert response.status_code == 200
    assert_private(response)
    page = html(response)
    text = visible_text(page)
    assert '<h1><span lang="en">Green Data Analytics</span></h1>' in page
    assert "Ana Andersen" in text
    # both awarding bodies, each with a generated badge hidden from screen readers, name as text
    for name, initials in (("Aarhus Demo University", "ADU"), ("Université de Lyon (démo)", "UL")):
        assert badge(name).initials == initials
        assert re.search(
            rf'<span class="org-badge org-badge-\d" aria-hidden="true">{initials}</span>'
            rf' <span class="org-name"><span lang="en">{re.escape(name)}</span></span>',
            page,
        )
    today = utcnow().date().isoformat()
    assert f'<time datetime="{today}">' in page
    assert "5 ECTS credits" in text and "EQF level 6" in text
    for outcome in OUTCOMES:
        assert outcome in text
    assert "Written project report with oral defence" in text  # the assessment
    assert 'class="state state-active"' in page
    # the QR code, with alternative text; downloads; the verifier
    token = issued["token"]
    img = re.search(r"<img [^>]*>", page).group()
    assert f'src="/c/{token}/qr.svg"' in img and re.search(r'alt="[^"]+"', img)
    assert f'href="/c/{token}?download=1"' in page
    assert f'href="/c/{token}/certificate.pdf"' in page
    verify = f"{VERIFIER}/verify?url=https%3A%2F%2Fissuer.example%2Fc%2F{token}"
    assert f'href="{verify}"' in page
    assert "Check this credential" in text
    # the link as visible text, and the copy button (hidden until the script shows it)
    share_url = f"{BASE_URL}/c/{token}"
    assert f'<a id="share-url" href="{share_url}">{share_url}</a>' in page
    button = re.search(r'<button type="button" class="copy-link"[^>]*>', page, re.S).group()
    assert 'data-copy-target="share-url"' in button and " hidden" in button
    assert '<script src="/static/js/copy-link.js" defer></script>' in page
    # share-link expiry and credential expiry are two labelled things
    assert 'id="share-link-expiry"' in page and 'id="credential-expiry"' in page
    assert page.index('id="credential-expiry"') != page.index('id="share-link-expiry"')


def test_copy_link_script_is_served(client):
    response = client.get("/static/js/copy-link.js")
    assert response.status_code == 200
    assert "navigator.clipboard" in html(response)
    response.close()


def test_page_escapes_credential_text(client, demo, auth):
    shared = issue(
        client,
        demo,
        auth,
        givenName="<script>alert(1)</script>",
        familyName='"><img src=x onerror=alert(2)>',
    )
    for path in (shared["page"], shared["manage"]):
        page = html(client.get(path, headers=BROWSER))
        assert "<script>alert(1)" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;" in page
    pdf = client.get(shared["page"] + "/certificate.pdf")
    text = " ".join(read_pdf(pdf.data).lines)  # the long name wraps
    assert '<script>alert(1)</script> "><img src=x onerror=alert(2)>' in text


def test_page_in_danish(client, issued):
    page = html(client.get(issued["page"], headers=DANISH))
    assert '<html lang="da">' in page
    assert '<h1><span lang="da">Grøn dataanalyse</span></h1>' in page  # the credential's Danish
    text = visible_text(page)
    for danish in ("Tildelt af", "Læringsudbytte", "Tjek dette bevis", "Hent PDF", "5 ECTS-point"):
        assert danish in text
    assert "Awarded by" not in text
    # the language switch is remembered for the next page
    client.get(issued["page"] + "?lang=da", headers=BROWSER)
    assert "Læringsudbytte" in visible_text(html(client.get(issued["page"], headers=BROWSER)))


@pytest.mark.parametrize("action", ["suspend", "revoke"])
def test_page_shows_suspended_and_revoked(client, auth, issued, action):
    response = client.post(f"/api/v1/credentials/{issued['uuid']}/{action}", headers=auth())
    assert response.status_code == 200
    state = {"suspend": "suspended", "revoke": "revoked"}[action]
    page = html(client.get(issued["page"], headers=BROWSER))
    assert f'<p class="state state-{state}" id="credential-state">' in page
    assert f"<strong>{state.capitalize()}</strong>" in page
    assert "state state-active" not in page
    danish = html(client.get(issued["page"], headers=DANISH))
    label = {"suspended": "Suspenderet", "revoked": "Tilbagekaldt"}[state]
    assert f"<strong>{label}</strong>" in danish
    manage = html(client.get(issued["manage"], headers=BROWSER))
    assert f'class="state state-{state}"' in manage


def test_share_link_expiry_is_labelled_apart_from_credential_expiry(app, client, demo, auth):
    response = client.post(
        "/api/v1/credentials",
        json={
            "specification": demo.specification.slug,
            "learner": {"reference": "s-9", "givenName": "Bo", "familyName": "Berg"},
            "validUntil": "2035-06-30T00:00:00Z",
        },
        headers=auth(),
    )
    token = response.get_json()["shareUrl"].rsplit("/", 1)[1]
    set_link(app, token, expires_at=datetime(2031, 1, 2, 3, 4, tzinfo=UTC))
    page = html(client.get(f"/c/{token}", headers=BROWSER))
    credential_part = page[page.index('id="credential-expiry"') :]
    assert credential_part.startswith('id="credential-expiry"><time datetime="2035-06-30">')
    share_part = page[page.index('id="share-link-expiry"') :]
    assert '<time datetime="2031-01-02T03:04:00Z">January 2, 2031 03:04 UTC</time>' in share_part


# --- the PDF ----------------------------------------------------------------------------------


def test_pdf_certificate(client, demo, auth):
    shared = issue(client, demo, auth, givenName="Søren Æblø", familyName="Lefèvre-Ångström")
    response = client.get(shared["page"] + "/certificate.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="microcredential-{shared["uuid"]}.pdf"'
    )
    assert_private(response)
    assert response.data.startswith(b"%PDF-")
    pdf = read_pdf(response.data)
    assert pdf.pages == 1
    assert pdf.size == (595.28, 841.89)  # A4
    assert len(pdf.images) == 1  # the QR code
    # the embedded Unicode font: DejaVu Sans, as subsets ("ABCDEF+DejaVuSans…")
    assert {font.partition("+")[2] for font in pdf.fonts} == {"DejaVuSansBook", "DejaVuSansBold"}
    bodies = "Aarhus Demo University · Université de Lyon (démo)"
    assert pdf.metadata["Title"] == "Green Data Analytics"
    assert pdf.metadata["Author"] == bodies
    assert pdf.metadata["Creator"] == "microcred"
    text = pdf.lines
    assert "Søren Æblø Lefèvre-Ångström" in text
    assert "Green Data Analytics" in text
    assert bodies in text
    for outcome in OUTCOMES:
        assert f"• {outcome}" in text  # one line each, after its bullet
    verify = f"{VERIFIER}/verify?url=https%3A%2F%2Fissuer.example%2Fc%2F{shared['token']}"
    assert verify in pdf.text.replace("\n", "")  # the URL wraps over lines
    assert "REVOKED" not in text and "SUSPENDED" not in text


def qr_codes(image: Image.Image) -> list[str]:
    """The text of every QR code zxing-cpp finds in ``image``."""
    found = zxingcpp.read_barcodes(image.convert("L"))
    assert all(code.format == zxingcpp.BarcodeFormat.QRCode for code in found)
    return [code.text for code in found]


def test_pdf_qr_code_opens_the_share_link_in_the_verifier(client, issued):
    """The certificate's QR code, decoded from the image in the PDF, is the verifier's URL of
    the share link: the same URL as the share page's QR code."""
    pdf = read_pdf(client.get(issued["page"] + "/certificate.pdf").data)
    assert len(pdf.images) == 1
    share = f"{BASE_URL}/c/{issued['token']}"
    verify = f"{VERIFIER}/verify?url={quote(share, safe='')}"
    assert verify == f"{VERIFIER}/verify?url=https%3A%2F%2Fissuer.example%2Fc%2F{issued['token']}"
    assert qr_codes(pdf.images[0]) == [verify]
    page_qr = Image.open(io.BytesIO(client.get(issued["page"] + "/qr.png").data))
    assert qr_codes(page_qr) == [verify]


def test_pdf_in_danish(client, issued):
    text = read_pdf(client.get(issued["page"] + "/certificate.pdf", headers=DANISH).data).lines
    assert "Grøn dataanalyse" in text
    assert "Læringsudbytte" in text


@pytest.mark.parametrize(("action", "mark"), [("revoke", "REVOKED"), ("suspend", "SUSPENDED")])
def test_pdf_marks_revoked_and_suspended(client, auth, issued, action, mark):
    client.post(f"/api/v1/credentials/{issued['uuid']}/{action}", headers=auth())
    pdf = read_pdf(client.get(issued["page"] + "/certificate.pdf").data)
    assert pdf.pages == 1
    assert pdf.lines.count(mark) == 2  # the banner and the watermark across the page


def test_many_learning_outcomes_fit_one_page():
    urls = {"share_url": "https://i.example/c/x", "verify_url": "https://v.example/verify?url=x"}
    # all of them, in a smaller font (18: the page also lists every other Annex I element)
    for outcomes in (12, 18):
        pdf = read_pdf(
            certificate_pdf(reference_credential(outcomes=outcomes), state="active", **urls)
        )
        text = pdf.lines
        assert pdf.pages == 1
        last = f"Outcome {outcomes}: apply data analysis to sustainability question {outcomes}"
        assert f"• {last}" in text
        assert not any(line.startswith("… and") for line in text)
    pdf = read_pdf(certificate_pdf(reference_credential(outcomes=80), state="active", **urls))
    text = pdf.lines
    assert pdf.pages == 1
    shown = [line for line in text if line.startswith("• Outcome ")]
    assert 10 < len(shown) < 80
    assert f"… and {80 - len(shown)} more" in text


def test_long_texts_stay_on_one_page():
    document = reference_credential(outcomes=40)
    subject = document["credentialSubject"]
    subject["fullName"] = {"en": "Maximiliane " * 30}
    subject["hasClaim"]["title"] = {"en": "A very long title of a micro-credential " * 10}
    outcomes = subject["hasClaim"]["specifiedBy"]["learningOutcome"]
    outcomes[0]["title"] = {"en": "An outcome that goes on and on " * 40}
    pdf = read_pdf(
        certificate_pdf(document, share_url="https://i.example/c/x", verify_url="v", state="")
    )
    assert pdf.pages == 1
    assert any(line.startswith("… and") for line in pdf.lines)


def test_pdf_without_dejavu_falls_back_to_helvetica(monkeypatch, tmp_path):
    monkeypatch.setattr(certificate, "FONT_DIR", tmp_path)  # no font files here
    document = reference_credential()
    document["credentialSubject"]["fullName"] = {"en": "Søren Łukasz “Zoë” Ørsted"}
    pdf = read_pdf(certificate_pdf(document, share_url="s", verify_url="v", state="revoked"))
    assert pdf.pages == 1
    assert pdf.fonts == {"Helvetica", "Helvetica-Bold"}  # the core fonts, no DejaVu
    text = pdf.lines
    assert 'Søren Lukasz "Zoë" Ørsted' in text  # Latin-1 kept, the rest transliterated
    assert "REVOKED" in text
    assert latin1("ł→…œ") == "l?...oe"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"withdrawn_at": utcnow() - timedelta(days=1)}, "share_link_withdrawn"),
        ({"expires_at": utcnow() - timedelta(days=1)}, "share_link_expired"),
    ],
)
def test_pdf_of_an_unavailable_link_is_gone(app, client, issued, change, code):
    set_link(app, issued["token"], **change)
    path = issued["page"] + "/certificate.pdf"
    response = client.get(path, headers=BROWSER)
    assert response.status_code == 410
    assert response.mimetype == "text/html"
    assert f'data-error-code="{code}"' in html(response)
    assert_private(response)
    response = client.get(path, headers=JSONLD)
    assert response.status_code == 410 and response.get_json()["error"]["code"] == code
    assert client.get(issued["page"], headers=BROWSER).status_code == 410  # same as the page
    assert client.get("/c/nope/certificate.pdf", headers=BROWSER).status_code == 404


# --- the management page ----------------------------------------------------------------------


def test_manage_page_lists_the_links(client, issued):
    response = client.get(issued["manage"], headers=BROWSER)
    assert response.status_code == 200
    assert_private(response, referrer="same-origin")
    page = html(response)
    token = issued["token"]
    assert f'href="{BASE_URL}/c/{token}">{BASE_URL}/c/{token}</a>' in page
    assert 'data-state="live"' in page
    assert '<form method="post" action="/learner/' in page
    assert f'action="{issued["manage"]}/links"' in page
    assert f'action="{issued["manage"]}/links/{token}/expiry"' in page
    assert f'href="{issued["manage"]}/links/{token}/withdraw"' in page
    assert '<label for="new-expiry">' in page and 'id="new-expiry"' in page
    assert f'<label for="expiry-{token}">' in page and f'id="expiry-{token}"' in page
    assert ('name="csrf_token"' in page) == ("csrf" in client.application.extensions)


def test_manage_page_in_danish(client, issued):
    text = visible_text(html(client.get(issued["manage"], headers=DANISH)))
    assert "Dine delingslinks" in text and "Opret link" in text and "Aktivt" in text


def test_create_a_link_with_expiry(app, client, issued):
    day = (utcnow() + timedelta(days=10)).date()
    response = submit(
        client, issued["manage"], f"{issued['manage']}/links", {"expires_on": day.isoformat()}
    )
    assert response.status_code == 303
    new = links_of(app, issued["token"])[-1]
    assert response.headers["Location"] == f"{issued['manage']}#link-{new.id}"
    assert new.expires_at == datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC)
    assert audit_actions(app, issued["token"]) == [("share_link_created", "learner")]
    assert client.get(f"/c/{new.token}", headers=JSONLD).status_code == 200
    page = html(client.get(response.headers["Location"], headers=BROWSER))  # the GET of PRG
    assert 'role="status"' in page  # "New share link created."
    card = page[page.index(f'id="link-{new.id}"') :]
    assert f'<time datetime="{new.expires_at.isoformat()}">' in card
    assert f"end of {day:%B} {day.day}, {day.year} (UTC)" in card  # the day chosen, not the next
    assert f'value="{day.isoformat()}"' in card  # the date input shows the last day
    # without a date: a link that does not expire
    assert submit(client, issued["manage"], f"{issued['manage']}/links", {}).status_code == 303
    assert links_of(app, issued["token"])[-1].expires_at is None


@pytest.mark.parametrize("value", ["2001-01-01", "tomorrow", "9999-12-31"])
def test_create_refuses_a_bad_date(app, client, issued, value):
    response = submit(client, issued["manage"], f"{issued['manage']}/links", {"expires_on": value})
    assert response.status_code == 422
    page = html(response)
    assert 'class="field-error" id="new-expiry-error"' in page
    assert 'aria-invalid="true"' in page
    assert len(links_of(app, issued["token"])) == 1
    assert audit_actions(app, issued["token"]) == []


def test_set_and_clear_expiry(app, client, issued):
    item = f"{issued['manage']}/links/{issued['token']}"
    day = (utcnow() + timedelta(days=3)).date()
    response = submit(
        client, issued["manage"], f"{item}/expiry", {"expires_on": day.isoformat(), "action": "set"}
    )
    assert response.status_code == 303
    [link] = links_of(app, issued["token"])
    assert response.headers["Location"] == f"{issued['manage']}#link-{link.id}"
    assert link.expires_at.date() == day + timedelta(days=1)
    response = submit(
        client, issued["manage"], f"{item}/expiry", {"expires_on": "", "action": "clear"}
    )
    assert response.status_code == 303
    assert links_of(app, issued["token"])[0].expires_at is None
    response = submit(
        client, issued["manage"], f"{item}/expiry", {"expires_on": "", "action": "set"}
    )
    assert response.status_code == 422
    assert f'id="expiry-{issued["token"]}-error"' in html(response)
    assert audit_actions(app, issued["token"]) == [("share_link_expiry_set", "learner")] * 2


def test_language_switch_on_a_refused_form(client, issued):
    """A refused form is shown at its POST URL; the page's ?lang= links ask for it with GET."""
    for path in (f"{issued['manage']}/links", f"{issued['manage']}/links/x/expiry"):
        response = client.get(path + "?lang=da", headers=BROWSER)
        assert response.status_code == 303
        assert response.headers["Location"] == issued["manage"] + "?lang=da"
    assert client.get("/learner/nope/links?lang=da", headers=BROWSER).status_code == 404


def test_an_expired_link_can_be_revived(app, client, issued):
    set_link(app, issued["token"], expires_at=utcnow() - timedelta(hours=1))
    assert 'data-state="expired"' in html(client.get(issued["manage"], headers=BROWSER))
    item = f"{issued['manage']}/links/{issued['token']}"
    assert (
        submit(client, issued["manage"], f"{item}/expiry", {"action": "clear"}).status_code == 303
    )
    assert client.get(issued["page"], headers=JSONLD).status_code == 200


def test_withdraw_with_confirmation(app, client, issued):
    item = f"{issued['manage']}/links/{issued['token']}"
    response = client.get(f"{item}/withdraw", headers=BROWSER)  # the confirmation step
    assert response.status_code == 200
    assert_private(response, referrer="same-origin")
    assert f'<form method="post" action="{item}/withdraw">' in html(response)
    assert links_of(app, issued["token"])[0].withdrawn_at is None  # asking changes nothing
    response = submit(client, issued["manage"], f"{item}/withdraw")
    assert response.status_code == 303
    assert response.headers["Location"].startswith(issued["manage"] + "#link-")
    assert client.get(issued["page"], headers=BROWSER).status_code == 410
    page = html(client.get(issued["manage"], headers=BROWSER))
    assert 'data-state="withdrawn"' in page
    assert f"{item}/expiry" not in page and f"{item}/withdraw" not in page  # no more actions
    # again: nothing changes, nothing is recorded; the confirmation page just goes back
    assert submit(client, issued["manage"], f"{item}/withdraw").status_code == 303
    assert client.get(f"{item}/withdraw").status_code == 303
    assert audit_actions(app, issued["token"]) == [("share_link_withdrawn", "learner")]
    # a withdrawn link stays withdrawn
    day = (utcnow() + timedelta(days=3)).date().isoformat()
    response = submit(
        client, issued["manage"], f"{item}/expiry", {"expires_on": day, "action": "set"}
    )
    assert response.status_code == 409
    assert client.get(issued["page"], headers=JSONLD).status_code == 410


def test_bad_tokens_are_404(app, client, demo, auth, issued):
    other = issue(client, demo, auth, reference="s-2")
    bad = "/learner/not-a-token"
    for response in (
        client.get(bad, headers=BROWSER),
        submit(client, issued["manage"], f"{bad}/links"),
        submit(
            client, issued["manage"], f"{bad}/links/{issued['token']}/expiry", {"action": "clear"}
        ),
        client.get(f"{bad}/links/{issued['token']}/withdraw"),
        submit(client, issued["manage"], f"{bad}/links/{issued['token']}/withdraw"),
        client.get("/learner/" + "x" * 300),
    ):
        assert response.status_code == 404
        assert response.mimetype == "text/html"
        assert 'data-error-code="unknown_learner_link"' in html(response)
        assert issued["token"] not in html(response)
    # another credential's link, or no link at all, through this credential's token
    for token in (other["token"], "nope"):
        item = f"{issued['manage']}/links/{token}"
        for response in (
            submit(client, issued["manage"], f"{item}/withdraw"),
            client.get(f"{item}/withdraw"),
            submit(client, issued["manage"], f"{item}/expiry", {"action": "clear"}),
        ):
            assert response.status_code == 404
            assert 'data-error-code="unknown_share_link"' in html(response)
    assert client.get(other["page"], headers=JSONLD).status_code == 200
    assert audit_actions(app, other["token"]) == []


def test_link_limit_is_shown(app, client, issued, monkeypatch):
    monkeypatch.setattr("issuer.sharing.links.MAX_LINKS_PER_CREDENTIAL", 1)
    response = submit(client, issued["manage"], f"{issued['manage']}/links", {})
    assert response.status_code == 409
    assert 'role="alert"' in html(response)
    assert len(links_of(app, issued["token"])) == 1


def test_forms_work_with_csrf_protection(app, client, issued):
    """With Flask-WTF's CSRFProtect on (the issuer app turns it on; added here if it ever does
    not), every form carries the token and a post without it is refused."""
    app.config["WTF_CSRF_ENABLED"] = True
    if "csrf" not in app.extensions:
        app.config["TESTING"] = False  # let a fresh app take the extension before its requests
        CSRFProtect(app)
    page = html(client.get(issued["manage"], headers=BROWSER))
    forms = re.findall(r"<form .*?</form>", page, re.S)
    assert len(forms) == 2  # the new link, the link's expiry
    tokens = [re.search(r'name="csrf_token" value="([^"]+)"', form) for form in forms]
    assert all(tokens)
    csrf = tokens[0].group(1)
    created = f"{issued['manage']}/links"
    assert client.post(created, data={}, headers=BROWSER).status_code == 400
    assert len(links_of(app, issued["token"])) == 1
    response = client.post(created, data={"csrf_token": csrf}, headers=BROWSER)
    assert response.status_code == 303
    item = f"{issued['manage']}/links/{issued['token']}"
    confirm = html(client.get(f"{item}/withdraw", headers=BROWSER))
    assert 'name="csrf_token" value="' in confirm  # (signed with the time: not the same string)
    assert client.post(f"{item}/withdraw", headers=BROWSER).status_code == 400
    response = client.post(f"{item}/withdraw", data={"csrf_token": csrf}, headers=BROWSER)
    assert response.status_code == 303
    assert audit_actions(app, issued["token"]) == [
        ("share_link_created", "learner"),
        ("share_link_withdrawn", "learner"),
    ]


def test_forms_pass_the_strict_https_referrer_check(app, client, issued):
    """Over HTTPS Flask-WTF also wants a same-origin Referer on a form post; the management
    page's Referrer-Policy (same-origin) lets the browser send it, to this site only."""
    app.config["WTF_CSRF_ENABLED"] = True
    if "csrf" not in app.extensions:
        app.config["TESTING"] = False
        CSRFProtect(app)
    https = {"base_url": BASE_URL, "headers": BROWSER}
    page = client.get(issued["manage"], **https)
    assert page.headers["Referrer-Policy"] == "same-origin"
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html(page)).group(1)
    form = {"data": {"csrf_token": csrf}, "base_url": BASE_URL}
    path = f"{issued['manage']}/links"
    assert client.post(path, **form, headers=BROWSER).status_code == 400  # no Referer
    referer = {**BROWSER, "Referer": BASE_URL + issued["manage"]}
    assert client.post(path, **form, headers=referer).status_code == 303


def test_the_issuance_services_manage_token_works(app, client, demo):
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
    page = html(client.get(f"/learner/{manage_token}", headers=BROWSER))
    assert f"/c/{token}" in page and "Bo Berg" in page
    with transaction(app) as session:
        assert session.scalar(select(IssuedCredential.state)) is CredentialState.ACTIVE


# --- helpers ----------------------------------------------------------------------------------


def test_expiry_from_form():
    now = datetime(2030, 5, 6, 22, 0, tzinfo=UTC)
    assert expiry_from_form("2030-05-06", now=now) == datetime(2030, 5, 7, tzinfo=UTC)
    assert expiry_from_form(" 2031-01-31 ", now=now) == datetime(2031, 2, 1, tzinfo=UTC)
    for bad in ("", None, "2030-05-05", "06/05/2030", "9999-12-31"):
        with pytest.raises(InvalidInput):
            expiry_from_form(bad, now=now)


def test_badges():
    assert badge("Nordic Wind A/S (demo employer)").initials == "NWA"
    assert badge("école").initials == "É"
    assert badge("!!!").initials == "?"
    assert badge("Aarhus Demo University") == badge("Aarhus Demo University")
    assert {badge(f"Org {n}").tone for n in range(40)} == set(range(6))
