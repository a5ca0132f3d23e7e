"""`flask demo load` includes events: the record's networking days and working groups as past
events at the record's month, and upcoming ones (one within the hour, one nearly full) with
demo members' RSVPs; the hook for the past events' transcripts gives each a short chat.
The demo is loaded once per database and replayed after (tests/conftest.py `load_demo`)."""

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from community.accounts.models import User
from community.chat.models import ChatMessage, ChatRoom
from community.communities.access import is_moderator, membership
from community.db import utcnow
from community.demo import ADMIN_EMAIL
from community.events.demo import PRECISION, past_event_transcripts
from community.events.models import Event, EventRsvp
from community.events.rules import to_local
from community.extensions import db
from community.resources.models import Resource
from community.search.queries import Filters, search
from community.seed import load_record
from tests.conftest import load_demo


@pytest.fixture
def demo(app):
    return load_demo(app)


def events(*where) -> list[Event]:
    return list(db.session.scalars(select(Event).where(*where).order_by(Event.starts_at)))


def test_the_records_meetings_are_past_events_at_the_records_month(demo):
    record = load_record()
    now = utcnow()
    past = events(Event.ends_at < now)
    assert "17 past events from the record (with " in demo
    assert "kept as their records), 4 upcoming" in demo
    assert len(past) == len(record["networking_days"]) + len(record["working_groups"])

    days = [e for e in past if e.community is None]
    assert [to_local(e.starts_at, e.timezone).strftime("%Y-%m") for e in days] == sorted(
        record["networking_days"]
    )
    admin = db.session.scalar(select(User).where(User.email == ADMIN_EMAIL))
    assert {e.organiser_id for e in days} == {admin.id}

    groups = Counter(
        (e.community.slug, to_local(e.starts_at, e.timezone).strftime("%Y-%m"))
        for e in past
        if e.community is not None
    )
    assert groups == Counter((g["community"], g["date"]) for g in record["working_groups"])
    for event in past:
        assert PRECISION in event.description
        assert event.description_html.startswith("<p>")
        assert event.created_at < event.starts_at  # announced before, not at loading
        if event.community is not None:
            assert is_moderator(event.organiser, event.community)
    notes = [e.description for e in past if "Demos" in e.description]
    assert len(notes) == 1

    # A short chat for each past event, held in its room on the day and kept as its record.
    transcripts = past_event_transcripts()
    assert set(transcripts) == {e.id for e in past}
    for event in past:
        lines = transcripts[event.id]
        assert 6 <= len(lines) <= 10
        assert lines[0][0].id == event.organiser_id
        assert all(isinstance(author, User) and text for author, text in lines)
        assert event.room_state == "closed"
        room = db.session.scalar(
            select(ChatRoom).where(ChatRoom.kind == "event", ChatRoom.target_id == event.id)
        )
        sent = db.session.scalars(
            select(ChatMessage).where(ChatMessage.room_id == room.id).order_by(ChatMessage.number)
        ).all()
        assert [m.body for m in sent] == [text for _, text in lines]
        assert all(event.starts_at < m.created_at < event.ends_at for m in sent)
        record = db.session.get(Resource, event.record_id)
        assert record.status == "published"
        assert record.kind == "event-record"
        assert lines[-1][1][:40] in record.summary
    assert past_event_transcripts() == transcripts  # the same, run after run


def test_upcoming_events_one_within_the_hour_one_nearly_full_with_rsvps(demo):
    loaded_at = db.session.scalar(select(func.max(Event.created_at)))
    upcoming = events(Event.starts_at > loaded_at)
    assert len(upcoming) == 4
    soon = upcoming[0]  # within the hour of loading (the demo may have been loaded earlier)
    assert loaded_at < soon.starts_at <= loaded_at + timedelta(hours=1)
    assert soon.community is None

    def answers(event):
        rows = db.session.scalars(select(EventRsvp).where(EventRsvp.event_id == event.id))
        return Counter(r.status for r in rows)

    [full] = [e for e in upcoming if e.capacity]
    assert full.capacity - 2 <= answers(full)["going"] < full.capacity  # nearly full
    for event in upcoming:
        assert answers(event)["going"] >= 3
    for rsvp in db.session.scalars(select(EventRsvp)):
        event = db.session.get(Event, rsvp.event_id)
        if event.community is not None:  # answered by the community's own members
            assert membership(rsvp.user, event.community) is not None
    # Findable: the search index came with them.
    found = {r.url for r in search(None, "scoring clinic", Filters(kinds=("event",))).items}
    assert found == {f"/events/{full.id}"}
