"""The event pages over HTTP: the organiser's forms (bad input keeps what was typed, CSRF
refused), the event page, the lists with their filters and paging, and where members-only
events must not show."""

import re
from datetime import timedelta
from html import unescape

import pytest

from community.db import atomic, utcnow
from community.events import actions, queries
from community.events.models import Event, EventRsvp
from community.events.rules import to_local
from community.extensions import db
from community.pagination import encode_cursor
from tests.communities.helpers import set_visibility
from tests.conftest import Browser
from tests.factories import make_event


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def wall_text(delta: timedelta, zone: str = "Europe/London") -> str:
    """What a datetime-local input sends for now + delta, in `zone`."""
    return to_local(utcnow() + delta, zone).strftime("%Y-%m-%dT%H:%M")


def form(**overrides) -> dict:
    data = {
        "title": "Social value in tenders",
        "description": "Bring *your* questions.",
        "community": "procurement",
        "starts": wall_text(timedelta(days=10)),
        "ends": wall_text(timedelta(days=10, hours=2)),
        "timezone": "Europe/London",
        "location": "Civic Centre, Newport",
        "join_url": "",
        "capacity": "",
        "deadline": "",
    }
    data.update(overrides)
    return data


def only_event() -> Event:
    db.session.rollback()
    return db.session.scalars(db.select(Event)).one()


# --- creating ----------------------------------------------------------------------------


def test_a_moderator_creates_an_event_from_the_form(browser, mod):
    browser.login(mod.email)
    page = browser.get("/events/new?community=procurement")
    assert page.status_code == 200
    assert re.search(
        r'<option selected value="procurement">|<option value="procurement" selected',
        page.get_data(as_text=True),
    )
    assert "Network-wide" not in text(page)  # only admins organise network-wide events
    response = browser.submit("/events/new", form(capacity="25"))
    assert response.status_code == 302
    event = only_event()
    assert response.headers["Location"].endswith(f"/events/{event.id}")
    assert event.capacity == 25
    assert event.organiser_id == mod.id
    shown = text(browser.get(f"/events/{event.id}"))
    assert "Social value in tenders" in shown
    assert "<em>your</em>" in shown
    assert "Procurement" in shown
    assert "Edit" in shown


def test_the_form_preselects_the_organisers_zone(browser, mod):
    with atomic():
        db.session.merge(mod).timezone = "America/New_York"
    browser.login(mod.email)
    html = browser.get("/events/new").get_data(as_text=True)
    assert re.search(r'<option selected value="America/New_York">', html)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"ends": wall_text(timedelta(days=9))}, "The end must come after the start."),
        ({"starts": wall_text(timedelta(days=-1))}, "That time has passed"),
        ({"capacity": "0"}, "Capacity must be at least 1"),
        ({"capacity": "lots"}, "Capacity is a whole number"),
        ({"timezone": "Mars/Olympus"}, "Choose a time zone from the list."),
        ({"join_url": "ftp://example.org/x"}, "starting with http:// or https://"),
        ({"starts": "next tuesday"}, "Give a date and time, such as"),
        ({"title": ""}, "Give the event a title."),
        ({"location": "", "join_url": ""}, "Say where it happens"),
        ({"community": "nowhere"}, "We could not find the community"),
    ],
    ids=["end-before-start", "past", "zero-capacity", "words-capacity", "zone", "ftp-link",
         "unreadable-time", "no-title", "nowhere", "unknown-community"],
)  # fmt: skip
def test_bad_input_shows_the_form_again_with_everything_typed(browser, mod, changes, message):
    browser.login(mod.email)
    data = form(title="Kept title", capacity="12")
    data.update(changes)
    response = browser.submit("/events/new", data)
    assert response.status_code == 400
    html = text(response)
    assert "There is a problem" in html
    assert message in html
    for name in ("title", "location", "capacity", "join_url"):
        if data[name]:
            assert f'value="{data[name]}"' in html, name
    assert "Bring *your* questions." in html
    db.session.rollback()
    assert db.session.query(Event).count() == 0


