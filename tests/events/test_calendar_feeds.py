"""A member's private calendar feed: made, shown, replaced and revoked in settings (CSRF on
each), what it holds (their communities' events, network-wide ones, what they RSVPed) and
what it never holds (events they may not see)."""

import re
from datetime import timedelta

from icalendar import Calendar
from sqlalchemy import func, select

from community.accounts.models import User
from community.db import atomic, utcnow
from community.events import calendar_feeds
from community.events.models import CalendarFeed, Event, EventRsvp
from community.extensions import db
from tests.communities.helpers import run_concurrently, set_visibility
from tests.factories import make_event, make_user

FEED_URL = re.compile(r'id="calendar-feed-url" value="([^"]+)"')


def feed_link(browser) -> str | None:
    """The private link the settings page shows (absolute), or None."""
    page = browser.get("/settings").get_data(as_text=True)
    assert 'id="calendar-heading">Calendar feed</h2>' in page
    match = FEED_URL.search(page)
    return match.group(1) if match else None


def make_link(browser) -> str:
    response = browser.submit("/settings", {}, action="/settings/calendar")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/settings#calendar")
    return feed_link(browser)


def path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def uids(response) -> set[str]:
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    cal = Calendar.from_ical(response.data)
    assert cal["METHOD"] == "PUBLISH"
    return {
        str(v["UID"]).removeprefix("event-").removesuffix("@localhost") for v in cal.walk("VEVENT")
    }


def ids(*event_ids: int) -> set[str]:
    return {str(i) for i in event_ids}


def rsvp(user, event_id: int, status: str) -> None:
    """An answer as the RSVP action records it."""
    with atomic():
        db.session.add(EventRsvp(event_id=event_id, user_id=user.id, status=status))


def feed_count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(CalendarFeed))


def test_a_member_makes_a_private_link_shown_from_site_url(app, browser, alice):
    app.config["SITE_URL"] = "https://commons.example.org"
    browser.login("alice@example.org")
    assert feed_link(browser) is None
    link = make_link(browser)
    token = db.session.scalar(select(CalendarFeed.token).where(CalendarFeed.user_id == alice.id))
    assert link == f"https://commons.example.org/events/feed/{token}.ics"
    assert len(token) >= 43  # secrets.token_urlsafe(32)
    response = browser.get(path(link))
    assert uids(response) == set()
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["X-Robots-Tag"] == "noindex"


def test_a_new_link_replaces_the_old_and_a_revoked_one_is_gone(browser, alice, mod):
    event_id = make_event(mod)
    browser.login("alice@example.org")
    first = make_link(browser)
    assert uids(browser.get(path(first))) == ids(event_id)
    second = make_link(browser)
    assert second != first
    assert browser.get(path(first)).status_code == 404
    assert uids(browser.get(path(second))) == ids(event_id)
    assert feed_count() == 1
    response = browser.submit("/settings", {}, action="/settings/calendar/revoke")
    assert response.status_code == 302
    assert browser.get(path(second)).status_code == 404
    assert feed_link(browser) is None
    assert feed_count() == 0
    # The feed works without the session: calendar programs fetch it signed out.
    third = make_link(browser)
    browser.logout()
    assert uids(browser.get(path(third))) == ids(event_id)


def test_wrong_tokens_are_not_found(client, alice):
    with atomic():
        calendar_feeds.make_feed(alice)
    token = db.session.scalar(select(CalendarFeed.token))
    for wrong in (token[:-1], token + "x", "x" * 43, "", "../events", token.upper()):
        if wrong == token:
            continue
        assert client.get(f"/events/feed/{wrong}.ics").status_code == 404, wrong
    assert client.get(f"/events/feed/{token}.ics").status_code == 200


def test_a_suspended_members_feed_stops(client, alice):
    with atomic():
        token = calendar_feeds.make_feed(alice).token
    with atomic():
        db.session.merge(alice).suspended_at = utcnow()
    assert client.get(f"/events/feed/{token}.ics").status_code == 404


def test_settings_posts_need_the_csrf_token(browser, alice):
    browser.login("alice@example.org")
    assert browser.client.post("/settings/calendar").status_code == 400
    assert feed_count() == 0
    link = make_link(browser)
    assert browser.client.post("/settings/calendar/revoke").status_code == 400
    assert browser.client.post("/settings/calendar", data={"csrf_token": "nope"}).status_code == 400
    assert feed_link(browser) == link  # neither revoked nor replaced


def test_settings_posts_need_a_signed_in_member(client, communities):
    response = client.post("/settings/calendar")
    assert response.status_code in (302, 400)  # sent to sign in (or refused before)
    assert feed_count() == 0


def test_the_feed_holds_the_members_communities_network_wide_and_what_they_rsvped(
    client, communities, mod, alice, admin
):
    ours = make_event(mod, community="procurement")
    network = make_event(admin, community=None)
    elsewhere = make_event(admin, community="finance")  # public, but not Alice's community
    going = make_event(admin, community="health")
    maybe = make_event(admin, community="health")
    waiting = make_event(admin, community="workforce-development")
    declined = make_event(admin, community="impact-measurement")
    rsvp(alice, going, "going")
    rsvp(alice, maybe, "maybe")
    rsvp(alice, waiting, "waiting")
    rsvp(alice, declined, "not_going")
    past = make_event(mod, starts_in=timedelta(days=-120), allow_past=True)
    with atomic():
        token = calendar_feeds.make_feed(alice).token
    feed = uids(client.get(f"/events/feed/{token}.ics"))
    assert feed == ids(ours, network, going, maybe, waiting)
    assert not feed & ids(elsewhere, declined, past)


def test_members_only_events_never_reach_another_members_feed(client, communities, admin, alice):
    carol = make_user("Carol", email="carol@example.org", communities=("health",))
    set_visibility("health", "members")
    hidden = make_event(admin, community="health", title="Members-only board")
    rsvp(alice, hidden, "going")  # an answer left from before does not make it visible
    with atomic():
        alice_token = calendar_feeds.make_feed(alice).token
        carol_token = calendar_feeds.make_feed(carol).token
    alice_feed = client.get(f"/events/feed/{alice_token}.ics")
    assert str(hidden) not in uids(alice_feed)
    assert b"Members-only board" not in alice_feed.data
    assert uids(client.get(f"/events/feed/{carol_token}.ics")) == ids(hidden)


def test_cancelled_events_stay_in_the_private_feed(client, mod, alice):
    event_id = make_event(mod)
    with atomic():
        token = calendar_feeds.make_feed(alice).token
        event = db.session.get(Event, event_id)
        event.cancelled_at, event.sequence = utcnow(), event.sequence + 1
    cal = Calendar.from_ical(client.get(f"/events/feed/{token}.ics").data)
    (vevent,) = cal.walk("VEVENT")
    assert (str(vevent["STATUS"]), vevent["SEQUENCE"]) == ("CANCELLED", 1)


def test_two_clicks_at_once_leave_one_working_link(app, alice):
    def work(_):
        with atomic():
            calendar_feeds.make_feed(db.session.get(User, alice.id))

    assert run_concurrently(app, work, [1, 2, 3]) == []
    assert feed_count() == 1
