"""The live rooms of events: chat rooms of kind "event", named "event-<id>".

Who may use one: signed-in members who may see the event (events/access.py) read it, before,
during and after the event; nobody while it is hidden by moderation (its open pages
recheck when it is hidden and when it is restored). While the room is open (from 15
minutes before the start to the end) its community's members who may post there write in
it; for a network-wide event, any signed-in member whose address is confirmed and who is
not suspended. The event's organisers (access.can_organise: the community's moderators,
admins) moderate it.

The room's state (`Event.room_state`) is moved on by a registered job on the database
clock, never by a visit: scheduled → open when `starts_at - 15 minutes` has come, → closed
when `ends_at` has (the record is then kept, record.py). A cancelled event's room never
opens: it closes at the job's next run (kept as a record only when someone wrote in it,
i.e. it was cancelled while open). Each move is one UPDATE … WHERE room_state = the old
state, so two runners never both make it; it tells the other parts
(`signals.event_room_changed`) and, after commit, the room's open pages, which join again
(`chat.recheck`) and so show or hide the composer without a reload.
"""

import logging
from datetime import datetime, timedelta

from flask import Flask, url_for
from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.orm import lazyload

from .. import signals
from ..accounts.models import User
from ..chat import access as chat_access
from ..chat import actions as chat_actions
from ..chat.access import Decision, Header, create_room, register_room_kind
from ..communities import access as community_access
from ..communities.models import Community, Membership
from ..config import default_timezone
from ..db import atomic, utcnow
from ..errors import Forbidden, NotFound
from ..extensions import db
from ..ids import as_id
from ..jobs import db_now
from . import access, record, rules
from .models import Event, EventRsvp
from .panels import register_panel

log = logging.getLogger(__name__)

KIND = "event"
PREFIX = "event-"
OPENS_BEFORE = timedelta(minutes=15)
JOB_EVERY = timedelta(minutes=1)

CANCELLED = "This event was cancelled."
ENDED = "The event has ended: its room is read-only."


def room_name(event_id: int) -> str:
    return f"{PREFIX}{event_id}"


def opens_at(event: Event) -> datetime:
    """When the room opens (naive UTC)."""
    return event.starts_at - OPENS_BEFORE


def opening_text(user: User | None, event: Event) -> str:
    """ "09:45 BST", or "14 Dec 09:45 GMT" when it is not today in the reader's zone."""
    zone = getattr(user, "timezone", None) or default_timezone()
    today = rules.to_local(utcnow(), zone).date()
    moment = rules.to_local(opens_at(event), zone)
    fmt = "%H:%M %Z" if moment.date() == today else "%-d %b %Y, %H:%M %Z"
    return moment.strftime(fmt)


def _write_problem(user: User, event: Event, member: Membership | None) -> str | None:
    if event.is_cancelled:
        return CANCELLED
    if event.room_state == "closed":
        return ENDED
    if event.room_state != "open":
        return f"The room opens at {opening_text(user, event)} (15 minutes before the start)."
    if event.community is not None:
        try:
            community_access.check_may_post(user, event.community, member)
        except Forbidden as exc:
            return exc.message
        return None
    if user.is_suspended:
        return "Your account is suspended."
    if not user.is_verified:
        return "Confirm your email address to take part."
    return None


class EventRooms:
    prefix = PREFIX
    # The room opens and closes while pages are open: they keep a hidden composer (chat).
    opens_live = True

    def query(self, user: User, key: str):
        event_id = as_id(key) if key.isdigit() and not key.startswith("0") else None
        if event_id is None:
            return None
        stmt = (
            select(Event, Membership)
            .outerjoin(
                Membership,
                (Membership.community_id == Event.community_id) & (Membership.user_id == user.id),
            )
            .where(Event.id == event_id)
            .options(lazyload(Membership.user))
        )
        return stmt, Event.id

    def decide(self, user: User, row) -> Decision | None:
        event, member = row
        if not access.can_see(user, event):
            return None
        return Decision(
            _write_problem(user, event, member),
            access.can_organise(user, event.community),
            community_id=event.community_id,
        )

    def title(self, event: Event) -> str:
        return event.title

    def header(self, user: User, event: Event) -> Header:
        return Header(event.title, url_for("events.show", event_id=event.id))

    def names(self, target_ids: list[int]) -> dict[int, str]:
        ids = db.session.scalars(select(Event.id).where(Event.id.in_(target_ids)))
        return {event_id: room_name(event_id) for event_id in ids}

    def followed(self, user: User):
        """The events whose rooms count for the member's unread marks: going or maybe (not
        while hidden: nobody reads its room)."""
        return (
            select(EventRsvp.event_id)
            .join(Event, Event.id == EventRsvp.event_id)
            .where(
                EventRsvp.user_id == user.id,
                EventRsvp.status.in_(("going", "maybe")),
                Event.in_view(),
            )
        )

    def community_of(self, target_id: int) -> int | None:
        return db.session.scalar(select(Event.community_id).where(Event.id == target_id))


register_room_kind(KIND, EventRooms())


# --- the room's life ------------------------------------------------------------------------


def _now_expr(now: datetime | None, plus: timedelta = timedelta(0)):
    """The database clock (or, given `now`, that moment: tests and the demo move the clock)."""
    if now is None:
        return db_now(plus)
    return bindparam(None, now + plus, type_=db.DateTime())


def _due_to_open(now):
    return and_(
        Event.room_state == "scheduled",
        Event.cancelled_at.is_(None),
        Event.starts_at <= _now_expr(now, OPENS_BEFORE),
        Event.ends_at > _now_expr(now),
    )


