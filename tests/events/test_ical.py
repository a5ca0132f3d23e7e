"""Events as iCalendar: the public feed `/events.ics`, one event's `.ics`, what each VEVENT
says (RFC 5545, read back with the `icalendar` package), and the "Add to calendar" panel."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import render_template
from icalendar import Calendar

from community.db import atomic, utcnow
from community.events import actions, calendar_feeds, ical, panels
from community.events.models import Event
from community.extensions import db
from tests.communities.helpers import set_visibility
from tests.factories import make_event, make_user


def parse(response) -> Calendar:
    """A calendar response read back as a calendar program would."""
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    cal = Calendar.from_ical(response.data)
    assert cal["VERSION"] == "2.0"
    assert cal["PRODID"]
    assert cal["CALSCALE"] == "GREGORIAN"
    assert cal["METHOD"] == "PUBLISH"
    assert cal["X-WR-CALNAME"]
    return cal


def vevents(cal: Calendar) -> dict[str, object]:
    """The calendar's VEVENTs by UID."""
    return {str(v["UID"]): v for v in cal.walk("VEVENT")}


def uid(event_id: int) -> str:
    return f"event-{event_id}@localhost"  # the tests' SITE_URL is http://localhost


def change(event_id: int, **fields) -> None:
    """An edit as the organisers' edit makes it: fields changed, SEQUENCE raised."""
    with atomic():
        event = db.session.get(Event, event_id)
        for name, value in fields.items():
            setattr(event, name, value)
        event.sequence += 1
        event.updated_at = utcnow()


def test_the_public_feed_has_network_wide_and_public_communities_events(client, mod, admin):
    ours = make_event(mod, title="Procurement working group")
    network = make_event(admin, community=None, title="Networking day")
    response = client.get("/events.ics")
    feed = vevents(parse(response))
    assert set(feed) == {uid(ours), uid(network)}
    assert b"\r\nX-PUBLISHED-TTL:PT1H\r\n" in response.data  # how often to fetch it again
    assert str(feed[uid(ours)]["SUMMARY"]) == "Procurement working group"
    assert str(feed[uid(ours)]["URL"]) == f"http://localhost/events/{ours}"
    assert feed[uid(ours)]["SEQUENCE"] == 0
    assert str(feed[uid(ours)]["STATUS"]) == "CONFIRMED"


def test_members_only_events_are_not_in_the_public_feed_nor_downloadable_by_outsiders(
    browser, communities, admin, alice
):
    set_visibility("health", "members")
    hidden = make_event(admin, community="health", title="Health board, members only")
    shown = make_event(admin, community="procurement")
    assert set(vevents(parse(browser.get("/events.ics")))) == {uid(shown)}
    assert b"members only" not in browser.get("/events.ics").data
    assert browser.get(f"/events/{hidden}.ics").status_code == 404  # anonymous
    browser.login("alice@example.org")  # a member of Procurement, not of Health
    assert browser.get(f"/events/{hidden}.ics").status_code == 404
    assert set(vevents(parse(browser.get("/events.ics")))) == {uid(shown)}  # signed in too


def test_a_member_of_a_members_only_community_downloads_its_event(browser, communities, admin):
    make_user("Carol", email="carol@example.org", communities=("health",))
    set_visibility("health", "members")
    hidden = make_event(admin, community="health", title="Health board")
    browser.login("carol@example.org")
    response = browser.get(f"/events/{hidden}.ics")
    assert set(vevents(parse(response))) == {uid(hidden)}
    assert response.headers["Cache-Control"] == "private, no-store"  # not for shared caches


def test_one_event_downloads_as_an_attachment(client, mod):
    event_id = make_event(mod, title="Tenders: bids, lots; and more")
    response = client.get(f"/events/{event_id}.ics")
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="tenders-bids-lots-and-more-{event_id}.ics"'
    )
    (event,) = parse(response).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Tenders: bids, lots; and more"  # escaped and read back
    assert client.get("/events/999999.ics").status_code == 404


def test_the_feed_reaches_back_ninety_days(client, mod):
    recent = make_event(mod, starts_in=timedelta(days=-10), allow_past=True)
    make_event(mod, starts_in=timedelta(days=-100), allow_past=True)
    upcoming = make_event(mod, starts_in=timedelta(days=30))
    assert set(vevents(parse(client.get("/events.ics")))) == {uid(recent), uid(upcoming)}