def test_a_community_the_organiser_does_not_moderate_is_refused_on_the_form(browser, mod):
    browser.login(mod.email)
    response = browser.submit("/events/new", form(community="finance"))
    assert response.status_code == 400
    html = text(response)
    assert "Only this community's moderators can create its events." in html
    assert 'id="community-error"' in html
    assert 'value="Social value in tenders"' in html


def test_the_preview_renders_the_description_and_keeps_the_form(browser, mod):
    browser.login(mod.email)
    response = browser.submit("/events/new", form(preview="Preview"))
    assert response.status_code == 200
    html = text(response)
    assert "<p>Bring <em>your</em> questions.</p>" in html
    assert 'value="Social value in tenders"' in html
    db.session.rollback()
    assert db.session.query(Event).count() == 0


def test_the_form_needs_csrf(client, mod):
    Browser(client).login(mod.email)
    response = client.post("/events/new", data=form())
    assert response.status_code == 400
    db.session.rollback()
    assert db.session.query(Event).count() == 0


def test_cancelling_needs_csrf(client, mod):
    event_id = make_event(mod)
    Browser(client).login(mod.email)
    assert client.post(f"/events/{event_id}/cancel", data={"reason": "x"}).status_code == 400
    assert not only_event().is_cancelled


def test_members_cannot_open_the_form(browser, alice):
    browser.login(alice.email)
    assert browser.get("/events/new").status_code == 403
    assert "New event" not in text(browser.get("/events"))


def test_visitors_are_asked_to_sign_in(client):
    response = client.get("/events/new")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_admins_may_make_network_wide_events(browser, admin):
    browser.login(admin.email)
    assert "Network-wide" in text(browser.get("/events/new"))
    assert browser.submit("/events/new", form(community="")).status_code == 302
    assert only_event().community_id is None


# --- editing and cancelling ------------------------------------------------------------------


def test_the_edit_form_shows_the_times_in_the_events_zone_and_saves(browser, mod):
    event_id = make_event(mod, timezone="Asia/Tokyo")
    event = db.session.get(Event, event_id)
    local = to_local(event.starts_at, "Asia/Tokyo").strftime("%Y-%m-%dT%H:%M")
    browser.login(mod.email)
    html = browser.get(f"/events/{event_id}/edit").get_data(as_text=True)
    assert f'value="{local}"' in html
    data = form(
        title="Renamed", timezone="Asia/Tokyo", starts=local,
        ends=to_local(event.ends_at, "Asia/Tokyo").strftime("%Y-%m-%dT%H:%M"),
    )  # fmt: skip
    response = browser.submit(f"/events/{event_id}/edit", data)
    assert response.status_code == 302
    event = only_event()
    assert (event.title, event.sequence) == ("Renamed", 1)


def test_a_bad_edit_keeps_what_was_typed(browser, mod):
    event_id = make_event(mod)
    browser.login(mod.email)
    response = browser.submit(f"/events/{event_id}/edit", form(title="New name", capacity="-3"))
    assert response.status_code == 400
    html = text(response)
    assert 'value="New name"' in html
    assert "Capacity must be at least 1" in html
    assert only_event().title == "Networking day"


def test_others_cannot_edit_or_cancel(browser, mod, alice):
    event_id = make_event(mod)
    browser.login(alice.email)
    assert browser.get(f"/events/{event_id}/edit").status_code == 403
    assert browser.get(f"/events/{event_id}/cancel").status_code == 403
    assert "Edit" not in text(browser.get(f"/events/{event_id}")).split("</header>")[1]


