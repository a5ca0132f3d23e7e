"""Reminders and change notices for events, each sent once.

Members who answered going or maybe get an email about a day before the start (unless they
turned event emails off in their settings) and an in-app notification about an hour before.
A change of time or place, or a cancellation, tells everyone who answered (going, maybe or
waiting), in the site and by email, once per change.

Once: every reminder and notice is first claimed as one `EventReminder` row keyed by (member,
event, kind), with an INSERT … ON CONFLICT DO NOTHING, and sent only by whoever inserted it,
in the same transaction. Two runs of the reminders job, two jobs processes racing, or a rerun
after a crash (the claim rolled back with the mail, or committed with it) never send twice.
A reminder's kind names the start it is for ("day-before@20261208T1000", UTC), so an event
moved after its reminders went is reminded of again before its new start.
The job finds what is due with one query per kind on the database's clock (`jobs.db_now`),
so an event created less than a day before its start gets its day reminder at the next run,
and none once it has started.

Mail goes through the mail queue: written in the transaction, sent by the mail job after the
commit. Only members who may still see the event are told (`access.visible_to_member_id`).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import String, and_, exists, func, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..accounts.models import User
from ..db import atomic
from ..digests.choices import wants_mail_now, wants_mail_now_sql
from ..extensions import db
from ..jobs import db_now
from ..links import absolute_url
from ..mail import queue_mail
from ..notifications import actions as notify
from ..notifications.targets import register_wording
from ..web import TIME_FORMAT, to_local
from . import access
from .links import event_url as _event_url
from .models import ATTENDING, Event, EventReminder, EventRsvp
from .notices import CANCELLED_NOTICE

DAY_BEFORE = "day-before"  # the email
HOUR_BEFORE = "hour-before"  # the in-app notification
CANCELLED = "cancelled"
REMINDED = ("going", "maybe")  # who is reminded
TOLD_OF_CHANGES = ATTENDING  # who hears of a change or a cancellation (going, maybe, waiting)
# A change of these is worth telling everyone who answered (calendar-only details are not).
NOTIFIED_CHANGES = frozenset({"time", "place", "cancelled"})
BATCH = 500  # reminders of one kind claimed and sent per run (the rest at the next run)

register_wording("event_reminder", "reminds you that this starts within the hour:", email=None)
register_wording("event_changed", "changed the time or place of", email="events")
register_wording(CANCELLED_NOTICE, "cancelled", email="events")


@dataclass(frozen=True)
class ReminderKind:
    name: str  # EventReminder.kind, before "@<start>"
    before: timedelta  # sent once the start is this close (and not yet passed)
    by_email: bool  # else in-app

    def claim_kind(self, starts_at: datetime) -> str:
        """The claim of this reminder for an event starting at `starts_at` (UTC)."""
        return f"{self.name}@{starts_at:%Y%m%dT%H%M}"

    def claim_kind_sql(self):
        """`claim_kind` of Event.starts_at, in SQL (the same text on either database)."""
        if db.session.get_bind().dialect.name == "postgresql":
            start = func.to_char(Event.starts_at, 'YYYYMMDD"T"HH24MI')
        else:
            start = func.strftime("%Y%m%dT%H%M", Event.starts_at)
        return literal(f"{self.name}@", String).concat(start)


DAY = ReminderKind(DAY_BEFORE, timedelta(hours=24), by_email=True)
HOUR = ReminderKind(HOUR_BEFORE, timedelta(hours=1), by_email=False)
KINDS = (DAY, HOUR)


# --- claiming ---------------------------------------------------------------------------------


def claim(user_id: int, event_id: int, kind: str) -> bool:
    """Claim the (member, event, kind) reminder in the caller's transaction: True when this
    call inserted its row (the caller then sends it), False when it was claimed already.
    A concurrent claimer of the same row waits for this transaction and then gets False."""
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(EventReminder)
        .values(user_id=user_id, event_id=event_id, kind=kind, created_at=db_now())
        .on_conflict_do_nothing(index_elements=["user_id", "event_id", "kind"])
        .returning(EventReminder.id)
    )
    return db.session.execute(stmt).first() is not None


def _not_claimed(kind):
    """No claim of `kind` (a text, or an SQL expression of the event's row) for this RSVP."""
    return ~exists().where(
        EventReminder.user_id == EventRsvp.user_id,
        EventReminder.event_id == EventRsvp.event_id,
        EventReminder.kind == kind,
    )


def may_email(user: User) -> bool:
    """Event mail goes at once to members whose choice for event email is "immediately"
    (otherwise the notice waits for the digest, or stays in the site)."""
    return wants_mail_now(user, "events")


# --- wording ----------------------------------------------------------------------------------


def when(value, user: User) -> str:
    """A stored time in the member's zone, the zone named: "8 Dec 2026, 10:00 GMT"."""
    return to_local(value, user.timezone).strftime(TIME_FORMAT)


def event_url(event: Event) -> str:
    """The event page's absolute address, for mail."""
    return _event_url(event.id, absolute=True)


def settings_url() -> str:
    return absolute_url("accounts.settings") + "#email-choices"


def _excerpt(event: Event, user: User) -> str:
    where = event.where
    return f"{when(event.starts_at, user)}" + (f" · {where}" if where else "")


# --- the reminders job ------------------------------------------------------------------------


def due(kind: ReminderKind, limit: int = BATCH) -> list[tuple[User, Event]]:
    """The unclaimed reminders of `kind` due now (database clock): members who answered
    going or maybe, who may still see the event, for events not cancelled that start within
    `kind.before` and have not started. Soonest first, then by event and member, so runners
    racing claim in the same order."""
    conditions = [
        EventRsvp.status.in_(REMINDED),
        Event.cancelled_at.is_(None),
        Event.starts_at > db_now(),
        Event.starts_at <= db_now(kind.before),
        access.visible_to_member_id(EventRsvp.user_id),
        ~User.is_suspended,
        _not_claimed(kind.claim_kind_sql()),
    ]
    if kind.by_email:
        conditions.append(wants_mail_now_sql("events"))
    stmt = (
        select(User, Event)
        .join(EventRsvp, EventRsvp.user_id == User.id)
        .join(Event, Event.id == EventRsvp.event_id)
        .where(and_(*conditions))
        .order_by(Event.starts_at, Event.id, User.id)
        .limit(limit)
    )
    return [(row[0], row[1]) for row in db.session.execute(stmt).unique()]


def _remind(kind: ReminderKind, user: User, event: Event) -> None:
    if kind.by_email:
        starts = when(event.starts_at, user)
        queue_mail(
            user.email, f"Reminder: {event.title}, {starts}", "event_reminder",
            user=user, event=event, starts=starts, ends=when(event.ends_at, user),
            place=event.where, url=event_url(event), settings_url=settings_url(),
        )  # fmt: skip
        return
    notify.notify(
        user.id, "event_reminder", actor=event.organiser, community_id=event.community_id,
        target=("event", event.id), subject=event.title, excerpt=_excerpt(event, user),
        occurrence=kind.claim_kind(event.starts_at),  # a new start, a new notice
    )  # fmt: skip


def send_reminders(kind: ReminderKind, limit: int = BATCH) -> int:
    """Claim and send the due reminders of `kind`, in one transaction; how many were sent.
    Looked for first with a plain read, so an idle minute takes no write lock (SQLite); the
    write transaction looks again, since another runner may have claimed them meanwhile."""
    if not due(kind, 1):
        return 0
    sent: set[tuple[int, int]] = set()
    with atomic():
        for user, event in due(kind, limit):
            if claim(user.id, event.id, kind.claim_kind(event.starts_at)):
                _remind(kind, user, event)
                sent.add((user.id, event.id))
        if sent and not kind.by_email:
            notify.publish_counts({user_id for user_id, _ in sent})
    return len(sent)


def send_due_reminders() -> dict[str, int]:
    """The reminders job: each kind's due reminders (a day before by email, an hour before
    in the site)."""
    return {kind.name: send_reminders(kind) for kind in KINDS}


# --- change notices (a receiver of signals.event_changed) --------------------------------------


def _told_of_changes(event: Event, actor: User | None, *, cancelled: bool) -> list[User]:
    """Who answered the event's RSVP (going, maybe, waiting) and may still see it; not the
    organiser who made the change. A cancellation reaches them even when the event is out
    of view: a moderator's deletion of a flagged event cancels it, and this is how those
    who meant to come learn that it is off."""
    may_see = access.readable_by_member_id if cancelled else access.visible_to_member_id
    stmt = (
        select(User)
        .join(EventRsvp, EventRsvp.user_id == User.id)
        .join(Event, Event.id == EventRsvp.event_id)
        .where(
            EventRsvp.event_id == event.id,
            EventRsvp.status.in_(TOLD_OF_CHANGES),
            may_see(EventRsvp.user_id),
            ~User.is_suspended,
        )
        .order_by(User.id)
    )
    if actor is not None:
        stmt = stmt.where(User.id != actor.id)
    return list(db.session.scalars(stmt).unique())


def tell_of_change(_app, *, event: Event, changes: frozenset, actor: User | None, **_) -> None:
    """event_changed: a change of time or place, or a cancellation, is told once per change
    (the claim `changed-<sequence>`, or `cancelled`) to everyone who answered, in the site
    and by email (unless event emails are off)."""
    if not changes & NOTIFIED_CHANGES:
        return
    db.session.flush()  # the event's new times, place and sequence, for the queries below
    cancelled = "cancelled" in changes
    claim_kind = CANCELLED if cancelled else f"changed-{event.sequence}"
    kind = CANCELLED_NOTICE if cancelled else "event_changed"
    told: set[int] = set()
    for user in _told_of_changes(event, actor, cancelled=cancelled):
        if not claim(user.id, event.id, claim_kind):
            continue
        if cancelled:
            excerpt = event.cancel_reason or _excerpt(event, user)
        else:
            excerpt = "Now " + _excerpt(event, user)
        mailed = may_email(user)
        notify.notify(
            user.id, kind, actor=actor, community_id=event.community_id,
            target=("event", event.id), subject=event.title, excerpt=excerpt,
            occurrence="" if cancelled else str(event.sequence), emailed=mailed,
        )  # fmt: skip
        told.add(user.id)
        if mailed:
            _mail_change(user, event, changes, cancelled)
    if told:
        notify.publish_counts(told)


def _mail_change(user: User, event: Event, changes: frozenset, cancelled: bool) -> None:
    starts = when(event.starts_at, user)
    if cancelled:
        subject = f"Cancelled: {event.title}, {starts}"
    else:
        subject = f"Changed: {event.title}, now {starts}"
    queue_mail(
        user.email,
        subject,
        "event_cancelled" if cancelled else "event_changed",
        user=user,
        event=event,
        time_changed="time" in changes,
        place_changed="place" in changes,
        starts=starts,
        ends=when(event.ends_at, user),
        place=event.where,
        reason=event.cancel_reason,
        url=event_url(event),
        settings_url=settings_url(),
    )
