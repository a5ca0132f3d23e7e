"""Change notices: a new time or place, or a cancellation, is told once per change to
everyone who answered the RSVP (not the organiser who made it), in the site and by mail."""

from datetime import timedelta

from sqlalchemy import select

from community import signals
from community.accounts.models import User
from community.db import atomic, utcnow
from community.digests.choices import set_deliveries
from community.events.models import Event, EventReminder, EventRsvp
from community.extensions import db
from community.notifications.models import Notification
from community.web import to_local
from tests.communities.helpers import fresh, set_visibility
from tests.factories import make_event, make_moderator, make_user


def rsvp(user: User, event_id: int, status: str = "going") -> None:
    with atomic():
        db.session.add(EventRsvp(event_id=event_id, user_id=user.id, status=status))


def change(actor: User, event_id: int, changes: set[str], **values) -> None:
    """What the organisers' edit does (written in parallel): set the fields, raise the
    sequence, and tell the receivers, in one transaction."""
    with atomic():
        event = db.session.get(Event, event_id)
        for name, value in values.items():
            setattr(event, name, value)
        event.sequence += 1
        signals.event_changed.emit(
            event=event, changes=frozenset(changes), actor=db.session.get(User, actor.id)
        )


def move(actor: User, event_id: int, by: timedelta) -> None:
    event = db.session.get(Event, event_id)
    change(actor, event_id, {"time"}, starts_at=event.starts_at + by, ends_at=event.ends_at + by)


def cancel(actor: User, event_id: int, reason: str) -> None:
    change(actor, event_id, {"cancelled"}, cancelled_at=utcnow(), cancel_reason=reason)


def notices(kind: str, user: User | None = None) -> list[Notification]:
    fresh()
    stmt = select(Notification).where(Notification.kind == kind)
    if user is not None:
        stmt = stmt.where(Notification.user_id == user.id)
    return list(db.session.scalars(stmt.order_by(Notification.id)))


def event_mails(outbox, address: str | None = None) -> list:
    """Change and cancellation mail (not the account mail registration sent)."""
    mails = outbox.deliver()
    return [
        m
        for m in mails
        if m["Subject"].startswith(("Changed:", "Cancelled:"))
        and (address is None or m["To"] == address)
    ]


def test_a_new_time_is_told_to_everyone_who_answered(mod, alice, bob, stranger, outbox):
    event_id = make_event(mod, title="Tender clinic")
    rsvp(alice, event_id, "going")
    rsvp(bob, event_id, "waiting")
    rsvp(stranger, event_id, "maybe")
    not_going = make_user(communities=("procurement",))
    rsvp(not_going, event_id, "not_going")
    with atomic():
        db.session.get(User, alice.id).timezone = "America/New_York"
    move(mod, event_id, timedelta(days=1, hours=2))

    told = {n.user_id for n in notices("event_changed")}
    assert told == {alice.id, bob.id, stranger.id}
    event = db.session.get(Event, event_id)
    [note] = notices("event_changed", alice)
    assert note.actor_id == mod.id
    assert note.url == f"/events/{event_id}"
    new_york = to_local(event.starts_at, "America/New_York")
    assert new_york.strftime("%H:%M ") + new_york.tzname() in note.excerpt  # EST: her zone

    mails = event_mails(outbox)
    assert sorted(m["To"] for m in mails) == sorted(
        ["alice@example.org", "bob@example.org", "sam@example.org"]
    )
    [to_alice] = [m for m in mails if m["To"] == "alice@example.org"]
    text = outbox.text(to_alice)
    assert "changed the time of “Tender clinic”" in text
    assert new_york.strftime("%-d %b %Y, %H:%M ") + new_york.tzname() in text
    assert outbox.link(to_alice, f"/events/{event_id}") == f"/events/{event_id}"