def test_cancelling_from_the_page(browser, mod):
    event_id = make_event(mod)
    browser.login(mod.email)
    page = browser.get(f"/events/{event_id}/cancel")
    assert page.status_code == 200
    response = browser.submit(f"/events/{event_id}/cancel", {"reason": "The venue flooded."})
    assert response.status_code == 302
    shown = text(browser.get(f"/events/{event_id}"))
    assert "Cancelled." in shown
    assert "The venue flooded." in shown
    assert f'href="/events/{event_id}/edit"' not in shown
    listed = text(browser.get("/events"))
    assert "Networking day" in listed
    assert "Cancelled" in listed
    again = browser.get(f"/events/{event_id}/edit")
    assert again.headers["Location"].endswith(f"/events/{event_id}")
    assert "can no longer be changed" in text(browser.get(again.headers["Location"]))


def test_a_too_long_reason_is_kept_with_its_message(browser, mod):
    event_id = make_event(mod)
    browser.login(mod.email)
    response = browser.submit(f"/events/{event_id}/cancel", {"reason": "x" * 501})
    assert response.status_code == 400
    assert "at most 500 characters" in text(response)
    assert "x" * 501 in text(response)
    assert not only_event().is_cancelled


# --- the event page --------------------------------------------------------------------------


def test_the_page_shows_the_readers_zone_and_the_events_own(browser, mod, alice):
    # 09:00-11:00 UTC a week on: the same day in Tokyo (18:00-20:00), whatever the hour now.
    now = utcnow()
    starts = now.replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(days=7)
    event_id = make_event(mod, timezone="Europe/London", starts_in=starts - now)
    with atomic():
        db.session.merge(alice).timezone = "Asia/Tokyo"
    event = db.session.get(Event, event_id)
    browser.login(alice.email)
    html = text(browser.get(f"/events/{event_id}"))
    starts, ends = (to_local(t, "Asia/Tokyo") for t in (event.starts_at, event.ends_at))
    assert f"{starts:%H:%M}–{ends:%H:%M} JST" in html
    assert "Europe/London, the organiser's time" in html


def test_the_join_link_is_for_signed_in_readers(client, mod, alice):
    event_id = make_event(mod, location="", join_url="https://meet.example.org/wg")
    assert "meet.example.org" not in text(client.get(f"/events/{event_id}"))
    assert "sign in" in text(client.get(f"/events/{event_id}"))
    Browser(client).login(alice.email)
    assert 'href="https://meet.example.org/wg"' in text(client.get(f"/events/{event_id}"))


def test_an_unknown_event_is_404(client):
    assert client.get("/events/999").status_code == 404
    assert client.get("/events/99999999999999").status_code == 404


def test_panels_are_shown_in_order_with_their_context(app, client, mod):
    from community.events import panels

    event_id = make_event(mod)
    loader = app.jinja_loader
    from jinja2 import ChoiceLoader, DictLoader

    app.jinja_loader = ChoiceLoader([
        DictLoader({
            "events/_probe_a.html": "<p>probe-a {{ title }} {{ id }}</p>",
            "events/_probe_b.html": "<p>probe-b {{ n }}</p>",
        }),
        loader,
    ])  # fmt: skip
    saved = dict(panels._panels)
    try:
        panels.register_panel("b", order=99, template="events/_probe_b.html",
                              context=lambda e, u: {"n": e.id})  # fmt: skip
        panels.register_panel("a", order=98, template="events/_probe_a.html",
                              context=lambda e, u: {"title": e.title, "id": e.id})  # fmt: skip
        panels.register_panel("hidden", order=97, template="events/_missing.html",
                              context=lambda e, u: None)  # fmt: skip
        html = text(client.get(f"/events/{event_id}"))
    finally:
        panels._panels.clear()
        panels._panels.update(saved)
        app.jinja_loader = loader
    assert html.index(f"probe-a Networking day {event_id}") < html.index(f"probe-b {event_id}")


# --- the lists -------------------------------------------------------------------------------


