"""An event's live room in a real browser: the composer appears when the rooms job opens
the room (the clock moved) and goes when it closes, without a reload; two members chat in
it between."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from community.events import rooms
from community.events.models import Event
from community.extensions import db
from tests.browser.conftest import sign_in_by_request
from tests.factories import make_event, make_moderator, make_user

pytestmark = pytest.mark.slow


def test_the_composer_follows_the_room_opening_and_closing(site, open_page):
    mod = make_moderator("procurement", make_user("Mona Moderator", email="mona@example.org"))
    ada = make_user("Ada Lovelace", email="ada@example.org", communities=("procurement",))
    bob = make_user("Bob Okafor", email="bob@example.org", communities=("procurement",))
    event_id = make_event(mod, title="Procurement day", starts_in=timedelta(hours=3))
    event = db.session.get(Event, event_id)
    starts, ends = event.starts_at, event.ends_at
    db.session.rollback()

    pages = []
    for user in (ada, bob):
        page = open_page()
        sign_in_by_request(page, user.email)
        page.goto(f"/chat/event-{event_id}")
        expect(page.locator("[data-chat-room]")).to_have_attribute("data-live", "on")
        expect(page.get_by_text("The room opens at")).to_be_visible()
        expect(page.get_by_label("Message", exact=True)).to_be_hidden()
        page.evaluate("() => { window.__sameDocument = true; }")
        pages.append(page)
    a, b = pages

    rooms.advance_rooms(now=starts - timedelta(minutes=15))
    for page in pages:
        expect(page.get_by_label("Message", exact=True)).to_be_visible()
        expect(page.get_by_text("The room opens at")).to_be_hidden()
    a.get_by_label("Message", exact=True).fill("Good morning, all")
    a.get_by_label("Message", exact=True).press("Enter")
    expect(b.locator("[data-chat-log]")).to_contain_text("Good morning, all")

    rooms.advance_rooms(now=ends)
    for page in pages:
        expect(page.get_by_label("Message", exact=True)).to_be_hidden()
        expect(page.get_by_text("The event has ended: its room is read-only.")).to_be_visible()
        expect(page.locator("[data-chat-log]")).to_contain_text("Good morning, all")
        assert page.evaluate("() => window.__sameDocument === true")  # no reload
