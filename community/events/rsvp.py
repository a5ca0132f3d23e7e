"""RSVPs: a member's answer to an event (going, maybe, not going), the waiting list that a
"going" joins when the event is full, and the moves up that list when a place frees.

Who may answer: a confirmed, unsuspended member who may see the event and, for a
community's event, belongs to that community (any signed-in member for a network-wide
one), until the RSVP deadline (or the start, when there is none), never for a cancelled
event. At capacity a "going" becomes "waiting", in line by `waiting_since` (then id); when
a going member drops out, or the organiser raises the capacity, the first in line move up
in order, as many as there are places, and each is told in the site and by email. A member
who leaves the event's community, or whose account is suspended, gives up their place (or
their place in line) in the events still to come: their answer becomes "not going" and the
first in line moves up (`give_up_places`, on signals.membership_lost and member_suspended).

Every change of the answers to one event is serialised on the event's row (`_lock`), so two
members taking the last place at once never both get it.

The queries at the bottom (`going_count`, `answer_counts`, `answers_by_status`,
`answered_user_ids`…) are for the other parts of events: the room panel, the record, the
reminders.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select, update

from ..accounts.models import User
from ..communities import access as community_access
from ..communities.models import Community
from ..db import utcnow
from ..errors import Forbidden, Invalid
from ..extensions import db
from ..mail import queue_mail
from ..notifications import actions as notify
from ..notifications.targets import register_wording
from . import access
from .links import event_url
from .models import RSVP_LABELS, Event, EventRsvp
from .reminders import may_email, when

ANSWERS = ("going", "maybe", "not_going")  # what a member may choose ("waiting" follows)
HOLDING = ("going", "waiting")  # the answers that hold a place, or one in line
PROMOTED = "event_promoted"

register_wording(PROMOTED, "has a place for you at", email="events")


@dataclass(frozen=True)
class Answer:
    """What `rsvp` recorded: the status (maybe "waiting" for a "going" at capacity) and,
    while waiting, the member's place in line (1: next to move up)."""

    status: str
    place: int | None = None

    @property
    def message(self) -> str:
        if self.status == "waiting":
            return (
                "The event is full: you are on the waiting list, number "
                f"{self.place}. We will tell you if a place frees up."
            )
        return {
            "going": "You are going. See you there!",
            "maybe": "Your answer is saved: maybe.",
            "not_going": "Your answer is saved: not going.",
        }[self.status]


# --- rules -------------------------------------------------------------------------------------


def closes_at(event: Event) -> datetime:
    """When answers close: the RSVP deadline, else the start (UTC)."""
    return event.rsvp_deadline or event.starts_at


def is_open(event: Event, now: datetime | None = None) -> bool:
    return not event.is_cancelled and (now or utcnow()) < closes_at(event)


def belongs(user: User, event: Event) -> bool:
    """Whether `user` is of the event's public: a member of its community (anyone signed in
    for a network-wide event)."""
    return event.community is None or community_access.membership(user, event.community) is not None


def check_may_answer(user: User | None, event: Event, now: datetime | None = None) -> None:
    """Raise Forbidden (who) or Invalid (when) unless `user` may answer `event` now. The
    caller has checked that they may see it (`access.access_event`)."""
    if user is not None and getattr(user, "is_suspended", False):
        raise Forbidden("Your account is suspended, so you cannot RSVP.")
    if user is None or not user.is_authenticated:
        raise Forbidden("Please sign in to RSVP.")
    if not user.is_verified:
        raise Forbidden("Confirm your email address before you RSVP.")
    if event.community is not None:
        if not belongs(user, event):
            raise Forbidden(f"Join {event.community.name} to RSVP.")
        if event.community.archived_at is not None:
            raise Forbidden(f"{event.community.name} is archived: RSVPs are closed.")
    access.check_in_view(event)
    if event.is_cancelled:
        raise Invalid("This event is cancelled: RSVPs are closed.")
    if (now or utcnow()) >= closes_at(event):
        if event.rsvp_deadline is not None:
            raise Invalid("The RSVP deadline for this event has passed.")
        raise Invalid("This event has started: RSVPs are closed.")


# --- actions -----------------------------------------------------------------------------------


def _lock(event_id: int) -> None:
    """Serialise every change of this event's answers: a no-op UPDATE of its row takes the
    row lock on PostgreSQL until the commit (SQLite's `atomic()` holds the database's write
    lock already), so the places are counted after any other change has committed."""
    db.session.execute(
        update(Event)
        .where(Event.id == event_id)
        .values(sequence=Event.sequence)
        .execution_options(synchronize_session=False)
    )


