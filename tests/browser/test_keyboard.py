"""Keyboard use of the base layout: the skip link and the account menu."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, sign_in_by_request
from tests.factories import make_user

pytestmark = pytest.mark.slow


def focused(page) -> dict:
    return page.evaluate(
        "() => ({tag: document.activeElement.tagName.toLowerCase(),"
        " id: document.activeElement.id, text: document.activeElement.textContent.trim()})"
    )


@pytest.mark.parametrize("path", ["/", "/auth/register", "/c/procurement"])
def test_first_tab_reaches_the_skip_link_which_moves_focus_to_main(open_page, console, path):
    page = open_page()
    page.goto(path)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    expect(skip).to_be_in_viewport()

    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    # The next Tab continues inside main, past the header.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.querySelector('main').contains(document.activeElement)")
    assert not console.problems, "\n".join(console.problems)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_account_menu_works_from_the_keyboard(open_page, console, viewport):
    user = make_user("Priya Natarajan")
    page = open_page(viewport)
    sign_in_by_request(page, user.email)
    page.goto("/")

    menu = page.locator("header details.menu")
    summary = menu.locator("> summary")
    summary.focus()
    expect(summary).to_be_focused()
    expect(menu).not_to_have_attribute("open", "")
    profile = page.get_by_role("link", name="Your profile")
    expect(profile).to_be_hidden()

    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("open", "")
    expect(profile).to_be_visible()
    expect(profile).to_be_in_viewport()
    page.keyboard.press("Tab")
    expect(profile).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Settings")).to_be_focused()
    page.keyboard.press("Tab")
    sign_out = page.get_by_role("button", name="Sign out")
    expect(sign_out).to_be_focused()
    expect(sign_out).to_be_in_viewport()

    # Escape closes the menu and gives focus back to its button.
    page.keyboard.press("Escape")
    expect(profile).to_be_hidden()
    expect(summary).to_be_focused()
    expect(menu).not_to_have_attribute("open", "")

    # Space opens it too, and following a link works from the keyboard.
    page.keyboard.press(" ")
    expect(profile).to_be_visible()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Priya Natarajan")
    assert not console.problems, "\n".join(console.problems)


def test_account_menu_closes_when_clicking_elsewhere(open_page, console):
    user = make_user("Priya Natarajan")
    page = open_page()
    sign_in_by_request(page, user.email)
    page.goto("/")
    page.locator("header details.menu > summary").click()
    expect(page.get_by_role("link", name="Your profile")).to_be_visible()
    page.locator("main h1").click()
    expect(page.get_by_role("link", name="Your profile")).to_be_hidden()
    assert not console.problems, "\n".join(console.problems)
