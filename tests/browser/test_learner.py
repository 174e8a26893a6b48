"""The learner's side in a real browser: the share link's page and its PDF certificate."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.pdf import read_pdf

from .conftest import (
    Stack,
    assert_fields_labelled,
    assert_fits_narrow_screen,
    screenshot,
    tab_to,
)

pytestmark = pytest.mark.browser


def test_learner_opens_the_share_link_and_downloads_the_pdf(page: Page, stack: Stack):
    """Scenario (b)."""
    issued = stack.issued["good"]
    page.goto(issued.share_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Green Data Analytics")
    expect(page.locator("main")).to_contain_text("Ana Andersen")
    assert_fits_narrow_screen(page)
    screenshot(page, "learner-credential")

    pdf = page.get_by_role("link", name="Download PDF")
    expect(pdf).to_have_attribute("href", f"/c/{issued.token}/certificate.pdf")
    tab_to(page, pdf)  # the main action is reachable with the keyboard
    with page.expect_download() as started:
        page.keyboard.press("Enter")
    download = started.value
    assert download.suggested_filename.endswith(".pdf")
    content = download.path().read_bytes()
    assert content.startswith(b"%PDF-"), content[:20]
    assert b"%%EOF" in content[-1024:]
    pdf = read_pdf(content)
    assert pdf.pages == 1
    assert "Green Data Analytics" in pdf.lines and "Ana Andersen" in pdf.lines


def test_share_page_in_danish(page: Page, stack: Stack):
    page.goto(stack.issued["good"].share_url + "?lang=da")
    expect(page.locator("html")).to_have_attribute("lang", "da")
    assert_fits_narrow_screen(page)


def test_revoked_credential_page_says_so(page: Page, stack: Stack):
    page.goto(stack.issued["revoked"].share_url)
    expect(page.locator("main")).to_contain_text("Revoked")
    assert_fits_narrow_screen(page)


def test_learner_manages_share_links(page: Page, stack: Stack):
    """The learner's own page (the management link issuance gives them)."""
    page.goto(stack.issued["good"].manage_url)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_fields_labelled(page)
    assert_fits_narrow_screen(page)
    tab_to(page, page.get_by_role("button", name="Create link"))
