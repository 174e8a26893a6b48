"""Accessibility: every page people meet, at 1280 px and 390 px, checked by axe-core in Chromium,
with no serious or critical violation.

axe-core comes from the npm registry, installed once into ``MICROCRED_AXE_DIR`` (default
``/tmp/microcred-axe``) by ``npm install axe-core@4``. Where npm or the registry is missing,
these tests are skipped, saying so in the suite's skip summary (``!! ACCESSIBILITY TESTS
SKIPPED``), never silently.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from .conftest import Stack
from .test_staff import sign_in

pytestmark = pytest.mark.browser

AXE_DIR = Path(os.environ.get("MICROCRED_AXE_DIR", "/tmp/microcred-axe"))
AXE_SCRIPT = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = (1280, 390)
SERIOUS = ("serious", "critical")
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" "))}));
}"""


@pytest.fixture(scope="session")
def axe() -> Path:
    """axe-core's script, installed from npm once; skips loudly when it cannot be."""
    if AXE_SCRIPT.is_file():
        return AXE_SCRIPT
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("!! ACCESSIBILITY TESTS SKIPPED: npm is not installed (apt-get install npm)")
    try:
        subprocess.run(
            [npm, "install", "--prefix", str(AXE_DIR), "axe-core@4", "--no-audit", "--no-fund"],
            check=True,
            capture_output=True,
            timeout=180,
        )
    except (subprocess.SubprocessError, OSError) as error:
        pytest.skip(f"!! ACCESSIBILITY TESTS SKIPPED: npm could not install axe-core ({error})")
    if not AXE_SCRIPT.is_file():
        pytest.skip(f"!! ACCESSIBILITY TESTS SKIPPED: {AXE_SCRIPT} missing after npm install")
    return AXE_SCRIPT


def serious_violations(page: Page, axe: Path) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(axe))
    return [v for v in page.evaluate(RUN_AXE) if v["impact"] in SERIOUS]


def assert_accessible(page: Page, axe: Path) -> None:
    """No serious or critical violation at 1280 px nor at 390 px wide."""
    found = {}
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        violations = serious_violations(page, axe)
        if violations:
            found[width] = violations
    assert not found, f"{page.url}: {json.dumps(found, indent=1)}"


def test_verifier_pages(page: Page, stack: Stack, axe: Path):
    page.goto(stack.verifier_url + "/")
    assert_accessible(page, axe)
    page.goto(f"{stack.verifier_url}/verify?url={stack.issued['good'].share_url}")
    expect(page.locator("[data-verdict]")).to_have_attribute("data-verdict", "verified")
    page.locator("li[data-check='seal'] summary").click()  # a check unfolded
    assert_accessible(page, axe)
    page.goto(f"{stack.verifier_url}/verify?url={stack.issued['revoked'].share_url}")
    assert_accessible(page, axe)
    page.goto(stack.verifier_url + "/")
    page.get_by_label("Or paste the credential").fill('{"hello": "world"}')
    page.get_by_role("button", name="Check", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("This is not a credential")
    assert_accessible(page, axe)
    page.goto(stack.verifier_url + "/recognise")
    assert_accessible(page, axe)


def test_learner_pages(page: Page, stack: Stack, axe: Path):
    page.goto(stack.issued["good"].share_url)
    assert_accessible(page, axe)
    page.goto(stack.issued["revoked"].share_url)
    assert_accessible(page, axe)
    page.goto(stack.issued["good"].manage_url)
    assert_accessible(page, axe)
    # the learner's record, reached with the management link's token
    token = stack.issued["good"].manage_url.rstrip("/").rsplit("/", 1)[-1]
    answer = page.goto(f"{stack.issuer_url}/record/{token}")
    assert answer is not None and answer.status == 200
    assert_accessible(page, axe)
    page.goto(stack.issuer_url + "/")  # the issuer's home page
    assert_accessible(page, axe)


def test_staff_pages(page: Page, stack: Stack, axe: Path):
    page.goto(stack.issuer_url + "/staff/login")
    assert_accessible(page, axe)
    sign_in(page, stack)
    assert_accessible(page, axe)
    for path in (
        "/staff/issue",
        "/staff/credentials",
        "/staff/specifications",
        "/staff/specifications/new",
        "/staff/bulk",
        "/staff/audit",
        "/staff/stacks",
        "/staff/organisation",
    ):
        answer = page.goto(stack.issuer_url + path)
        assert answer is not None and answer.status == 200, path
        assert_accessible(page, axe)
