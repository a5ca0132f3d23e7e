"""The record of an event: when its room closes, its transcript becomes a published
"event-record" resource in the event's community (network-wide: the Equal learning
network), linked both ways, once; the organisers keep editing it in the resource bank."""

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, inspect, select, update

from community.accounts.models import User
from community.chat import actions as chat_actions
from community.communities.models import Community, Membership
from community.db import atomic, utcnow
from community.events import panels, record, rooms
from community.events.models import Event, EventRsvp
from community.extensions import db
from community.resources import actions as resource_actions
from community.resources.models import Resource
from community.uploads import check_upload
from tests.communities.helpers import run_concurrently, text_of
from tests.factories import make_event, make_user

_ids = itertools.count(1)


def live(user):
    return db.session.get(type(user), user.id)


def event_of(event_id: int) -> Event:
    db.session.rollback()
    return db.session.get(Event, event_id)


def say(user, event_id: int, body: str) -> int:
    with atomic():
        message, _ = chat_actions.send_message(
            live(user), rooms.room_name(event_id), body=body, client_id=f"m{next(_ids)}"
        )
        return message.number


def rsvp(event_id: int, user, status: str = "going") -> None:
    with atomic():
        db.session.add(EventRsvp(event_id=event_id, user_id=user.id, status=status))


def open_room(event_id: int) -> None:
    rooms.advance_rooms(now=event_of(event_id).starts_at)


def close_room(event_id: int) -> None:
    rooms.advance_rooms(now=event_of(event_id).ends_at + timedelta(minutes=1))


def records() -> list[Resource]:
    db.session.rollback()
    return list(db.session.scalars(select(Resource).where(Resource.kind == "event-record")))


def test_the_transcript_is_kept_as_a_published_resource(mod, alice, bob):
    event_id = make_event(mod, title="Social value day", starts_in=timedelta(hours=2))
    rsvp(event_id, alice)
    rsvp(event_id, bob, "maybe")
    rsvp(event_id, mod)
    open_room(event_id)
    say(alice, event_id, "Good morning")
    gone = say(bob, event_id, "Oops, wrong room")
    say(bob, event_id, "Hello from *Gwent*\nsecond line")
    with atomic():
        chat_actions.delete_message(live(bob), rooms.room_name(event_id), gone)
    close_room(event_id)

    [resource] = records()
    event = event_of(event_id)
    assert event.record_id == resource.id
    assert resource.status == "published"
    assert resource.title == "Record: Social value day"
    assert resource.submitter_id == mod.id
    assert [c.slug for c in resource.communities] == ["procurement"]
    assert resource.link_url == f"http://localhost/chat/event-{event_id}"
    text = text_of(resource.summary_html)
    assert "2 members said they were going; 2 members wrote in its live room." in text
    assert "Oops" not in text
    # In order: time, author, text (times in the organiser's zone, named).
    assert text.index("Alice Member") < text.index("Good morning") < text.index("Bob Member")
    assert text.index("Bob Member") < text.index("Hello from Gwent second line")
    assert "<em>Gwent</em>" in resource.summary_html
    assert "Times in Europe/London" in text


def test_the_resource_page_names_the_event_and_the_event_links_to_it(app, mod, alice, browser):
    event_id = make_event(mod, title="Social value day", starts_in=timedelta(hours=2))
    close_room(event_id)
    [resource] = records()
    browser.login(alice.email)
    html = browser.get(f"/resources/{resource.id}").get_data(as_text=True)
    assert f'Record of <a href="/events/{event_id}">Social value day</a>' in html
    with app.test_request_context():
        shown = dict(panels.shown(event_of(event_id), live(alice)))
    assert shown["events/_record.html"]["record"].id == resource.id
    # Mounted under a path prefix, the link keeps it (url_for).
    html = browser.get(f"/resources/{resource.id}", base_url="http://localhost/commons").get_data(
        as_text=True
    )
    assert f'Record of <a href="/commons/events/{event_id}">Social value day</a>' in html
    # Another resource's page names no event.
    other = make_event(mod, title="Other day")
    assert event_of(other).record_id is None


