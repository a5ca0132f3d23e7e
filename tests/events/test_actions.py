"""Editing and cancelling events: who may, what counts as a change (and raises SEQUENCE
once), wall-clock times kept across daylight saving, and who sees members-only events."""

from datetime import datetime, timedelta

import pytest

from community import signals
from community.db import atomic
from community.errors import Forbidden, Invalid, NotFound
from community.events import access, actions, queries
from community.events.models import Event, EventRsvp
from community.events.rules import to_local
from community.extensions import db
from community.moderation.models import AuditLog
from tests.communities.helpers import archive, set_visibility
from tests.factories import make_event, make_moderator, make_user


def wall(*parts: int) -> datetime:
    return datetime(*parts)  # noqa: DTZ001 (a wall-clock time as a form gives it)


def new_event(user, **changes) -> int:
    starts = wall(2031, 1, 14, 10, 0)
    values = dict(
        title="Procurement working group", starts=starts, ends=starts + timedelta(hours=2),
        timezone="Europe/London", community="procurement", location="Civic Centre, Newport",
    )  # fmt: skip
    values.update(changes)
    with atomic():
        return actions.create_event(user, actions.EventDetails(**values)).id


def edit(user, event_id, **changes) -> Event:
    event = db.session.get(Event, event_id)
    details = actions.details_of(event)
    for name, value in changes.items():
        setattr(details, name, value)
    with atomic():
        return actions.edit_event(user, event_id, details)


@pytest.fixture
def changed():
    """Every event_changed emitted, as (event id, changes, actor id)."""
    seen = []

    def receiver(_app, *, event, changes, actor):
        seen.append((event.id, changes, actor.id))

    signals.event_changed.connect(receiver)
    yield seen
    signals.event_changed.disconnect(receiver)


def test_an_edit_across_daylight_saving_keeps_the_wall_clock_time(mod):
    event_id = new_event(mod)  # 10:00 London in January: 10:00 UTC
    assert db.session.get(Event, event_id).starts_at == wall(2031, 1, 14, 10, 0)
    event = edit(mod, event_id, starts=wall(2031, 7, 14, 10, 0), ends=wall(2031, 7, 14, 12, 0))
    assert event.starts_at == wall(2031, 7, 14, 9, 0)  # 10:00 BST
    assert to_local(event.starts_at, "Europe/London").strftime("%H:%M %Z") == "10:00 BST"
    # The form shows it again as typed.
    assert actions.details_of(event).starts == wall(2031, 7, 14, 10, 0)


def test_each_change_raises_the_sequence_once_and_says_what_changed(mod, changed):
    event_id = new_event(mod)
    edit(mod, event_id, starts=wall(2031, 1, 15, 10, 0), ends=wall(2031, 1, 15, 12, 0))
    edit(mod, event_id, location="", join_url="https://meet.example.org/wg")
    edit(mod, event_id, capacity=30)
    edit(mod, event_id, title="Procurement WG", rsvp_deadline=wall(2031, 1, 14, 17, 0))
    edit(mod, event_id, description="Bring *tenders*.")
    assert [c for _, c, _ in changed] == [
        {"time"}, {"place"}, {"capacity"}, {"details"}, {"details"},
    ]  # fmt: skip
    event = db.session.get(Event, event_id)
    assert event.sequence == 5
    assert event.description_html == "<p>Bring <em>tenders</em>.</p>"
    assert event.rsvp_deadline == wall(2031, 1, 14, 17, 0)
    assert all(actor == mod.id for _, _, actor in changed)
    assert db.session.query(AuditLog).filter_by(action="event.edit").count() == 5


def test_two_changes_at_once_raise_the_sequence_once(mod, changed):
    event_id = new_event(mod)
    edit(mod, event_id, starts=wall(2031, 1, 14, 11, 0), capacity=12)
    assert changed == [(event_id, frozenset({"time", "capacity"}), mod.id)]
    assert db.session.get(Event, event_id).sequence == 1


def test_an_edit_that_changes_nothing_emits_nothing(mod, changed):
    event_id = new_event(mod)
    before = db.session.get(Event, event_id).updated_at
    event = edit(mod, event_id, title="  Procurement working group ")
    assert changed == []
    assert event.sequence == 0
    assert event.updated_at == before
    assert db.session.query(AuditLog).filter_by(action="event.edit").count() == 0


