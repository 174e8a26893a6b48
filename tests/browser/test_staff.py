"""Partnership staff in a real browser: sign in, create a specification, issue a credential to
a learner — then the learner's share link shows it and the employer's verifier verifies it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .conftest import (
    Stack,
    assert_fields_labelled,
    assert_fits_narrow_screen,
    screenshot,
    tab_to,
)

pytestmark = pytest.mark.browser

STAFF = "staff@aarhus-demo-university.example"
TITLE = "Offshore Wind Data Basics"

SPECIFICATION = {
    "Title in English": TITLE,
    "Title in Danish": "Grundlæggende offshore-vinddata",
    "Description in English": "Reading and checking the data offshore wind turbines produce.",
    "Learning outcomes, one per line": (
        "Read turbine telemetry\n"
        "Spot faulty sensor data"
        " | http://data.europa.eu/esco/skill/5fd5c985-eaaa-47aa-8314-62359c54505a"
        " develop digital content"
    ),
    "ECTS credits": "2",
    "Volume of learning in hours": "50",
    "Field of education: ISCED-F 2013 code": "0713",
    "Field of education: name": "Electricity and energy",
    "Type of assessment": "Practical test",
    "Quality assurance: title": "Institutional accreditation",
    "Quality assurance: type IRI": "urn:microcred:concept:accreditation:institutional",
    "Quality assurance: type name": "Institutional accreditation",
    "Agency: DID": "did:web:agency.example",
    "Agency: legal name": "Danish Accreditation Institution",
    "Agency: country code": "DNK",
    "Agency: country name": "Denmark",
}


def sign_in(page: Page, stack: Stack) -> None:
    page.goto(stack.issuer_url + "/staff/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    assert_fields_labelled(page)
    assert_fits_narrow_screen(page)
    page.get_by_label("E-mail address").fill(STAFF)
    page.get_by_label("Password").fill(stack.staff_logins[STAFF])
    submit = page.get_by_role("button", name="Sign in")
    tab_to(page, submit, from_top=False)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Aarhus Demo University")


def test_wrong_password_is_refused(page: Page, stack: Stack):
    page.goto(stack.issuer_url + "/staff/login")
    page.get_by_label("E-mail address").fill(STAFF)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("not right")


def test_staff_creates_a_specification_and_issues_a_credential(page: Page, stack: Stack):
    """Scenario (a), followed through to the learner's page and the verifier."""
    sign_in(page, stack)
    assert_fits_narrow_screen(page)
    screenshot(page, "staff-dashboard")

    page.get_by_role("link", name="Create a specification").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create a specification")
    assert_fields_labelled(page)
    assert_fits_narrow_screen(page)
    for label, value in SPECIFICATION.items():
        page.get_by_label(label).fill(value)
    page.get_by_label("EQF level").select_option("5")
    page.get_by_label("Form of participation").select_option("online")
    create = page.get_by_role("button", name="Create the specification")
    tab_to(page, create, from_top=False, presses=40)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text(TITLE)
    expect(page.get_by_role("status")).to_contain_text("The specification is created.")
    assert_fits_narrow_screen(page)

    page.goto(stack.issuer_url + "/staff/issue")
    expect(page.get_by_role("heading", level=1)).to_have_text("Issue a credential")
    assert_fields_labelled(page)
    assert_fits_narrow_screen(page)
    page.get_by_label("Specification").select_option(label=TITLE)
    page.get_by_label("Learner reference").fill("S-2001")
    page.get_by_label("Given name").fill("Clara")
    page.get_by_label("Family name").fill("Christensen")
    page.get_by_label("E-mail address").fill("clara@example.org")
    page.get_by_label("Université de Lyon (démo)").check()
    screenshot(page, "staff-issue-form")
    issue = page.get_by_role("button", name="Issue and sign the credential")
    tab_to(page, issue)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Credential issued")
    expect(page.locator("main")).to_contain_text("Clara Christensen")
    expect(page.get_by_label("Learner's management link")).to_have_value(
        re.compile(re.escape(stack.issuer_url) + "/learner/.+")
    )
    assert_fits_narrow_screen(page)
    screenshot(page, "staff-issued")
    share_url = page.locator(f'main a[href^="{stack.issuer_url}/c/"]').first.get_attribute("href")
    assert share_url is not None

    # The learner's page shows the new credential; the employer's verifier verifies it.
    page.goto(share_url)
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.locator("main")).to_contain_text("Clara Christensen")
    page.goto(f"{stack.verifier_url}/verify?url={share_url}")
    expect(page.locator("[data-verified]")).to_have_attribute("data-verified", "true")
    expect(page.locator("#credential")).to_contain_text("Université de Lyon (démo)")


def test_staff_change_their_password_and_other_sessions_end(page: Page, stack: Stack):
    """A second browser signed in as the same user is signed out by the change; the new
    password signs in."""
    email = "staff@lyon-demo-university.example"
    old, new = stack.staff_logins[email], "a brand new staff passphrase"

    def sign_in_as(target: Page, password: str) -> None:
        target.goto(stack.issuer_url + "/staff/login")
        target.get_by_label("E-mail address").fill(email)
        target.get_by_label("Password").fill(password)
        target.get_by_role("button", name="Sign in").click()

    other = page.context.browser.new_context()  # another device
    try:
        elsewhere = other.new_page()
        sign_in_as(elsewhere, old)
        expect(elsewhere.get_by_role("heading", level=1)).not_to_have_text("Sign in")
        sign_in_as(page, old)
        page.get_by_role("link", name="Change password").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Change password")
        assert_fields_labelled(page)
        assert_fits_narrow_screen(page)
        page.get_by_label("Current password").fill(old)
        page.get_by_label("New password", exact=True).fill(new)
        page.get_by_label("New password again").fill(new)
        page.get_by_role("button", name="Change password").click()
        expect(page.get_by_role("status")).to_contain_text("Your password is changed.")
        elsewhere.reload()
        expect(elsewhere.get_by_role("heading", level=1)).to_have_text("Sign in")
        sign_in_as(elsewhere, new)
        expect(elsewhere.get_by_role("heading", level=1)).not_to_have_text("Sign in")
    finally:
        other.close()