def titles(html: str, heading: str) -> list[str]:
    section = html.split(f'id="{heading}"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'class="thread-title" href="/events/\d+">([^<]+)</a>', section)


def test_the_list_has_upcoming_and_paged_past_events(client, mod, monkeypatch):
    monkeypatch.setattr(queries, "PAST_PAGE_SIZE", 2)
    make_event(mod, title="Next week")
    make_event(mod, title="Tomorrow", starts_in=timedelta(days=1))
    for n in range(3):
        make_event(mod, title=f"Past {n}", starts_in=timedelta(days=-n - 1), allow_past=True)
    html = text(client.get("/events"))
    assert titles(html, "upcoming-heading") == ["Tomorrow", "Next week"]
    assert titles(html, "past-heading") == ["Past 0", "Past 1"]
    more = re.search(r'href="(/events\?before=[^"]+)">Earlier events', html)
    assert more
    html = text(client.get(more.group(1)))
    assert titles(html, "past-heading") == ["Past 2"]
    assert "Earlier events" not in html
    assert client.get("/events?before=%%%&after=zz").status_code == 200
    aware = encode_cursor(["2020-01-01T00:00:00+05:00", 1])
    assert titles(text(client.get(f"/events?before={aware}")), "past-heading") == [
        "Past 0",
        "Past 1",
    ]


def test_the_list_filters_by_community_and_mine(browser, mod, admin, alice):
    going = make_event(mod, title="Procurement day")
    make_event(admin, community="finance", title="Finance day")
    html = text(browser.get("/events?community=procurement"))
    assert titles(html, "upcoming-heading") == ["Procurement day"]
    assert browser.get("/events?community=nowhere").status_code == 404
    with atomic():
        db.session.add(EventRsvp(event_id=going, user_id=alice.id, status="going"))
    browser.login(alice.email)
    assert titles(text(browser.get("/events")), "upcoming-heading") == [
        "Procurement day", "Finance day",
    ]  # fmt: skip
    assert titles(text(browser.get("/events?mine=1")), "upcoming-heading") == ["Procurement day"]


def test_members_only_events_stay_hidden_from_outsiders(browser, mod, alice, stranger):
    event_id = make_event(mod, title="Members-only meeting")
    set_visibility("procurement", "members")
    for who in (None, stranger):
        if who is not None:
            browser.login(who.email)
        assert "Members-only meeting" not in text(browser.get("/events"))
        assert "Members-only meeting" not in text(browser.get("/"))
        assert browser.get(f"/events/{event_id}").status_code == 404
        assert browser.get("/c/procurement").status_code == 404
        assert browser.get("/events?community=procurement").status_code == 404
    browser.logout()
    browser.login(alice.email)
    assert "Members-only meeting" in text(browser.get("/events"))
    assert "Members-only meeting" in text(browser.get("/"))
    assert "Members-only meeting" in text(browser.get("/c/procurement"))
    assert browser.get(f"/events/{event_id}").status_code == 200


def test_the_community_page_shows_its_next_three_events(client, mod):
    for n in range(4):
        make_event(mod, title=f"Meeting {n}", starts_in=timedelta(days=n + 1))
    make_event(mod, title="Long ago", starts_in=timedelta(days=-5), allow_past=True)
    html = text(client.get("/c/procurement"))
    assert titles(html, "events-heading") == ["Meeting 0", "Meeting 1", "Meeting 2"]
    assert "/events?community=procurement" in html


def test_the_home_page_shows_the_next_three_to_a_member(browser, mod, alice, admin):
    make_event(mod, title="Procurement day", starts_in=timedelta(days=2))
    make_event(admin, community=None, title="Network day", starts_in=timedelta(days=1))
    browser.login(alice.email)
    assert titles(text(browser.get("/")), "events-heading") == ["Network day", "Procurement day"]


def test_the_site_navigation_links_to_events(client):
    assert 'href="/events"' in text(client.get("/"))


def test_details_survive_a_round_trip(mod):
    """The edit form starts from exactly what was saved (no drift of a minute or a zone)."""
    event_id = make_event(mod, timezone="America/New_York", capacity=5)
    event = db.session.get(Event, event_id)
    details = actions.details_of(event)
    with atomic():
        actions.edit_event(mod, event_id, details)
    assert db.session.get(Event, event_id).sequence == 0
