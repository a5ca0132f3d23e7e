"""Issue 13's journey in Chromium, as its users live it: an organiser publishes a meeting, a
member says they will come and puts it in their calendar, the room opens on schedule (the
clock moved for the rooms job), two members talk in it, and when it closes its transcript
is in the resource bank as the event's record. Axe checks every page on the way."""

import re
from datetime import timedelta

import icalendar
import pytest
from playwright.sync_api import expect

from community.db import utcnow
from community.events import rooms
from community.events.models import Event
from community.events.rules import to_local
from community.extensions import db
from tests.browser.conftest import sign_in_by_request
from tests.factories import make_moderator, make_user

pytestmark = pytest.mark.slow

ZONE = "Europe/London"


def wall(value) -> str:
    """A UTC time as the organiser types it in a datetime-local input, London time."""
    return to_local(value, ZONE).strftime("%Y-%m-%dT%H:%M")


def test_an_event_from_publication_to_its_record(site, open_page):
    make_moderator("procurement", make_user("Mona Moderator", email="mona@example.org"))
    make_user("Ada Lovelace", email="ada@example.org", communities=("procurement",),
              organisation_other="Newport Social Enterprise")  # fmt: skip
    make_user("Bob Okafor", email="bob@example.org", communities=("procurement",),
              organisation_other="Gwent Council")  # fmt: skip
    starts = (utcnow() + timedelta(hours=3)).replace(second=0, microsecond=0)

    # The organiser publishes the meeting from the events page.
    mona = open_page()
    sign_in_by_request(mona, "mona@example.org")
    mona.goto("/")
    mona.get_by_role("link", name="Events", exact=True).first.click()
    mona.get_by_role("link", name="New event").click()
    mona.get_by_label("Title").fill("Social value clinic")
    mona.get_by_label("Community").select_option(label="Procurement")
    mona.get_by_label("Description").fill("Bring a tender you are **scoring**.")
    mona.get_by_label("Starts").fill(wall(starts))
    mona.get_by_label("Ends").fill(wall(starts + timedelta(hours=2)))
    mona.get_by_label("Time zone").select_option(ZONE)
    mona.get_by_label("Place").fill("Civic Centre, Newport")
    mona.get_by_label("Capacity (optional)").fill("10")
    mona.get_by_role("button", name="Publish the event").click()
    expect(mona.get_by_role("heading", level=1)).to_have_text("Social value clinic")
    event_url = mona.url
    event_id = int(re.search(r"/events/(\d+)$", event_url)[1])

    # A member finds it, says she is going, and takes it into her calendar.
    ada = open_page()
    sign_in_by_request(ada, "ada@example.org")
    ada.goto("/events")
    ada.get_by_role("link", name="Social value clinic").click()
    expect(ada.locator("main")).to_contain_text("Civic Centre, Newport")
    ada.get_by_role("button", name="Going", exact=True).click()
    expect(ada.get_by_text("Your answer: Going")).to_be_visible()
    expect(ada.locator(".event-rsvp")).to_contain_text("Newport Social Enterprise")
    with ada.expect_download() as download:
        ada.get_by_role("link", name=re.compile(r"Download this event \(\.ics\)")).click()
    calendar = icalendar.Calendar.from_ical(download.value.path().read_bytes())
    [vevent] = calendar.walk("VEVENT")
    assert str(vevent["SUMMARY"]) == "Social value clinic"
    assert vevent.decoded("DTSTART").replace(tzinfo=None) == starts
    assert str(vevent["STATUS"]) == "CONFIRMED"

    # The clock moves on to a quarter of an hour before the start: the rooms job opens it.
    bob = open_page()
    sign_in_by_request(bob, "bob@example.org")
    db.session.rollback()  # the job sees what the server committed
    moved = rooms.advance_rooms(now=starts - timedelta(minutes=15))
    assert moved == {"open": 1, "closed": 0}, moved
    for page in (ada, bob):
        page.goto(f"/events/{event_id}")
        page.get_by_role("link", name="Join the room").click()
        expect(page.get_by_label("Message", exact=True)).to_be_visible()
    ada.get_by_label("Message", exact=True).fill("Morning! I have the Gwent framework here")
    ada.get_by_label("Message", exact=True).press("Enter")
    expect(bob.locator("[data-chat-log]")).to_contain_text("I have the Gwent framework here")
    bob.get_by_label("Message", exact=True).fill("Great, let us start with its weighting")
    bob.get_by_label("Message", exact=True).press("Enter")
    expect(ada.locator("[data-chat-log]")).to_contain_text("start with its weighting")

    # The end: the room closes, read-only, and its transcript is the event's record.
    event = db.session.get(Event, event_id)
    ends = event.ends_at
    db.session.rollback()
    rooms.advance_rooms(now=ends)
    expect(bob.get_by_text("The event has ended: its room is read-only.")).to_be_visible()
    ada.goto(f"/events/{event_id}")
    ada.locator("#record").get_by_role("link").first.click()
    expect(ada.get_by_role("heading", level=1)).to_contain_text("Social value clinic")
    expect(ada.locator("main")).to_contain_text("I have the Gwent framework here")
    expect(ada.locator("main")).to_contain_text("start with its weighting")
    expect(ada.get_by_role("link", name=re.compile("Social value clinic"))).to_be_visible()