def test_a_full_feed_keeps_what_is_coming_and_drops_the_oldest_past(
    client, mod, alice, monkeypatch
):
    monkeypatch.setattr(ical, "FEED_LIMIT", 3)
    past = [
        make_event(mod, starts_in=timedelta(days=-d), allow_past=True) for d in (40, 30, 20, 10)
    ]
    coming = [make_event(mod, starts_in=timedelta(days=d)) for d in (5, 6)]
    expected = [uid(past[-1]), uid(coming[0]), uid(coming[1])]  # in order of start
    assert [str(v["UID"]) for v in parse(client.get("/events.ics")).walk("VEVENT")] == expected
    with atomic():
        token = calendar_feeds.make_feed(alice).token
    mine = parse(client.get(f"/events/feed/{token}.ics")).walk("VEVENT")
    assert [str(v["UID"]) for v in mine] == expected
    more = [make_event(mod, starts_in=timedelta(days=d)) for d in (7, 8)]
    assert set(vevents(parse(client.get("/events.ics")))) == {uid(i) for i in coming + more[:1]}


def wall(*parts: int) -> datetime:
    return datetime(*parts)  # noqa: DTZ001 (a wall-clock time as a form gives it)


@pytest.mark.parametrize(("month", "utc"), [(7, "090000Z"), (1, "100000Z")], ids=["bst", "gmt"])
def test_ten_in_london_exports_as_ten_in_london(client, mod, month, utc):
    starts = wall(2031, month, 14, 10, 0)
    with atomic():
        event = actions.create_event(
            mod,
            actions.EventDetails(
                title="Working group",
                starts=starts,
                ends=starts + timedelta(hours=1, minutes=30),
                timezone="Europe/London",
                community="procurement",
                location="Civic Centre",
            ),
        )
    body = client.get(f"/events/{event.id}.ics").get_data(as_text=True)
    assert f"DTSTART:2031{month:02d}14T{utc}" in body
    (vevent,) = parse(client.get(f"/events/{event.id}.ics")).walk("VEVENT")
    start, end = vevent.decoded("DTSTART"), vevent.decoded("DTEND")
    assert start.utcoffset() == timedelta(0)  # written in UTC…
    assert start.astimezone(ZoneInfo("Europe/London")).strftime("%H:%M") == "10:00"  # …as typed
    assert end - start == timedelta(hours=1, minutes=30)


def test_uid_stays_and_sequence_rises_when_the_event_changes(client, mod):
    event_id = make_event(mod, title="Before")
    (before,) = parse(client.get(f"/events/{event_id}.ics")).walk("VEVENT")
    change(event_id, title="After", location="Town Hall")
    change(event_id, starts_at=db.session.get(Event, event_id).starts_at + timedelta(hours=1))
    (after,) = parse(client.get(f"/events/{event_id}.ics")).walk("VEVENT")
    assert str(before["UID"]) == str(after["UID"]) == uid(event_id)
    assert (before["SEQUENCE"], after["SEQUENCE"]) == (0, 2)
    assert (str(after["SUMMARY"]), str(after["LOCATION"])) == ("After", "Town Hall")
    assert after.decoded("DTSTART") - before.decoded("DTSTART") == timedelta(hours=1)
    assert after.decoded("LAST-MODIFIED") >= before.decoded("LAST-MODIFIED")


def test_a_cancelled_event_stays_in_the_feed_as_cancelled(client, mod):
    event_id = make_event(mod)
    change(event_id, cancelled_at=utcnow(), cancel_reason="The venue flooded")
    (event,) = vevents(parse(client.get("/events.ics"))).values()
    assert str(event["STATUS"]) == "CANCELLED"
    assert event["SEQUENCE"] == 1
    assert "Cancelled: The venue flooded" in str(event["DESCRIPTION"])
    (download,) = parse(client.get(f"/events/{event_id}.ics")).walk("VEVENT")
    assert str(download["STATUS"]) == "CANCELLED"


