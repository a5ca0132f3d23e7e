"""The event pages in Chromium: an organiser creates an event on a phone (the Markdown
preview without a reload, the grouped zone select), then edits and cancels it; every page
passes axe-core (the `open_page` watch) and fits a phone's width."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from community.db import utcnow
from community.events.models import Event
from community.events.rules import to_local
from community.extensions import db
from tests.browser.conftest import DESKTOP, PHONE, horizontal_overflow, sign_in_by_request
from tests.factories import make_moderator, make_user

pytestmark = pytest.mark.slow


def _typed(delta: timedelta) -> str:
    return to_local(utcnow() + delta, "Europe/London").strftime("%Y-%m-%dT%H:%M")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_an_organiser_creates_edits_and_cancels_an_event(open_page, site, viewport):
    make_moderator("procurement", make_user("Mona Moderator", email="mona@example.org"))
    page = open_page(viewport)
    sign_in_by_request(page, "mona@example.org")
    page.goto("/")
    page.get_by_role("link", name="Events", exact=True).first.click()
    page.get_by_role("link", name="New event").click()
    page.get_by_label("Title").fill("Social value in tenders")
    page.get_by_label("Description").fill("Bring *your* questions.")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("[data-preview] em")).to_have_text("your")
    page.get_by_label("Starts").fill(_typed(timedelta(days=10)))
    page.get_by_label("Ends").fill(_typed(timedelta(days=10, hours=2)))
    page.get_by_label("Place").fill("Civic Centre, Newport")
    page.get_by_label("Capacity (optional)").fill("0")
    page.get_by_role("button", name="Publish the event").click()
    expect(page.get_by_role("alert")).to_contain_text("Capacity must be at least 1")
    expect(page.get_by_label("Title")).to_have_value("Social value in tenders")
    assert horizontal_overflow(page) == 0
    page.get_by_label("Capacity (optional)").fill("20")
    page.get_by_role("button", name="Publish the event").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Social value in tenders")
    assert horizontal_overflow(page) == 0

    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Place").fill("Room 2, Civic Centre, Newport")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Room 2, Civic Centre, Newport")).to_be_visible()

    page.get_by_role("link", name="Cancel the event").click()
    page.get_by_label("Reason (optional)").fill("The venue flooded.")
    page.get_by_role("button", name="Cancel the event").click()
    expect(page.locator(".status-panel")).to_contain_text("The venue flooded.")
    page.goto("/events")
    expect(page.locator(".event-list .badge-warning")).to_have_text("Cancelled")
    assert horizontal_overflow(page) == 0
    db.session.rollback()
    event = db.session.scalars(db.select(Event)).one()
    assert (event.sequence, event.is_cancelled) == (2, True)