def test_each_change_is_told_once(mod, alice, outbox):
    event_id = make_event(mod)
    rsvp(alice, event_id)
    move(mod, event_id, timedelta(hours=1))
    # The same change told again (a receiver run twice, a retried signal): nothing new.
    with atomic():
        event = db.session.get(Event, event_id)
        signals.event_changed.emit(
            event=event, changes=frozenset({"time"}), actor=db.session.get(User, mod.id)
        )
    assert len(notices("event_changed", alice)) == 1
    assert len(event_mails(outbox, "alice@example.org")) == 1
    # A second change is a new occurrence: told again.
    change(mod, event_id, {"place"}, location="Town Hall, Cardiff")
    assert len(notices("event_changed", alice)) == 2
    mails = event_mails(outbox, "alice@example.org")
    assert len(mails) == 2
    assert "changed the place of" in outbox.text(mails[-1])
    assert "Town Hall, Cardiff" in outbox.text(mails[-1])
    fresh()
    kinds = set(db.session.scalars(select(EventReminder.kind)))
    assert kinds == {"changed-1", "changed-2"}


def test_details_and_capacity_changes_tell_no_one(mod, alice, outbox):
    event_id = make_event(mod)
    rsvp(alice, event_id)
    change(mod, event_id, {"details", "capacity"}, title="A better title", capacity=40)
    assert notices("event_changed") == []
    assert event_mails(outbox) == []


def test_a_cancellation_is_told_once_with_its_reason(mod, alice, bob, outbox):
    event_id = make_event(mod, title="Tender clinic")
    rsvp(alice, event_id)
    rsvp(bob, event_id, "waiting")
    cancel(mod, event_id, "The venue flooded.")
    with atomic():  # told again: nothing new
        signals.event_changed.emit(
            event=db.session.get(Event, event_id),
            changes=frozenset({"cancelled"}),
            actor=db.session.get(User, mod.id),
        )
    assert {n.user_id for n in notices("event_cancelled")} == {alice.id, bob.id}
    assert notices("event_cancelled", alice)[0].excerpt == "The venue flooded."
    mails = event_mails(outbox, "alice@example.org")
    assert len(mails) == 1
    assert mails[0]["Subject"].startswith("Cancelled: Tender clinic")
    text = outbox.text(mails[0])
    assert "is cancelled" in text
    assert "The venue flooded." in text
    assert len(event_mails(outbox, "bob@example.org")) == 1
    assert notices("event_changed") == []


def test_the_organiser_who_made_the_change_is_not_told(mod, alice, outbox):
    event_id = make_event(mod)
    rsvp(mod, event_id)
    rsvp(alice, event_id)
    other_mod = make_moderator("procurement", make_user("Otto Organiser"))
    move(mod, event_id, timedelta(hours=3))
    assert {n.user_id for n in notices("event_changed")} == {alice.id}
    assert event_mails(outbox, "mona@example.org") == []
    # Another organiser who answered is told of a change made by the first.
    rsvp(other_mod, event_id)
    move(mod, event_id, timedelta(hours=1))
    assert {n.user_id for n in notices("event_changed")} == {alice.id, other_mod.id}
    assert notices("event_changed", mod) == []


def test_event_emails_off_the_notice_but_no_mail(mod, alice, outbox):
    event_id = make_event(mod)
    rsvp(alice, event_id)
    with atomic():
        set_deliveries(db.session.get(User, alice.id), {"events": "never"})
    cancel(mod, event_id, "")
    assert len(notices("event_cancelled", alice)) == 1
    assert event_mails(outbox, "alice@example.org") == []


def test_members_who_lost_access_are_not_told(mod, alice, stranger, outbox):
    event_id = make_event(mod)
    rsvp(alice, event_id)
    rsvp(stranger, event_id)
    set_visibility("procurement", "members")
    move(mod, event_id, timedelta(hours=1))
    assert {n.user_id for n in notices("event_changed")} == {alice.id}
    assert event_mails(outbox, "sam@example.org") == []


def test_a_change_that_rolls_back_tells_no_one(mod, alice, outbox):
    event_id = make_event(mod)
    rsvp(alice, event_id)

    class Refused(Exception):
        pass

    try:
        with atomic():
            event = db.session.get(Event, event_id)
            event.sequence += 1
            signals.event_changed.emit(
                event=event, changes=frozenset({"time"}), actor=db.session.get(User, mod.id)
            )
            raise Refused
    except Refused:
        pass
    assert notices("event_changed") == []
    assert event_mails(outbox) == []
    fresh()
    assert db.session.scalars(select(EventReminder)).all() == []