def test_description_is_plain_text_and_location_the_place_or_online(client, mod):
    in_person = make_event(
        mod, description="Bring **tenders** and [bids](https://example.org/bids).\n\n- and _pens_"
    )
    online = make_event(mod, location="", join_url="https://meet.example.org/wg")
    both = make_event(mod, location="Civic Centre", join_url="https://meet.example.org/both")
    feed = vevents(parse(client.get("/events.ics")))
    description = str(feed[uid(in_person)]["DESCRIPTION"])
    assert description.startswith("Bring tenders and bids.\n\nand pens\n\n")
    assert f"http://localhost/events/{in_person}" in description
    assert str(feed[uid(in_person)]["LOCATION"]) == "Civic Centre, Newport"
    assert str(feed[uid(online)]["LOCATION"]) == "Online"
    assert str(feed[uid(both)]["LOCATION"]) == "Civic Centre"
    assert [str(c) for c in feed[uid(in_person)]["CATEGORIES"].cats] == ["Procurement"]


def test_join_links_reach_members_only_never_the_public_feed_or_an_anonymous_download(
    browser, mod, alice
):
    online = make_event(mod, location="", join_url="https://meet.example.org/wg")
    both = make_event(mod, location="Civic Centre", join_url="https://meet.example.org/both")
    public = browser.get("/events.ics")
    assert b"meet.example.org" not in public.data
    assert "Cache-Control" not in public.headers  # one copy for everyone, without the links
    anonymous = browser.get(f"/events/{online}.ics")
    assert b"meet.example.org" not in anonymous.data
    (event,) = parse(anonymous).walk("VEVENT")
    assert str(event["LOCATION"]) == "Online"
    assert b"meet.example.org" not in browser.get(f"/events/{both}.ics").data

    browser.login("alice@example.org")
    assert b"meet.example.org" not in browser.get("/events.ics").data  # public, signed in or not
    mine = browser.get(f"/events/{online}.ics")
    (event,) = parse(mine).walk("VEVENT")
    assert str(event["LOCATION"]) == "https://meet.example.org/wg"
    assert mine.headers["Cache-Control"] == "private, no-store"  # a member's copy
    (event,) = parse(browser.get(f"/events/{both}.ics")).walk("VEVENT")
    assert str(event["LOCATION"]) == "Civic Centre"
    assert "Join online: https://meet.example.org/both" in str(event["DESCRIPTION"])

    with atomic():
        token = calendar_feeds.make_feed(alice).token
    feed = vevents(parse(browser.get(f"/events/feed/{token}.ics")))
    assert str(feed[uid(online)]["LOCATION"]) == "https://meet.example.org/wg"
    assert "Join online: https://meet.example.org/both" in str(feed[uid(both)]["DESCRIPTION"])


def test_uids_follow_the_site_address(app, client, mod):
    event_id = make_event(mod)
    app.config["SITE_URL"] = "https://commons.example.org/"
    (event,) = parse(client.get(f"/events/{event_id}.ics")).walk("VEVENT")
    assert str(event["UID"]) == f"event-{event_id}@commons.example.org"
    assert str(event["URL"]) == f"https://commons.example.org/events/{event_id}"


def calendar_panel(app, event_id: int, user):
    event = db.session.get(Event, event_id)
    with app.test_request_context():
        shown = dict(panels.shown(event, user))
        context = shown.get("events/_calendar.html")
        return None if context is None else render_template("events/_calendar.html", **context)


def test_the_panel_offers_the_download_and_signed_in_members_the_private_feed(app, mod, alice):
    event_id = make_event(mod)
    for_alice = calendar_panel(app, event_id, alice)
    assert "Add to calendar" in for_alice
    assert f'href="/events/{event_id}.ics"' in for_alice
    assert 'href="/settings#calendar"' in for_alice
    anonymous = calendar_panel(app, event_id, None)
    assert f'href="/events/{event_id}.ics"' in anonymous
    assert "/settings" not in anonymous
    assert "join link" not in anonymous  # an event without one
    online = make_event(mod, location="", join_url="https://meet.example.org/wg")
    assert "Sign in</a> first to have the join link in it." in calendar_panel(app, online, None)
    assert "join link" not in calendar_panel(app, online, alice)
    assert panels._panels["calendar"].order == 20