def _due_to_close(now, state: str):
    return and_(
        Event.room_state == state,
        or_(Event.ends_at <= _now_expr(now), Event.cancelled_at.is_not(None)),
    )


def _move(event_id: int, condition, state: str) -> Event | None:
    """One UPDATE … WHERE (the old state and the time rule): the event if this runner moved it
    (in the caller's transaction), None if another did or it is no longer due."""
    result = db.session.execute(
        update(Event)
        .where(Event.id == event_id, condition)
        .values(room_state=state)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return None
    event = db.session.get(Event, event_id)
    db.session.refresh(event)
    return event


def _after_move(event: Event, state: str) -> None:
    signals.event_room_changed.emit(event=event, state=state)
    # After commit: the room's open pages join again, and so see whether they may write.
    chat_actions.recheck_live_room(KIND, event.id)


def advance_rooms(now: datetime | None = None) -> dict[str, int]:
    """Open the rooms whose time has come and close those whose event ended (or was
    cancelled); the record of each closed room is kept in the same transaction (record.py,
    a receiver of event_room_changed), and the records that could not be kept then are
    tried again. `now` (naive UTC): the clock to use instead of the database's. Each event
    moves in its own transaction; one that fails is logged and retried at the next run, the
    others go on. Returns how many rooms opened and closed."""
    done = {"open": 0, "closed": 0}
    failed = 0
    # A read: which events look due (each move below checks again, in its UPDATE).
    to_open = db.session.scalars(select(Event.id).where(_due_to_open(now))).all()
    to_close = [
        (event_id, state)
        for state in ("scheduled", "open")
        for event_id in db.session.scalars(select(Event.id).where(_due_to_close(now, state)))
    ]
    work = [(i, _due_to_open(now), "open") for i in to_open if i not in dict(to_close)]
    work += [(i, _due_to_close(now, old), "closed") for i, old in to_close]
    for event_id, condition, state in work:
        try:
            with atomic():
                event = _move(event_id, condition, state)
                if event is not None:
                    _after_move(event, state)
                    done[state] += 1
        except Exception:
            failed += 1
            log.exception("event %s: its room could not be moved to %r", event_id, state)
    # The records that could not be kept when their rooms closed (each logs its own failure).
    record.retry_records()
    if failed:
        raise RuntimeError(f"{failed} event room(s) could not be moved; see the log")
    return done


def _reschedule(_app, *, event: Event, changes: frozenset, **_) -> None:
    """event_changed: an open room whose event moved later waits again for its new time; a
    cancelled event's room takes no more messages at once (its open pages are told; the job
    closes it). An event moved to another community (a change of "details", which says no
    more) has other readers and writers: its room's open pages join again, closed or not."""
    recheck = bool(changes & {"cancelled", "details", "community"})
    if (
        "time" in changes
        and event.room_state == "open"
        and not event.is_cancelled
        and opens_at(event) > utcnow()
    ):
        event.room_state = "scheduled"
        db.session.flush()
        recheck = True
    if recheck:
        chat_actions.recheck_live_room(KIND, event.id)


def recheck_community_rooms(_app, *, community: Community, **_) -> None:
    """membership_lost, community_access_changed: who may read the community's events, or
    write in their rooms, changed (a member left, even a public community: they write no
    more; made members-only; archived). The rooms that are not closed join again, so each
    open page's access and composer are checked anew; a closed room takes no messages."""
    chat_actions.recheck_live_rooms(
        KIND,
        select(Event.id).where(Event.community_id == community.id, Event.room_state != "closed"),
    )


def _create_room(_app, *, event: Event, **_) -> None:
    """event_created: an event has its room from the start (a read never makes one)."""
    create_room(KIND, event.id)


def recheck_room(_app, *, event: Event, **_) -> None:
    """event_hidden, event_restored: nobody reads a hidden event's room; after commit its
    open pages join again, so each one's access is checked anew (and restored, it reads)."""
    chat_actions.recheck_live_room(KIND, event.id)


def connect(app: Flask) -> None:
    signals.connect(
        app,
        (signals.event_created, _create_room),
        (signals.event_changed, _reschedule),
        (signals.event_hidden, recheck_room),
        (signals.event_restored, recheck_room),
    )


def register(app: Flask) -> None:
    from ..jobs import register_job

    register_job(app, "event rooms", JOB_EVERY, advance_rooms)


# --- the event page's panel -----------------------------------------------------------------


def _present_count(room_id: int) -> int | None:
    from ..chat.sockets import presence

    try:
        return len(presence().members(room_id))
    except Exception:  # Redis is down: the panel says "live now" without the number
        log.warning("event room: presence could not be read", exc_info=True)
        return None


def _panel(event: Event, user: User | None) -> dict | None:
    if not access.can_see(user, event):
        return None
    readable = False
    if user is not None and user.is_authenticated:
        try:
            chat_access.standing(user, room_name(event.id))
            readable = True
        except NotFound:
            readable = False
    state = "cancelled" if event.is_cancelled else event.room_state
    room = chat_access.room_of(KIND, event.id) if state == "open" else None
    return {
        "event": event,
        "state": state,
        "opens": opening_text(user, event),
        "present": _present_count(room.id) if room is not None else None,
        "link": url_for("chat.room", name=room_name(event.id)) if readable else None,
        "signed_in": user is not None and user.is_authenticated,
    }


register_panel("room", order=30, template="events/_room.html", context=_panel)
