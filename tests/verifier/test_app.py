"""The verifier web app: inputs, the report as JSON and as a page, languages, bad input."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
import qrcode
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import session

from demo.reference import demo_award, demo_organisation, reference_credential, reference_keypair
from keys.proof import add_proof
from schemas.elm.build import Learner, build_microcredential
from verifier.app import create_app
from verifier.fetch.client import Fetched, FetchError
from verifier.trust import trusted_issuers_document

SIGNED_AT = datetime(2026, 7, 1, tzinfo=UTC)
SHARE_URL = "https://issuer.example/c/abc123"


class StubFetcher:
    """Serves fixed pages; anything else fails like an unreachable host."""

    def __init__(self, pages: dict[str, bytes]) -> None:
        self.pages = pages
        self.asked: list[str] = []

    def fetch(self, url: str, *, accept: str = "application/json") -> Fetched:
        self.asked.append(url)
        if url not in self.pages:
            raise FetchError("fetch_failed", f"{url} did not answer")
        return Fetched(url, 200, self.pages[url], {})

    def __call__(self, url: str) -> bytes:
        return self.fetch(url).content


@pytest.fixture(scope="module")
def signed() -> dict:
    key = reference_keypair()
    return add_proof(reference_credential(key), key, created=SIGNED_AT)


@pytest.fixture
def pages(signed) -> dict[str, bytes]:
    return {SHARE_URL: json.dumps(signed).encode()}


@pytest.fixture
def trusted_path(tmp_path):
    """A trusted-issuers file naming the reference issuer."""
    path = tmp_path / "trusted.json"
    document = trusted_issuers_document(
        [(str(reference_keypair().controller), "Aarhus Demo University")], name="Test trust list"
    )
    path.write_text(json.dumps(document))
    return path


@pytest.fixture
def client(pages, trusted_path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "FETCHER": StubFetcher(pages),
            "TRUSTED_ISSUERS_PATH": str(trusted_path),
        }
    )
    return app.test_client()


@pytest.fixture
def untrusting_client(pages):
    """A verifier with no trust source at all (as any verifier started outside make run)."""
    app = create_app({"TESTING": True,
            "SECRET_KEY": "test", "FETCHER": StubFetcher(pages)})
    return app.test_client()


def qr_png(text: str) -> bytes:
    buffer = io.BytesIO()
    qrcode.make(text).save(buffer, format="PNG")
    return buffer.getvalue()


class TestJson:
    def test_verified(self, client, signed):
        response = client.post("/api/verify", data=json.dumps(signed))
        assert response.status_code == 200
        body = response.get_json()
        assert body["verified"] is True
        assert body["verdict"] == "verified"
        assert [c["check"] for c in body["checks"]][:2] == ["format", "seal"]
        assert body["summary"]["confirmed"] is True

    def test_no_trust_source_is_unconfirmed(self, untrusting_client, signed):
        """Genuine, but nobody vouched for the issuer: never plainly verified."""
        body = untrusting_client.post("/api/verify", data=json.dumps(signed)).get_json()
        assert (body["verdict"], body["verified"]) == ("unconfirmed", False)
        assert [(u["check"], u["code"]) for u in body["unconfirmed"]] == [
            ("accreditation", "no_trust_source")
        ]
        assert body["summary"]["confirmed"] is False

    def test_tampered(self, client, signed):
        tampered = json.loads(json.dumps(signed))
        tampered["credentialSubject"]["fullName"] = {"en": "Mallory"}
        body = client.post("/api/verify", data=json.dumps(tampered)).get_json()
        assert (body["verified"], body["verdict"]) == (False, "not_verified")
        seal = next(c for c in body["checks"] if c["check"] == "seal")
        assert seal["code"] == "invalid_signature"
        assert "summary" not in body

    def test_link(self, client):
        response = client.get(
            "/verify", query_string={"url": SHARE_URL}, headers={"Accept": "application/json"}
        )
        assert response.status_code == 200
        assert response.get_json()["verified"] is True

    def test_a_large_linked_credential_takes_the_heavy_lane(
        self, pages, trusted_path, signed, monkeypatch
    ):
        """A fetched credential over HEAVY_BYTES with few values is heavy by its size (the
        length of its text), as the same credential posted to /api/verify is."""
        from verifier.limits import HEAVY_BYTES, HeavyLane

        large = json.loads(json.dumps(signed))
        large["credentialSubject"]["note"] = "x" * (HEAVY_BYTES + 1)
        pages["https://issuer.example/c/large"] = json.dumps(large).encode()
        judged: list[bool] = []
        is_heavy = HeavyLane.is_heavy

        def recording(document, size, bounds=None):
            judged.append(is_heavy(document, size, bounds))
            return judged[-1]

        monkeypatch.setattr(HeavyLane, "is_heavy", staticmethod(recording))
        app = create_app(
            {"TESTING": True, "SECRET_KEY": "test", "FETCHER": StubFetcher(pages),
             "TRUSTED_ISSUERS_PATH": str(trusted_path)}
        )  # fmt: skip
        response = app.test_client().get(
            "/verify",
            query_string={"url": "https://issuer.example/c/large"},
            headers={"Accept": "application/json"},
        )
        assert response.status_code == 200
        assert judged == [True]

    def test_link_that_does_not_answer(self, client):
        response = client.get(
            "/verify",
            query_string={"url": "https://gone.example/c/x"},
            headers={"Accept": "application/json"},
        )
        assert response.status_code == 502
        assert response.get_json()["error"]["code"] == "fetch_failed"


class TestVcApi:
    def test_verified(self, client, signed):
        response = client.post("/credentials/verify", json={"verifiableCredential": signed})
        assert response.status_code == 200
        assert "seal" in response.get_json()["checks"]

    def test_unconfirmed_keeps_the_vc_api_meaning_with_warnings(self, untrusting_client, signed):
        """Proof, status and validity decide the VC API's answer; what trust could not
        confirm is a warning, and the verdict says unconfirmed, never plainly verified."""
        response = untrusting_client.post(
            "/credentials/verify", json={"verifiableCredential": signed}
        )
        assert response.status_code == 200
        body = response.get_json()
        assert body["errors"] == []
        assert ("accreditation", "no_trust_source") in {
            (w["check"], w["code"]) for w in body["warnings"]
        }
        # "verified" is the VC API meaning; the verdict says trust was not confirmed
        assert (body["verdict"], body["verified"]) == ("unconfirmed", True)

    def test_not_verified(self, client, signed):
        unsigned = {k: v for k, v in signed.items() if k != "proof"}
        response = client.post("/credentials/verify", json={"verifiableCredential": unsigned})
        assert response.status_code == 400
        assert response.get_json()["errors"][0]["code"] == "no_proof"

    @pytest.mark.parametrize("body", [b"{}", b'{"verifiableCredential": "x"}', b"nope"])
    def test_bad_input(self, client, body):
        assert client.post("/credentials/verify", data=body).status_code == 400


class TestPage:
    def test_form_in_english_and_danish(self, client):
        assert "Check a micro-credential" in client.get("/").get_data(as_text=True)
        danish = client.get("/", headers={"Accept-Language": "da"}).get_data(as_text=True)
        assert "Kontrollér et mikrobevis" in danish
        assert '<html lang="da">' in danish

    def test_language_switch_is_remembered(self, client):
        response = client.get("/?lang=da")
        assert "lang=da" in response.headers["Set-Cookie"]
        assert "Kontrollér" in client.get("/").get_data(as_text=True)

    def test_pasted_credential_verdict_first(self, client, signed):
        page = client.post("/verify", data={"credential": json.dumps(signed)}).get_data(
            as_text=True
        )
        assert page.index('data-verified="true"') < page.index('data-check="format"')
        assert 'data-verdict="verified"' in page
        assert "Green Data Analytics" in page

    def test_unconfirmed_page_says_what_is_missing(self, untrusting_client, signed):
        page = untrusting_client.post(
            "/verify", data={"credential": json.dumps(signed)}
        ).get_data(as_text=True)
        assert 'data-verdict="unconfirmed"' in page
        assert "Genuine signature — not confirmed" in page
        assert 'data-verified="false"' in page
        assert "no list of trusted issuers" in page
        # The name is shown as the credential's claim, not as fact.
        assert "not confirmed" in page.split('class="credential-card"')[1]

    def test_home_page_names_the_trust_sources(self, client, untrusting_client):
        page = client.get("/").get_data(as_text=True)
        assert "Test trust list" in page
        assert "no trust source" in untrusting_client.get("/").get_data(as_text=True)

    def test_uploaded_file(self, client, signed):
        data = {"file": (io.BytesIO(json.dumps(signed).encode()), "credential.jsonld")}
        page = client.post("/verify", data=data, content_type="multipart/form-data")
        assert 'data-verified="true"' in page.get_data(as_text=True)

    def test_qr_photo(self, client):
        photo = qr_png(f"https://verifier.example/verify?url={SHARE_URL}")
        data = {"qr": (io.BytesIO(photo), "photo.png")}
        page = client.post("/verify", data=data, content_type="multipart/form-data")
        assert 'data-verified="true"' in page.get_data(as_text=True)

    @pytest.mark.parametrize(
        ("content", "code"),
        [
            (qr_png("hello, not a link"), "qr_not_a_credential_link"),
            (b"not an image at all", "not_an_image"),
        ],
    )
    def test_qr_that_is_not_ours(self, client, content, code):
        data = {"qr": (io.BytesIO(content), "photo.png")}
        response = client.post("/verify", data=data, content_type="multipart/form-data")
        assert response.status_code == 400
        assert f'data-code="{code}"' in response.get_data(as_text=True)

    def test_credential_strings_are_escaped(self, client):
        key = reference_keypair()
        body = demo_organisation(str(key.controller), "<b>Evil</b> University", "DNK", "Denmark")
        award = demo_award(body, [body])
        learner = Learner(
            given_name="<script>alert(1)</script>", family_name="X", id="urn:x:learner"
        )
        award = type(award)(**{**award.__dict__, "learner": learner})
        signed = add_proof(build_microcredential(award), key, created=SIGNED_AT)
        page = client.post("/verify", data={"credential": json.dumps(signed)}).get_data(
            as_text=True
        )
        assert "<script>alert(1)" not in page
        assert "&lt;script&gt;alert(1)" in page
        assert "<b>Evil</b>" not in page

    def test_broken_seal_shows_no_content(self, client, signed):
        tampered = json.loads(json.dumps(signed))
        tampered["credentialSubject"]["hasClaim"]["title"] = {"en": "Fake Degree"}
        page = client.post("/verify", data={"credential": json.dumps(tampered)}).get_data(
            as_text=True
        )
        assert 'data-verified="false"' in page
        assert "Fake Degree" not in page


class TestBadInput:
    @pytest.mark.parametrize(
        ("body", "code"),
        [
            (b"not json", "not_json"),
            (b"[1, 2]", "not_an_object"),
            (b"\xff\xfe", "not_utf8"),
            (b"", "empty"),
            (b"[" * 10_000 + b"]" * 10_000, "too_deep"),
        ],
    )
    def test_clear_errors(self, client, body, code):
        response = client.post("/api/verify", data=body)
        assert response.status_code == 400
        assert response.get_json()["error"]["code"] == code

    def test_deep_object_is_a_format_error(self, client):
        deep: dict = {}
        for _ in range(200):
            deep = {"credentialSubject": deep}
        response = client.post("/api/verify", data=json.dumps({"@context": [], **deep}))
        assert response.status_code == 200
        assert response.get_json()["verified"] is False

    def test_fifty_megabytes_is_refused_and_the_service_keeps_serving(self, client, signed):
        response = client.post("/api/verify", data=b"{" + b" " * (50 * 1024 * 1024) + b"}")
        assert response.status_code == 413
        assert response.get_json()["error"]["code"] == "too_large"
        assert client.post("/api/verify", data=json.dumps(signed)).status_code == 200

    def test_form_with_nothing(self, client):
        response = client.post("/verify", data={})
        assert response.status_code == 400
        assert 'data-code="empty"' in response.get_data(as_text=True)


def test_danish_catalogue_is_compiled_from_its_po_file():
    from pathlib import Path

    folder = (
        Path(__file__).resolve().parents[2] / "verifier" / "translations" / "da" / "LC_MESSAGES"
    )
    with (folder / "messages.po").open("rb") as po, (folder / "messages.mo").open("rb") as mo:
        source, compiled = read_po(po), read_mo(mo)
    expected = {m.id: m.string for m in source if m.id and m.string}
    assert {m.id: m.string for m in compiled if m.id} == expected
    assert all(m.string for m in source if m.id), "untranslated strings in messages.po"


def test_the_favicon_is_served(client):
    """Browsers ask every page for /favicon.ico: an icon, not a 404 in the log."""
    response = client.get("/favicon.ico")
    try:
        assert response.status_code == 200
        assert response.mimetype == "image/vnd.microsoft.icon"
        assert response.data[:4] == b"\x00\x00\x01\x00"  # the ICO header
        assert response.cache_control.max_age == 86400
    finally:
        response.close()


def test_the_verifier_keeps_no_session(client, signed) -> None:
    client.set_cookie("session", "eyJhIjoiYiJ9.forged.signature")
    answer = client.post("/api/verify", json=signed)
    assert answer.status_code == 200
    assert "Set-Cookie" not in answer.headers
    app = client.application
    with app.test_request_context("/"):
        assert dict(session) == {}
        with pytest.raises(RuntimeError):
            session["remember"] = "me"