def test_an_edit_is_checked_like_a_new_event(mod):
    event_id = new_event(mod)
    with pytest.raises(Invalid) as bad:
        edit(mod, event_id, ends=wall(2031, 1, 14, 9, 0))
    assert bad.value.field == "ends"
    with pytest.raises(Invalid) as bad:
        edit(mod, event_id, capacity=0)
    assert bad.value.field == "capacity"
    with pytest.raises(Invalid) as bad:
        edit(mod, event_id, starts=wall(2020, 1, 14, 10, 0), ends=wall(2020, 1, 14, 11, 0))
    assert bad.value.field == "starts"
    with pytest.raises(Invalid) as bad:
        edit(mod, event_id, timezone="Mars/Olympus")
    assert bad.value.field == "timezone"
    assert db.session.get(Event, event_id).sequence == 0


def test_an_event_that_started_keeps_its_start_through_an_edit(mod, changed):
    event_id = make_event(mod, starts_in=timedelta(hours=-1), allow_past=True)
    event = edit(mod, event_id, title="Networking day (room 2)")
    assert event.title == "Networking day (room 2)"
    assert changed[0][1] == {"details"}
    with pytest.raises(Invalid):  # but it cannot move to another past time
        edit(mod, event_id, starts=actions.details_of(event).starts - timedelta(hours=1))


def test_moving_an_event_to_another_community_needs_its_organiser(mod, admin, changed):
    event_id = new_event(mod)
    with pytest.raises(Forbidden):
        edit(mod, event_id, community="finance")
    event = edit(admin, event_id, community="finance")
    assert event.community.slug == "finance"
    assert changed[0][1] == {"details"}
    with pytest.raises(Forbidden):  # no longer theirs
        edit(mod, event_id, title="Mine again")


def test_who_may_edit(mod, alice, admin, communities):
    event_id = new_event(mod)
    other_mod = make_moderator("finance", make_user("Fin Moderator"))
    for user in (alice, other_mod):
        with pytest.raises(Forbidden):
            edit(user, event_id, title="Hijacked")
    assert edit(admin, event_id, title="By the admin").title == "By the admin"


def test_only_admins_edit_network_wide_events(mod, admin):
    event_id = new_event(admin, community=None)
    with pytest.raises(Forbidden):
        edit(mod, event_id, title="Not theirs")
    assert edit(admin, event_id, title="Network day").title == "Network day"


def test_an_outsider_cannot_find_a_members_only_event_to_edit(mod, stranger):
    event_id = new_event(mod)
    set_visibility("procurement", "members")
    with pytest.raises(NotFound):
        edit(stranger, event_id, title="Found it")


def test_an_archived_communitys_events_are_read_only(mod, admin):
    event_id = new_event(mod)
    archive("procurement", admin)
    with pytest.raises(Forbidden, match="archived"):
        edit(admin, event_id, title="Still on")
    with pytest.raises(Forbidden, match="archived"), atomic():
        actions.cancel_event(admin, event_id, "")
    with pytest.raises(Forbidden, match="archived") as refused:
        new_event(admin)
    assert refused.value.field == "community"
    assert db.session.get(Event, event_id).sequence == 0


def test_cancelling_keeps_the_event_marked_with_its_reason(mod, changed):
    event_id = new_event(mod)
    with atomic():
        actions.cancel_event(mod, event_id, "  The venue flooded. ")
    event = db.session.get(Event, event_id)
    assert event.is_cancelled
    assert event.cancel_reason == "The venue flooded."
    assert event.sequence == 1
    assert changed == [(event_id, frozenset({"cancelled"}), mod.id)]
    assert db.session.query(AuditLog).filter_by(action="event.cancel").count() == 1
    assert [e.id for e in queries.upcoming(mod, queries.Filters()).items] == [event_id]


def test_a_cancelled_event_cannot_be_edited_or_cancelled_again(mod, changed):
    event_id = new_event(mod)
    with atomic():
        actions.cancel_event(mod, event_id, "")
    with pytest.raises(Invalid, match="cancelled"):
        edit(mod, event_id, title="Back on")
    with pytest.raises(Invalid, match="already cancelled"), atomic():
        actions.cancel_event(mod, event_id, "again")
    assert len(changed) == 1
    assert db.session.get(Event, event_id).sequence == 1


