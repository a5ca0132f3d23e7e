"""The review's findings on events' core, each pinned: times out of range or too long
(never a 500, shown safely anywhere), times that do not exist or happen twice, a past RSVP
deadline, no new time once the room has closed, archived communities (listed, not
organised), the community header's Events tab, and cancelled events kept out of the
"next three"."""

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from sqlalchemy import update

from community import web
from community.db import atomic, utcnow
from community.errors import Invalid
from community.events import access, actions, queries, rooms, rules
from community.events.models import Event
from community.extensions import db
from tests.communities.helpers import archive
from tests.factories import make_event

NOW = datetime(2026, 12, 7, 12, 0)  # noqa: DTZ001 (naive UTC, as stored)


def wall(*parts: int) -> datetime:
    return datetime(*parts)  # noqa: DTZ001 (a wall-clock time as a form gives it)


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def times(starts, ends, zone="Europe/London", **kwargs) -> rules.Times:
    return rules.check_times(starts, ends, zone, now=kwargs.pop("now", NOW), **kwargs)


def field_of(call) -> str | None:
    with pytest.raises(Invalid) as caught:
        call()
    return caught.value.field


def form(**overrides) -> dict:
    starts = rules.to_local(utcnow() + timedelta(days=10), "Europe/London")
    data = {
        "title": "Social value in tenders",
        "description": "",
        "community": "procurement",
        "starts": starts.strftime("%Y-%m-%dT%H:%M"),
        "ends": (starts + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "timezone": "Europe/London",
        "location": "Civic Centre, Newport",
        "join_url": "",
        "capacity": "",
        "deadline": "",
    }
    data.update(overrides)
    return data


def set_zone(user, zone: str) -> None:
    with atomic():
        db.session.merge(user).timezone = zone


# --- 1: dates out of range, bounds on the start and the length -------------------------------


@pytest.mark.parametrize(
    ("starts", "ends", "zone", "deadline", "field"),
    [
        (wall(1, 1, 1, 0, 0), wall(1, 1, 1, 2, 0), "Asia/Tokyo", None, "starts"),
        (wall(2027, 1, 1, 10), wall(9999, 12, 31, 23, 59), "America/New_York", None, "ends"),
        (wall(2027, 1, 1, 10), wall(2027, 1, 1, 11), "Asia/Tokyo", wall(1, 1, 1, 0, 0), "deadline"),
        (wall(9999, 12, 31, 23, 0), wall(9999, 12, 31, 23, 30), "America/New_York", None, "starts"),
    ],
    ids=["year-1-tokyo", "year-9999-new-york", "deadline-year-1", "start-year-9999"],
)
def test_a_date_out_of_range_is_refused_not_a_crash(starts, ends, zone, deadline, field):
    assert field_of(lambda: times(starts, ends, zone, deadline=deadline)) == field


def test_an_event_starts_at_most_five_years_ahead_and_not_before_1990():
    assert times(wall(2031, 12, 1, 10), wall(2031, 12, 1, 12)).starts_at.year == 2031
    assert field_of(lambda: times(wall(2032, 1, 1, 10), wall(2032, 1, 1, 12))) == "starts"
    old = wall(1989, 12, 31, 10)
    assert field_of(lambda: times(old, old + timedelta(hours=1), allow_past=True)) == "starts"
    assert times(wall(1990, 6, 1, 10), wall(1990, 6, 1, 11), allow_past=True)


def test_an_event_lasts_at_most_fourteen_days():
    starts = wall(2027, 3, 1, 10)
    assert times(starts, starts + timedelta(days=14))
    with pytest.raises(Invalid, match="at most 14 days") as caught:
        times(starts, starts + timedelta(days=14, minutes=1))
    assert caught.value.field == "ends"


def test_the_form_refuses_dates_out_of_range_with_a_message(browser, mod):
    browser.login(mod.email)
    for overrides in (
        {"starts": "0001-01-01T00:00", "timezone": "Asia/Tokyo"},
        {"ends": "9999-12-31T23:59", "timezone": "America/New_York"},
        {"deadline": "0001-01-01T00:00", "timezone": "Asia/Tokyo"},
        {"ends": "9999-12-31T23:00"},
    ):
        response = browser.submit("/events/new", form(**overrides))
        assert response.status_code == 400, overrides
    assert db.session.scalar(db.select(db.func.count(Event.id))) == 0


def test_an_edit_with_a_start_out_of_range_is_refused(mod):
    event_id = make_event(mod)
    details = actions.details_of(db.session.get(Event, event_id))
    details.starts, details.timezone = wall(1, 1, 1, 0, 0), "Asia/Tokyo"
    with pytest.raises(Invalid) as caught, atomic():
        actions.edit_event(mod, event_id, details)
    assert caught.value.field == "starts"


def test_a_stored_time_at_the_end_of_datetime_shows_for_readers_east_of_utc(browser, mod, alice):
    """An event stored before the bounds existed, ending 9999-12-31 23:00 UTC: readers in
    Berlin see its pages rather than a 500."""
    event_id = make_event(mod, title="Forever")
    with atomic():
        db.session.execute(
            update(Event).where(Event.id == event_id).values(ends_at=wall(9999, 12, 31, 23, 0))
        )
    set_zone(alice, "Europe/Berlin")
    browser.login(alice.email)
    for url in ("/events", f"/events/{event_id}", "/c/procurement", "/"):
        response = browser.get(url)
        assert response.status_code == 200, url
        assert "Forever" in text(response), url
    end = wall(9999, 12, 31, 23, 0)
    assert web.to_local(end, "Europe/Berlin") == end.replace(tzinfo=UTC)
    assert rules.to_local(end, "Europe/Berlin") == end.replace(tzinfo=UTC)


# --- 8f: the hour skipped and the hour repeated at a change of the clocks --------------------


def test_a_time_in_the_spring_forward_gap_is_refused():
    gap = wall(2027, 3, 28, 1, 30)  # London: 01:00 GMT → 02:00 BST
    with pytest.raises(Invalid, match="does not exist in Europe/London: the clocks go forward"):
        times(gap, gap + timedelta(hours=2))
    with pytest.raises(Invalid) as caught:
        times(wall(2027, 3, 28, 0, 0), gap)
    assert caught.value.field == "ends"


def test_a_time_repeated_at_fall_back_is_the_first_of_the_two():
    twice = wall(2027, 10, 31, 1, 30)  # London: 02:00 BST → 01:00 GMT, 01:30 happens twice
    assert rules.to_utc(twice, "Europe/London") == wall(2027, 10, 31, 0, 30)  # 01:30 BST


# --- 8b: an RSVP deadline already past -------------------------------------------------------


def test_a_new_event_may_not_have_a_deadline_already_past():
    starts = wall(2027, 3, 1, 10)
    with pytest.raises(Invalid, match="deadline has passed") as caught:
        times(starts, starts + timedelta(hours=1), deadline=wall(2026, 12, 6, 10))
    assert caught.value.field == "deadline"
    # an edit keeps the deadline it had, though it has passed
    kept = rules.to_utc(wall(2026, 12, 6, 10), "Europe/London")
    assert (
        times(
            starts, starts + timedelta(hours=1), deadline=wall(2026, 12, 6, 10), kept_deadline=kept
        ).rsvp_deadline
        == kept
    )


def test_an_edit_keeps_a_deadline_that_has_passed(mod):
    event_id = make_event(mod, starts_in=timedelta(days=3))
    with atomic():
        db.session.get(Event, event_id).rsvp_deadline = utcnow().replace(
            microsecond=0, second=0
        ) - timedelta(hours=1)
    details = actions.details_of(db.session.get(Event, event_id))
    details.title = "Renamed"
    with atomic():
        assert actions.edit_event(mod, event_id, details).title == "Renamed"


# --- 6: no new time once the room has closed -------------------------------------------------


def ended_and_closed(mod) -> int:
    event_id = make_event(mod, starts_in=-timedelta(hours=3), allow_past=True)
    rooms.advance_rooms()
    assert db.session.get(Event, event_id).room_state == "closed"
    return event_id


def test_an_ended_event_cannot_move_once_its_room_has_closed(browser, mod):
    event_id = ended_and_closed(mod)
    browser.login(mod.email)
    assert "its time can no longer change" in text(browser.get(f"/events/{event_id}/edit"))
    details = actions.details_of(db.session.get(Event, event_id))
    details.starts = details.starts + timedelta(days=30)
    details.ends = details.ends + timedelta(days=30)
    with (
        pytest.raises(Invalid, match="This event has ended: its time can no longer change."),
        atomic(),
    ):
        actions.edit_event(mod, event_id, details)
    details = actions.details_of(db.session.get(Event, event_id))
    details.ends = details.ends + timedelta(hours=1)
    with pytest.raises(Invalid, match="its time can no longer change") as caught, atomic():
        actions.edit_event(mod, event_id, details)
    assert caught.value.field == "ends"
    details = actions.details_of(db.session.get(Event, event_id))
    details.title = "What we said"  # the rest may still change
    with atomic():
        assert actions.edit_event(mod, event_id, details).title == "What we said"


# --- 7, 8a, 10d: archived communities, the header's Events tab -------------------------------


def test_the_events_of_an_archived_community_are_listed(client, mod):
    make_event(mod, title="Last meeting")
    archive("procurement")
    response = client.get("/events?community=procurement")
    assert response.status_code == 200
    assert "Last meeting" in text(response)
    assert "New event" not in text(response)


def test_archived_communities_are_not_offered_to_organise(mod, admin):
    assert [c.slug for c in access.communities_organised_by(mod)] == ["procurement"]
    archive("procurement", admin)
    assert access.communities_organised_by(mod) == []
    assert "procurement" not in [c.slug for c in access.communities_organised_by(admin)]


def test_a_community_s_events_page_has_its_header_with_events_current(client, mod):
    html = text(client.get("/events?community=procurement"))
    tabs = html.split('class="tabs"', 1)[1].split("</nav>", 1)[0]
    current = re.findall(r'<a href="([^"]+)" aria-current="page">', tabs)
    assert current == ["/events?community=procurement"]
    assert re.search(r"<h1>Procurement", html)
    assert html.count("<h1") == 1
    assert "aria-current" not in text(client.get("/events")).split("<main", 1)[1]


# --- 10a: the preview heading ----------------------------------------------------------------


def test_the_preview_heading_follows_the_page_heading(browser, mod):
    browser.login(mod.email)
    html = text(browser.get("/events/new"))
    assert '<h2 id="preview-heading">Preview</h2>' in html


# --- 12: cancelled events and the "next three" -----------------------------------------------


def test_cancelled_events_do_not_take_a_place_in_the_next_three(browser, mod, alice):
    called_off = make_event(mod, title="Called off", starts_in=timedelta(days=1))
    for n in range(3):
        make_event(mod, title=f"Meeting {n}", starts_in=timedelta(days=n + 2))
    with atomic():
        actions.cancel_event(mod, called_off, "Room double-booked")
    procurement = db.session.get(Event, called_off).community
    expected = ["Meeting 0", "Meeting 1", "Meeting 2"]
    assert [e.title for e in queries.next_in_community(procurement)] == expected
    assert [e.title for e in queries.next_for(alice)] == expected
    browser.login(alice.email)
    assert "Called off" not in text(browser.get("/"))
    assert "Called off" not in text(browser.get("/c/procurement"))
    listed = text(browser.get("/events"))
    assert "Called off" in listed  # the list keeps it, marked
    assert "Cancelled" in listed
