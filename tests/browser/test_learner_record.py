"""The learner's record in a real browser: from a management link to the record of all their
credentials, a set link over two of them, its page, and the verifier checking the set end to
end (each credential verified); then withdrawn, the link answers 410 and the record counts the
opens."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from .conftest import Stack, assert_fields_labelled, assert_fits_narrow_screen, screenshot

pytestmark = pytest.mark.browser


def test_learner_shares_a_set_and_the_verifier_verifies_it(page: Page, stack: Stack):
    first = stack.issue("S-4004", "Eva", "Eriksen")
    second = stack.issue("S-4004", "Eva", "Eriksen")
    record_url = first.manage_url.replace("/learner/", "/record/")

    page.goto(first.manage_url)
    page.get_by_role("link", name="All your credentials, and links to several at once").click()
    expect(page).to_have_url(record_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your credentials")
    expect(page.locator("main")).to_contain_text("Eva Eriksen")
    assert_fields_labelled(page)
    assert_fits_narrow_screen(page)

    page.locator(f"#choose-{first.uuid}").check()
    page.locator(f"#choose-{second.uuid}").check()
    page.get_by_label("Name of the link (optional, only you see it)").fill("For the employer")
    page.get_by_role("button", name="Create set link").click()
    expect(page.locator(".notice")).to_have_text("New set link created.")
    card = page.locator(".link-card[data-state='live']").filter(has_text="For the employer")
    expect(card.locator(".set-titles li")).to_have_count(2)
    screenshot(page, "learner-record")
    set_url = card.locator("a.link-url").get_attribute("href")
    assert set_url and set_url.startswith(f"{stack.issuer_url}/s/")

    # the set's own page, then the verifier from its button
    page.goto(set_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Shared micro-credentials")
    expect(page.locator(".set-credentials li")).to_have_count(2)
    assert_fits_narrow_screen(page)
    page.get_by_role("link", name="Check these credentials").first.click()
    expect(page).to_have_url(re.compile(re.escape(stack.verifier_url) + r"/verify\?url="))
    heading = page.locator("h1[data-kind='presentation']")
    expect(heading).to_have_attribute("data-verdict", "verified")
    expect(heading).to_have_text("Verified")
    members = page.locator(".set-credentials > li")
    expect(members).to_have_count(2)
    for n in range(2):
        expect(members.nth(n)).to_have_attribute("data-verdict", "verified")
        expect(members.nth(n)).to_contain_text("Green Data Analytics")
    assert_fits_narrow_screen(page)
    screenshot(page, "verifier-set-verified")

    # the record counts both opens (the page and the verifier's fetch), then withdraws
    page.goto(record_url)
    card = page.locator(".link-card").filter(has_text="For the employer")
    expect(card.locator(".open-count")).to_have_text("2 times")
    card.get_by_role("link", name="Withdraw link…").click()
    page.get_by_role("button", name="Yes, withdraw the link").click()
    expect(page.locator(".notice")).to_contain_text("The link is withdrawn")
    gone = httpx.get(set_url, headers={"Accept": "application/ld+json"}, timeout=30)
    assert gone.status_code == 410 and gone.json()["error"]["code"] == "set_link_withdrawn"


def test_record_page_in_danish(page: Page, stack: Stack):
    record_url = stack.issued["good"].manage_url.replace("/learner/", "/record/")
    page.goto(record_url + "?lang=da")
    expect(page.locator("html")).to_have_attribute("lang", "da")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dine beviser")
    assert_fits_narrow_screen(page)
