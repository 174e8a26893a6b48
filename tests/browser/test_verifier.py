"""The employer's side in a real browser: the verifier's form, camera scanning, and the result
pages for a verified, a revoked and a tampered credential — each fitting a 360 px screen and
usable with the keyboard."""

from __future__ import annotations

import io
import json
import re
from urllib.parse import quote

import httpx
import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Page, expect

from .conftest import (
    Stack,
    assert_fields_labelled,
    assert_fits_narrow_screen,
    screenshot,
    tab_to,
)

pytestmark = pytest.mark.browser

# BarcodeDetector and a camera for browsers that lack them (headless Chromium on Linux has
# neither): the camera is a canvas stream; the detector first sees a code that is not a link,
# then the code in window.__qrText.
FAKE_CAMERA = """
window.BarcodeDetector = class {
  static async getSupportedFormats() { return ["qr_code", "ean_13"]; }
  constructor(options) { window.__formats = options.formats; this.seen = 0; }
  async detect(source) {
    if (!(source instanceof HTMLVideoElement) || !source.srcObject) return [];
    this.seen += 1;
    return [{ rawValue: this.seen === 1 ? "WIFI:S:office;;" : window.__qrText, format: "qr_code" }];
  }
};
navigator.mediaDevices.getUserMedia = async (constraints) => {
  sessionStorage.setItem("constraints", JSON.stringify(constraints));
  const canvas = Object.assign(document.createElement("canvas"), { width: 320, height: 240 });
  canvas.getContext("2d").fillRect(0, 0, 320, 240);
  return canvas.captureStream(10);
};
"""


def qr_text(stack: Stack, token: str) -> str:
    """What the QR code of share link ``token`` holds, decoded from the issuer's PNG."""
    response = httpx.get(f"{stack.issuer_url}/c/{token}/qr.png", timeout=30)
    assert response.status_code == 200
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(response.content)).convert("RGB"))
    assert len(found) == 1 and found[0].format == zxingcpp.BarcodeFormat.QRCode
    return found[0].text


def verdict(page: Page):  # type: ignore[no-untyped-def]
    return page.locator("[data-verified]")


def check(page: Page, name: str):  # type: ignore[no-untyped-def]
    return page.locator(f'li[data-check="{name}"]')