def test_an_empty_room_still_leaves_its_record(mod):
    event_id = make_event(mod, starts_in=timedelta(hours=2))
    close_room(event_id)
    [resource] = records()
    text = text_of(resource.summary_html)
    assert "0 members said they were going; 0 members wrote in its live room." in text
    assert record.EMPTY in text


def test_a_network_wide_events_record_is_in_the_equal_learning_network(admin, stranger):
    event_id = make_event(admin, community=None, starts_in=timedelta(hours=2))
    open_room(event_id)
    say(stranger, event_id, "Hello network")
    close_room(event_id)
    [resource] = records()
    assert [c.slug for c in resource.communities] == ["equal-learning-network"]
    assert resource.status == "published"
    assert "in the network" in text_of(resource.summary_html)


def test_closing_twice_never_makes_two_records(mod, alice):
    event_id = make_event(mod, starts_in=timedelta(hours=2))
    open_room(event_id)
    say(alice, event_id, "Once")
    close_room(event_id)
    close_room(event_id)
    with atomic():
        assert record.keep_record(db.session.get(Event, event_id)) is None
    assert len(records()) == 1
    assert db.session.scalar(select(func.count()).select_from(Resource)) == 1


def test_a_cancelled_event_that_had_messages_keeps_them(mod, alice):
    event_id = make_event(mod, starts_in=timedelta(hours=2))
    open_room(event_id)
    say(alice, event_id, "Before the cancellation")
    with atomic():
        db.session.get(Event, event_id).cancelled_at = event_of(event_id).starts_at
    rooms.advance_rooms(now=event_of(event_id).starts_at)
    [resource] = records()
    assert "Before the cancellation" in text_of(resource.summary_html)


def test_a_long_transcript_is_cut_and_points_at_the_room(mod, alice, monkeypatch):
    monkeypatch.setattr(record, "SUMMARY_MAX", 800)
    event_id = make_event(mod, starts_in=timedelta(hours=2))
    open_room(event_id)
    for n in range(30):
        say(alice, event_id, f"Message number {n}")
    close_room(event_id)
    [resource] = records()
    assert len(resource.summary) <= 800
    text = text_of(resource.summary_html)
    assert "Message number 0" in text
    assert "Message number 29" not in text
    assert "the whole conversation stays in the event's room" in text


def test_names_are_shown_as_they_are_not_as_markdown(mod):
    writer = make_user("*Star* [Name](page)", communities=("procurement",))
    event_id = make_event(mod, starts_in=timedelta(hours=2))
    open_room(event_id)
    say(writer, event_id, "Hi")
    close_room(event_id)
    [resource] = records()
    assert "*Star* [Name](page)" in text_of(resource.summary_html)
    assert "<em>" not in resource.summary_html


def test_organisers_add_notes_and_slides_in_the_resource_bank(mod):
    event_id = make_event(mod, starts_in=timedelta(hours=2))
    close_room(event_id)
    [resource] = records()
    assert resource_actions.can_edit(live(mod), resource)
    with atomic():
        resource_actions.add_version(
            live(mod),
            resource.id,
            check_upload("slides.pdf", b"%PDF-1.4\n%slides\n", max_bytes=10_000),
            note="Slides",
        )
    with atomic():
        fresh = db.session.get(Resource, resource.id)
        details = resource_actions.Details(
            title=fresh.title,
            kind=fresh.kind,
            communities=[c.slug for c in fresh.communities],
            summary=fresh.summary + "\n\nNotes: thanks to everyone.",
            published=fresh.date_value,
            licence=fresh.licence,
            link=fresh.link_url,
        )
        resource_actions.edit_resource(live(mod), resource.id, details)
    [resource] = records()
    assert resource.version_count == 1
    assert "thanks to everyone" in resource.summary
    assert resource.status == "published"