def rsvp(user: User, event_id: int, status: str) -> Answer:
    """Record `user`'s answer to an event (going, maybe or not going), in the caller's
    `atomic()`. A "going" at capacity joins the waiting list (a member already going or
    waiting keeps their place); a going member who drops out lets the first in line move up."""
    if status not in ANSWERS:
        raise Invalid("Choose going, maybe or not going.", field="status")
    _lock(event_id)
    event = access.access_event(user, event_id)
    db.session.refresh(event)  # its capacity as of the lock
    now = utcnow()
    check_may_answer(user, event, now)
    answer = db.session.scalar(
        select(EventRsvp).where(EventRsvp.event_id == event.id, EventRsvp.user_id == user.id)
    )
    if answer is None:
        answer = EventRsvp(event_id=event.id, user_id=user.id, status="not_going")
        db.session.add(answer)
    was = answer.status if answer.id else None
    if status == "going" and was == "going":
        pass  # already in: keep the place
    elif status == "going" and was == "waiting":
        promote(event)  # in line: keep the place there, and move up if one is free
    elif status == "going":
        promote(event)  # anyone already in line comes first
        if places_left(event) == 0:
            answer.status, answer.waiting_since = "waiting", now
        else:
            answer.status, answer.waiting_since = "going", None
        answer.updated_at = now
    else:
        answer.status, answer.waiting_since, answer.updated_at = status, None, now
    db.session.flush()
    if was == "going" and answer.status != "going":
        promote(event)
    return Answer(answer.status, waiting_place(answer))


def promote(event: Event, actor: User | None = None) -> list[EventRsvp]:
    """Move the first in line up to the places free (in order of `waiting_since`, then id)
    and tell each of them; a member who may no longer hold a place (suspended, or gone from
    the event's community) is passed over and stays in line. The caller holds the event's
    lock (`rsvp`, or `_lock` first)."""
    free = places_left(event)
    if free == 0:
        return []
    line = db.session.scalars(
        select(EventRsvp)
        .where(EventRsvp.event_id == event.id, EventRsvp.status == "waiting")
        .order_by(EventRsvp.waiting_since, EventRsvp.id)
    ).all()
    moved = []
    now = utcnow()
    for answer in line:
        if free is not None and len(moved) == free:
            break
        if not _may_hold_place(answer.user, event):
            continue
        occurrence = answer.waiting_since.isoformat() if answer.waiting_since else ""
        answer.status, answer.waiting_since, answer.updated_at = "going", None, now
        _tell_promoted(event, answer.user, occurrence, actor)
        moved.append(answer)
    if moved:
        db.session.flush()
        notify.publish_counts({a.user_id for a in moved})
    return moved


def _may_hold_place(user: User, event: Event) -> bool:
    return not user.is_suspended and belongs(user, event)


def _tell_promoted(event: Event, user: User, occurrence: str, actor: User | None) -> None:
    """In the site (once per spell on the waiting list: `occurrence` is when it began) and,
    by email as the member chose for events."""
    if not access.can_see(user, event):
        return
    mailed = may_email(user)
    notify.notify(
        user.id, PROMOTED, actor=actor or event.organiser, community_id=event.community_id,
        target=("event", event.id), subject=event.title, occurrence=f"waiting-{occurrence}",
        emailed=mailed,
    )  # fmt: skip
    if mailed:
        queue_mail(
            user.email, f"A place for you: {event.title}", "event_promoted", user=user,
            event=event, starts=when(event.starts_at, user),
            url=event_url(event.id, absolute=True),
        )  # fmt: skip


def capacity_changed(_app, *, event: Event, changes: frozenset, actor: User, **_) -> None:
    """event_changed: more places let the first in line move up (a smaller capacity moves
    nobody down: those going keep their places)."""
    if "capacity" not in changes or event.is_cancelled:
        return
    db.session.flush()
    _lock(event.id)
    promote(event, actor)


def give_up_places(user: User, community: Community | None = None) -> list[int]:
    """`user` may no longer hold a place: in the events to come (not started, not cancelled)
    of `community` (None: every event), their "going" or "waiting" becomes "not going" and
    the first in line move up. In the caller's transaction; the events' ids changed."""
    stmt = (
        select(EventRsvp.event_id)
        .join(Event, Event.id == EventRsvp.event_id)
        .where(
            EventRsvp.user_id == user.id,
            EventRsvp.status.in_(HOLDING),
            Event.cancelled_at.is_(None),
            Event.starts_at > utcnow(),
        )
        .order_by(EventRsvp.event_id)  # locks always taken in the same order
    )
    if community is not None:
        stmt = stmt.where(Event.community_id == community.id)
    changed = []
    for event_id in db.session.scalars(stmt).all():
        _lock(event_id)
        answer = db.session.scalar(
            select(EventRsvp)
            .where(EventRsvp.event_id == event_id, EventRsvp.user_id == user.id)
            .execution_options(populate_existing=True)
        )
        if answer is None or answer.status not in HOLDING:
            continue  # changed meanwhile
        was = answer.status
        answer.status, answer.waiting_since, answer.updated_at = "not_going", None, utcnow()
        db.session.flush()
        if was == "going":
            event = db.session.get(Event, event_id, populate_existing=True)
            promote(event)
        changed.append(event_id)
    return changed


