"""The main journeys in a real browser: joining, confirming, taking part, and bad input."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE
from tests.factories import PASSWORD

pytestmark = pytest.mark.slow


def account_menu(page):
    return page.locator("header details.menu")


def open_account_menu(page):
    menu = account_menu(page)
    if menu.get_attribute("open") is None:
        menu.locator("summary").click()
    return menu


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_join_confirm_take_part_and_sign_out(open_page, site, console, viewport):
    page = open_page(viewport)
    page.goto("/")
    page.locator("header").get_by_role("link", name="Join", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Join Commons")

    page.get_by_label("Email address").fill("Amara.Osei@example.org")
    page.get_by_label("Your name").fill("Amara Osei")
    organisation = page.get_by_label("Organisation", exact=True)
    first_org = organisation.locator("option").nth(1).inner_text()
    organisation.select_option(label=first_org)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    expect(page.get_by_text("amara.osei@example.org")).to_be_visible()

    [message] = site.outbox.to("amara.osei@example.org")
    page.goto(site.outbox.link(message, "/auth/verify/"))
    page.get_by_role("button", name="Confirm my address").click()
    expect(page.get_by_role("status")).to_contain_text("you are signed in")
    summary = account_menu(page).locator("summary")
    expect(summary).to_contain_text("Amara Osei")
    expect(summary).to_have_accessible_name(re.compile("Amara Osei"))

    page.get_by_role("link", name="Procurement", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Procurement")
    page.get_by_role("button", name="Join Procurement").click()
    expect(page.get_by_text("You are a member")).to_be_visible()

    open_account_menu(page).get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Settings")
    page.get_by_label("About you").fill("I run **community lending** at Riverside.")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("status")).to_contain_text("Your profile is saved.")

    open_account_menu(page).get_by_role("link", name="Your profile").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Amara Osei")
    expect(page.locator(".prose strong")).to_have_text("community lending")
    expect(page.get_by_role("link", name="Procurement")).to_be_visible()

    open_account_menu(page).get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_contain_text("You are signed out.")
    expect(page.locator("header").get_by_role("link", name="Sign in")).to_be_visible()
    expect(account_menu(page)).to_have_count(0)
    assert not console.problems, "\n".join(console.problems)


def test_bad_registration_keeps_input_and_ties_errors_to_fields(open_page, console):
    page = open_page()
    page.goto("/auth/register")
    page.get_by_label("Email address").fill("sam@example.org")
    page.get_by_label("Your name").fill("Sam Okafor")
    page.get_by_label("Organisation", exact=True).select_option(label="Other (type its name below)")
    page.get_by_label("Organisation name, if not listed").fill("Riverside Enterprise")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill("a different password")
    page.get_by_label("Repeat the password").press("Enter")

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("The passwords do not match.")
    # Focus starts on the summary, so a screen reader reads it first and Tab goes on from it.
    expect(summary).to_be_focused()
    expect(page).to_have_title(re.compile(r"^Error: "))

    confirm = page.get_by_label("Repeat the password")
    expect(confirm).to_have_attribute("aria-invalid", "true")
    expect(confirm).to_have_accessible_description(re.compile("The passwords do not match."))
    expect(confirm).to_have_value("")
    expect(page.get_by_label("Password", exact=True)).to_have_value("")
    expect(page.get_by_label("Email address")).to_have_value("sam@example.org")
    expect(page.get_by_label("Your name")).to_have_value("Sam Okafor")
    expect(page.get_by_label("Organisation name, if not listed")).to_have_value(
        "Riverside Enterprise"
    )

    # The summary's link leads to the field, by keyboard.
    page.keyboard.press("Tab")
    expect(summary.get_by_role("link", name="The passwords do not match.")).to_be_focused()
    page.keyboard.press("Enter")
    expect(confirm).to_be_focused()
    assert not console.problems, "\n".join(console.problems)