def test_a_suspended_organisers_event_still_leaves_a_published_record(mod, alice):
    event_id = make_event(mod, starts_in=timedelta(hours=2))
    open_room(event_id)
    say(alice, event_id, "Hello")
    with atomic():
        live(mod).suspended_at = utcnow()
    close_room(event_id)
    [resource] = records()
    assert event_of(event_id).record_id == resource.id
    assert resource.status == "published"
    assert resource.submitter_id == mod.id
    assert "Hello" in text_of(resource.summary_html)


def test_a_demoted_organisers_record_is_published_not_left_for_review(mod, alice):
    event_id = make_event(mod, starts_in=timedelta(hours=2))
    with atomic():
        db.session.execute(
            update(Membership).where(Membership.user_id == mod.id).values(role="member")
        )
    close_room(event_id)
    [resource] = records()
    assert resource.status == "published"
    assert resource.submitter_id == mod.id
    # The history names the site as publisher, not the organiser who no longer curates.
    assert [(e.actor_id, e.action) for e in resource_actions.history(resource)] == [
        (None, "published")
    ]


def test_an_event_whose_organiser_is_gone_keeps_its_record_without_a_submitter(alice):
    organiser = make_user("Olive Organiser", admin=True)
    event_id = make_event(organiser, starts_in=timedelta(hours=2))
    open_room(event_id)
    say(alice, event_id, "Hello")
    with atomic():
        db.session.execute(delete(User).where(User.id == organiser.id))
    assert event_of(event_id).organiser_id is None
    close_room(event_id)
    [resource] = records()
    assert resource.status == "published"
    assert resource.submitter_id is None


def _rename_network(slug: str, to: str) -> None:
    with atomic():
        db.session.execute(update(Community).where(Community.slug == slug).values(slug=to))


def test_a_record_that_could_not_be_kept_is_made_by_the_next_run_once(admin, stranger):
    event_id = make_event(admin, community=None, starts_in=timedelta(hours=2))
    open_room(event_id)
    say(stranger, event_id, "Hello network")
    _rename_network(record.NETWORK_COMMUNITY, "elsewhere")  # nowhere to keep it: logged
    close_room(event_id)
    assert event_of(event_id).room_state == "closed"
    assert records() == []
    rooms.advance_rooms()  # still nowhere: nothing made, nothing raised
    assert records() == []
    _rename_network("elsewhere", record.NETWORK_COMMUNITY)
    rooms.advance_rooms()
    [resource] = records()
    assert event_of(event_id).record_id == resource.id
    assert "Hello network" in text_of(resource.summary_html)
    rooms.advance_rooms()
    assert len(records()) == 1


def test_a_closed_room_nobody_wrote_in_is_not_tried_again(admin):
    event_id = make_event(admin, community=None, starts_in=timedelta(hours=2))
    with atomic():
        db.session.get(Event, event_id).cancelled_at = utcnow()
    rooms.advance_rooms()
    assert event_of(event_id).room_state == "closed"
    assert db.session.scalars(record._missing_records(10)).all() == []


def test_two_runners_retrying_at_once_make_one_record(app, admin, stranger, backend):
    if backend == "sqlite":
        pytest.skip("SQLite writers take turns: the PostgreSQL case races for real")
    event_id = make_event(admin, community=None, starts_in=timedelta(hours=2))
    open_room(event_id)
    say(stranger, event_id, "Hello network")
    _rename_network(record.NETWORK_COMMUNITY, "elsewhere")
    close_room(event_id)
    _rename_network("elsewhere", record.NETWORK_COMMUNITY)
    made = []

    def work(_):
        made.append(record.retry_records())

    assert run_concurrently(app, work, [1, 2, 3]) == []
    assert sorted(made) == [0, 0, 1]
    assert len(records()) == 1


def test_the_event_of_a_record_is_found_through_an_index(app):
    # event_of_record runs on every record's resource page: WHERE record_id = ….
    indexes = inspect(db.engine).get_indexes("event")
    assert ["record_id"] in [i["column_names"] for i in indexes]