def test_who_may_cancel(mod, alice, admin):
    event_id = new_event(mod)
    other_mod = make_moderator("finance", make_user("Fin Moderator"))
    for user in (alice, other_mod):
        with pytest.raises(Forbidden), atomic():
            actions.cancel_event(user, event_id, "")
    with atomic():
        actions.cancel_event(admin, event_id, "")
    assert db.session.get(Event, event_id).is_cancelled


def test_an_event_that_ended_cannot_be_cancelled(mod):
    event_id = make_event(mod, starts_in=timedelta(days=-2), allow_past=True)
    with pytest.raises(Invalid, match="ended"), atomic():
        actions.cancel_event(mod, event_id, "")


def test_a_too_long_reason_is_refused_on_its_field(mod):
    event_id = new_event(mod)
    with pytest.raises(Invalid) as bad, atomic():
        actions.cancel_event(mod, event_id, "x" * 501)
    assert bad.value.field == "reason"
    assert not db.session.get(Event, event_id).is_cancelled


# --- the lists -------------------------------------------------------------------------------


def test_upcoming_soonest_first_with_running_events_past_most_recent_first(mod):
    later = make_event(mod, title="Later", starts_in=timedelta(days=9))
    sooner = make_event(mod, title="Sooner", starts_in=timedelta(days=2))
    running = make_event(mod, title="Running", starts_in=timedelta(minutes=-30), allow_past=True)
    old = make_event(mod, title="Old", starts_in=timedelta(days=-30), allow_past=True)
    recent = make_event(mod, title="Recent", starts_in=timedelta(days=-3), allow_past=True)
    assert [e.id for e in queries.upcoming(None, queries.Filters()).items] == [
        running, sooner, later,
    ]  # fmt: skip
    assert [e.id for e in queries.past(None, queries.Filters()).items] == [recent, old]
    assert [e.id for e in queries.next_for(None, limit=2)] == [running, sooner]


def test_past_events_are_paged(mod, monkeypatch):
    monkeypatch.setattr(queries, "PAST_PAGE_SIZE", 2)
    ids = [
        make_event(mod, title=f"Past {n}", starts_in=timedelta(days=-n - 1), allow_past=True)
        for n in range(5)
    ]
    seen, after = [], None
    while True:
        page = queries.past(None, queries.Filters(), after=after)
        seen += [e.id for e in page.items]
        if page.next_cursor is None:
            break
        after = page.next_cursor
    assert seen == ids
    assert queries.past(None, queries.Filters(), after="garbage").items[0].id == ids[0]


def test_mine_is_what_the_member_said_they_would_come_to(mod, alice, bob):
    going, maybe, waiting, declined, other = (
        make_event(mod, title=t) for t in ("Going", "Maybe", "Waiting", "Declined", "Other")
    )
    with atomic():
        for event_id, status in ((going, "going"), (maybe, "maybe"), (waiting, "waiting"),
                                 (declined, "not_going")):  # fmt: skip
            db.session.add(EventRsvp(event_id=event_id, user_id=alice.id, status=status))
        db.session.add(EventRsvp(event_id=other, user_id=bob.id, status="going"))
    mine = queries.upcoming(alice, queries.Filters(mine_of=alice.id)).items
    assert {e.id for e in mine} == {going, maybe, waiting}
    assert len(queries.upcoming(alice, queries.Filters()).items) == 5


def test_members_only_events_are_invisible_to_outsiders(mod, alice, stranger, admin):
    hidden = make_event(mod, title="Members only")
    public = make_event(admin, community=None, title="Network day")
    set_visibility("procurement", "members")
    procurement = db.session.get(Event, hidden).community
    for user in (None, stranger):
        assert [e.id for e in queries.upcoming(user, queries.Filters()).items] == [public]
        assert [e.id for e in queries.next_for(user)] == [public]
        with pytest.raises(NotFound):
            access.access_event(user, hidden)
    for user in (alice, admin):
        assert {e.id for e in queries.next_for(user)} == {hidden, public}
    assert [e.id for e in queries.next_in_community(procurement)] == [hidden]


def test_community_filter(mod, admin):
    procurement = make_event(mod, title="Procurement")
    make_event(admin, community="finance", title="Finance")
    community_id = db.session.get(Event, procurement).community_id
    page = queries.upcoming(None, queries.Filters(community_id=community_id))
    assert [e.id for e in page.items] == [procurement]