def left_community(_app, *, user: User, community: Community, **_) -> None:
    """membership_lost: their places in the community's events to come are freed."""
    give_up_places(user, community)


def suspended(_app, *, user: User, **_) -> None:
    """member_suspended: their places in every event to come are freed."""
    give_up_places(user)


# --- queries -----------------------------------------------------------------------------------


def going_count(event: Event | int) -> int:
    """How many members are going (the waiting list not counted)."""
    return going_counts([getattr(event, "id", event)]).get(getattr(event, "id", event), 0)


def going_counts(event_ids) -> dict[int, int]:
    """`going_count` for many events at once: {event id: going} (events with none left out)."""
    ids = list(event_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(EventRsvp.event_id, func.count())
        .where(EventRsvp.event_id.in_(ids), EventRsvp.status == "going")
        .group_by(EventRsvp.event_id)
    )
    return {event_id: n for event_id, n in rows}


def answer_counts(event: Event | int) -> dict[str, int]:
    """{status: count} for every status (going, maybe, not_going, waiting), zeros included."""
    event_id = getattr(event, "id", event)
    counts = dict.fromkeys(RSVP_LABELS, 0)
    rows = db.session.execute(
        select(EventRsvp.status, func.count())
        .where(EventRsvp.event_id == event_id)
        .group_by(EventRsvp.status)
    )
    counts.update({status: n for status, n in rows})
    return counts


def places_left(event: Event, going: int | None = None) -> int | None:
    """Places still free for "going" (never below 0); None when there is no limit. `going`:
    the going count when the caller has it already."""
    if event.capacity is None:
        return None
    return max(event.capacity - (going_count(event) if going is None else going), 0)


def answers_by_status(event: Event | int) -> dict[str, list[EventRsvp]]:
    """Every answer (with its member), by status: the waiting list in line order, the others
    by name."""
    event_id = getattr(event, "id", event)
    rows = db.session.scalars(
        select(EventRsvp)
        .join(User, User.id == EventRsvp.user_id)
        .where(EventRsvp.event_id == event_id)
        .order_by(EventRsvp.waiting_since, func.lower(User.display_name), EventRsvp.id)
    )
    out: dict[str, list[EventRsvp]] = {status: [] for status in RSVP_LABELS}
    for answer in rows:
        out[answer.status].append(answer)
    return out


def answered_user_ids(event: Event | int, statuses=("going", "maybe")) -> list[int]:
    """The members whose answer is one of `statuses` (reminders: going and maybe)."""
    event_id = getattr(event, "id", event)
    return list(
        db.session.scalars(
            select(EventRsvp.user_id)
            .where(EventRsvp.event_id == event_id, EventRsvp.status.in_(list(statuses)))
            .order_by(EventRsvp.id)
        )
    )


def answer_of(user: User | None, event: Event | int) -> EventRsvp | None:
    if user is None or not user.is_authenticated:
        return None
    event_id = getattr(event, "id", event)
    return db.session.scalar(
        select(EventRsvp).where(EventRsvp.event_id == event_id, EventRsvp.user_id == user.id)
    )


def waiting_place(answer: EventRsvp | None) -> int | None:
    """The place in line of a waiting answer (1: next to move up); None when not waiting."""
    if answer is None or answer.status != "waiting":
        return None
    ahead = db.session.scalar(
        select(func.count())
        .select_from(EventRsvp)
        .where(
            EventRsvp.event_id == answer.event_id,
            EventRsvp.status == "waiting",
            or_(
                EventRsvp.waiting_since < answer.waiting_since,
                and_(EventRsvp.waiting_since == answer.waiting_since, EventRsvp.id < answer.id),
            ),
        )
    )
    return ahead + 1


@dataclass(frozen=True)
class Group:
    organisation: str  # "" when the member named none
    members: list[User]


def going_by_organisation(event: Event | int) -> list[Group]:
    """Who is going, grouped by organisation (by name; members by name): listed members
    only (confirmed, not suspended)."""
    event_id = getattr(event, "id", event)
    users = db.session.scalars(
        select(User)
        .join(EventRsvp, EventRsvp.user_id == User.id)
        .where(EventRsvp.event_id == event_id, EventRsvp.status == "going", User.is_listed)
    ).unique()
    groups: dict[str, list[User]] = defaultdict(list)
    for user in users:
        groups[user.organisation_name or ""].append(user)
    return [
        Group(name, sorted(members, key=lambda u: (u.display_name.casefold(), u.id)))
        for name, members in sorted(groups.items(), key=lambda g: (not g[0], g[0].casefold()))
    ]