def test_form_has_labels_fits_a_phone_and_works_with_the_keyboard(page: Page, stack: Stack):
    page.goto(stack.verifier_url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check a micro-credential")
    for label in (
        "Link to the credential",
        "Photo of its QR code",
        "Credential file (JSON-LD)",
        "Or paste the credential",
    ):
        expect(page.get_by_label(label)).to_be_visible()
    assert_fields_labelled(page)
    photo = page.get_by_label("Photo of its QR code")
    expect(photo).to_have_attribute("capture", "environment")
    # No BarcodeDetector here: no camera button, and the page says the photo is the way.
    expect(page.get_by_role("button", name="Scan QR code with camera")).to_be_hidden()
    expect(page.locator("#scan-fallback")).to_be_visible()
    expect(page.locator("#scan-fallback")).to_contain_text("take a photo of the QR code")
    assert_fits_narrow_screen(page)

    # Keyboard only: Tab to the link field, type the share link, Tab on to Check, Enter.
    tab_to(page, page.get_by_label("Link to the credential"))
    page.keyboard.type(stack.issued["good"].share_url)
    tab_to(page, page.get_by_role("button", name="Check", exact=True), from_top=False)
    page.keyboard.press("Enter")
    expect(verdict(page)).to_have_text(re.compile("Verified"))


def test_form_in_danish(page: Page, stack: Stack):
    page.goto(stack.verifier_url + "/?lang=da")
    expect(page.locator("html")).to_have_attribute("lang", "da")
    expect(page.get_by_label("Link til beviset")).to_be_visible()
    expect(page.locator("#scan-fallback")).to_contain_text("tag i stedet et foto af QR-koden")
    assert_fits_narrow_screen(page)


def test_camera_scan_opens_the_code_on_this_verifier(page: Page, stack: Stack):
    """Where BarcodeDetector exists: the button opens the rear camera and a hit on the QR
    code goes to the verifier's result for the credential it names."""
    issued = stack.issued["good"]
    text = qr_text(stack, issued.token)
    page.add_init_script(FAKE_CAMERA + f"window.__qrText = {json.dumps(text)};")
    page.goto(stack.verifier_url + "/")
    scan = page.get_by_role("button", name="Scan QR code with camera")
    expect(scan).to_be_visible()
    expect(page.locator("#scan-fallback")).to_be_hidden()
    assert_fits_narrow_screen(page)
    screenshot(page, "verifier-form")

    assert page.evaluate("window.__formats") == ["qr_code"]

    tab_to(page, scan)
    with page.expect_navigation(url=re.compile(r"/verify\?url=")):
        page.keyboard.press("Enter")
    asked = json.loads(page.evaluate("sessionStorage.getItem('constraints')"))
    assert asked == {"video": {"facingMode": {"ideal": "environment"}}, "audio": False}
    assert page.url == f"{stack.verifier_url}/verify?url={quote(issued.share_url, safe='')}"
    expect(verdict(page)).to_have_text(re.compile("Verified"))


def test_camera_that_cannot_open_says_so(page: Page, stack: Stack):
    page.add_init_script(
        FAKE_CAMERA
        + "navigator.mediaDevices.getUserMedia = async () => {"
        + " throw new DOMException('denied', 'NotAllowedError'); };"
    )
    page.goto(stack.verifier_url + "/")
    page.get_by_role("button", name="Scan QR code with camera").click()
    expect(page.get_by_role("status")).to_have_text(
        "The camera could not be opened. Use the photo field below instead."
    )
    expect(page.get_by_role("button", name="Scan QR code with camera")).to_be_visible()


def test_employer_opens_the_qr_code_and_sees_verified(page: Page, stack: Stack):
    """Scenario (c): the URL in the share link's QR code, opened in the browser."""
    text = qr_text(stack, stack.issued["good"].token)
    assert text.startswith(stack.verifier_url + "/verify?url=")
    page.goto(text)
    expect(verdict(page)).to_have_text(re.compile(r"^\W*Verified$"))
    expect(verdict(page)).to_have_attribute("data-verified", "true")
    for name in ("format", "seal", "revocation", "expiry", "accreditation"):
        expect(check(page, name)).to_have_attribute("data-outcome", "ok")
    expect(check(page, "seal")).to_contain_text("Seal (digital signature): passed")
    expect(check(page, "seal").locator(".mark")).to_have_attribute("aria-hidden", "true")
    shown = page.locator(".credential-view:not([hidden])")
    expect(shown).to_contain_text("Green Data Analytics")
    expect(shown).to_contain_text("Ana Andersen")
    expect(shown.locator("[data-fact=workload]")).to_contain_text("ECTS credits")
    # Issue 17: the verdict comes first, then the credential, then the checks (folded).
    expect(check(page, "seal").locator("p.detail")).not_to_be_visible()
    order = page.evaluate(
        """() => ['[data-verified]', '#credential', 'ul.checks'].map(
            s => document.querySelector(s).getBoundingClientRect().top)"""
    )
    assert order == sorted(order)
    assert_fits_narrow_screen(page)
    tab_to(page, page.get_by_role("link", name="Check another credential"))
    screenshot(page, "verifier-verified")


def test_revoked_credential_shows_as_revoked(page: Page, stack: Stack):
    """Scenario (d): revoked through the API before the verifier first read the status list."""
    page.goto(qr_text(stack, stack.issued["revoked"].token))
    expect(verdict(page)).to_have_attribute("data-verified", "false")
    expect(verdict(page)).to_have_text(re.compile("Not verified"))
    expect(page.locator(".verdict-why")).to_have_text(
        "Do not rely on this credential. The issuer has revoked this credential."
    )
    revocation = check(page, "revocation")
    expect(revocation).to_have_attribute("data-code", "revoked")
    expect(revocation).to_contain_text("failed")
    expect(check(page, "seal")).to_have_attribute("data-outcome", "ok")
    assert_fits_narrow_screen(page)
    screenshot(page, "verifier-revoked")

    page.goto(qr_text(stack, stack.issued["revoked"].token) + "&lang=da")
    expect(verdict(page)).to_have_text(re.compile("Ikke verificeret"))
    expect(page.locator(".verdict-why")).to_have_text(
        "Stol ikke på dette bevis. Udstederen har tilbagekaldt dette bevis."
    )
    assert_fits_narrow_screen(page)


def test_tampered_upload_shows_the_seal_error(page: Page, stack: Stack):
    """Scenario (e): one value of a signed credential edited, the file uploaded in the form."""
    document = json.loads(json.dumps(stack.issued["good"].document))
    document["credentialSubject"]["fullName"] = {"en": "Mallory Impostor"}
    tampered = stack.tmp / "tampered.jsonld"
    tampered.write_text(json.dumps(document), encoding="utf-8")

    page.goto(stack.verifier_url + "/")
    page.get_by_label("Credential file (JSON-LD)").set_input_files(tampered)
    page.get_by_role("button", name="Check", exact=True).click()
    expect(verdict(page)).to_have_attribute("data-verified", "false")
    seal = check(page, "seal")
    expect(seal).to_have_attribute("data-code", "invalid_signature")
    expect(seal).to_contain_text("Seal (digital signature): failed")
    expect(seal).to_contain_text("The credential was changed after it was signed")
    expect(page.locator(".verdict-why")).to_contain_text("changed after it was signed")
    expect(page.get_by_text("Mallory Impostor")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("tampered.jsonld")
    assert_fits_narrow_screen(page)
    screenshot(page, "verifier-seal-error")


def test_bad_input_is_explained_on_the_form(page: Page, stack: Stack):
    page.goto(stack.verifier_url + "/")
    page.get_by_label("Or paste the credential").fill("this is not JSON")
    page.get_by_role("button", name="Check", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("This is not a credential")
    assert_fits_narrow_screen(page)


# The verdict's colour: green for verified, amber for a genuine signature not confirmed, red for
# not verified (the stylesheet's --ok, --warning and --error).
COLOURS = {"verified": "rgb(10, 107, 45)", "unconfirmed": "rgb(138, 83, 0)"}
COLOURS["not_verified"] = "rgb(164, 14, 38)"


def verdict_colour(page: Page) -> str:
    return page.evaluate(
        "() => getComputedStyle(document.querySelector('h1.verdict')).backgroundColor"
    )


def test_each_verdict_has_its_colour(page: Page, stack: Stack):
    """Green for the partnership's credential, red for the revoked one, and amber for a genuine
    signature by an issuer no trust source knows (a fresh did:key calling itself a university)."""
    page.goto(qr_text(stack, stack.issued["good"].token))
    expect(verdict(page)).to_have_attribute("data-verdict", "verified")
    assert verdict_colour(page) == COLOURS["verified"]

    page.goto(qr_text(stack, stack.issued["revoked"].token))
    expect(verdict(page)).to_have_attribute("data-verdict", "not_verified")
    assert verdict_colour(page) == COLOURS["not_verified"]

    from demo.reference import demo_award, demo_organisation
    from keys.did_key import keypair_with_did_key
    from keys.keypairs import Algorithm, KeyPair
    from keys.proof import add_proof
    from schemas.elm.build import build_microcredential

    impostor = keypair_with_did_key(KeyPair.generate(Algorithm.ED25519))
    body = demo_organisation(str(impostor.controller), "University of Copenhagen", "DNK", "DK")
    forged = add_proof(build_microcredential(demo_award(body, [body])), impostor)
    path = stack.tmp / "self-signed.jsonld"
    path.write_text(json.dumps(forged), encoding="utf-8")
    page.goto(stack.verifier_url + "/")
    page.get_by_label("Credential file (JSON-LD)").set_input_files(path)
    page.get_by_role("button", name="Check", exact=True).click()
    expect(verdict(page)).to_have_attribute("data-verdict", "unconfirmed")
    expect(verdict(page)).to_have_text(re.compile("Genuine signature — not confirmed"))
    assert verdict_colour(page) == COLOURS["unconfirmed"]
    expect(page.locator("ul.open-points")).to_contain_text("not on any list this verifier trusts")
    expect(page.locator("#credential")).to_contain_text("not confirmed")
    assert_fits_narrow_screen(page)
    screenshot(page, "verifier-unconfirmed")

    page.goto(stack.verifier_url + "/?lang=da")
    page.get_by_label("Bevisfil (JSON-LD)").set_input_files(path)
    page.locator("button[type=submit]").click()
    expect(verdict(page)).to_have_attribute("data-verdict", "unconfirmed")
    assert verdict_colour(page) == COLOURS["unconfirmed"]
    expect(verdict(page)).not_to_have_text(re.compile("Genuine signature"))
