"""What members do with events: organisers create, edit and cancel them.

Every action checks its permission here (events/access.py), runs inside the caller's
`atomic()`, and tells the other domains through signals (its room, search entry and
notices are theirs)."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from .. import markup, signals
from ..accounts.models import User
from ..communities import access as community_access
from ..communities.models import Community
from ..db import utcnow
from ..errors import Forbidden, Invalid, NotFound
from ..extensions import db
from ..moderation import audit
from . import access, rules
from .models import Event


@dataclass
class EventDetails:
    """An event as the organiser typed it: times are wall-clock times in `timezone`."""

    title: str
    starts: datetime | None
    ends: datetime | None
    timezone: str
    description: str = ""
    community: str | None = None  # a community's slug; None or "": network-wide
    location: str = ""
    join_url: str | None = None
    capacity: int | str | None = None
    rsvp_deadline: datetime | None = None


def _community_for(actor: User, slug: str | None) -> Community | None:
    if not slug:
        if not access.can_organise(actor, None):
            raise Forbidden("Only admins create network-wide events.", field="community")
        return None
    community = db.session.scalar(select(Community).where(Community.slug == slug))
    if community is None or not community_access.can_read(actor, community):
        raise NotFound(f"We could not find the community “{slug[:80]}”.", field="community")
    if not access.can_organise(actor, community):
        raise Forbidden(
            "Only this community's moderators can create its events.", field="community"
        )
    try:
        community_access.check_open(community)
    except Forbidden as exc:
        raise Forbidden(exc.message, field="community") from None
    return community


def create_event(actor: User, details: EventDetails, *, allow_past: bool = False) -> Event:
    """A new event, organised by `actor` (a moderator of its community, or an admin)."""
    community = _community_for(actor, details.community)
    times = rules.check_times(
        details.starts,
        details.ends,
        details.timezone,
        deadline=details.rsvp_deadline,
        now=utcnow(),
        allow_past=allow_past,
    )
    location, join_url = rules.check_place(details.location, details.join_url)
    description = rules.check_description(details.description)
    event = Event(
        title=rules.check_title(details.title),
        description=description,
        description_html=markup.render(description),
        community=community,
        organiser_id=actor.id,
        starts_at=times.starts_at,
        ends_at=times.ends_at,
        timezone=details.timezone,
        location=location,
        join_url=join_url,
        capacity=rules.check_capacity(details.capacity),
        rsvp_deadline=times.rsvp_deadline,
    )
    db.session.add(event)
    db.session.flush()
    audit.record(actor, "event.create", ("event", event.id), community=community)
    signals.event_created.emit(event=event)
    return event


def details_of(event: Event) -> EventDetails:
    """An event as its edit form starts: times as wall-clock times in the event's zone."""

    def wall(moment: datetime | None) -> datetime | None:
        return rules.to_local(moment, event.timezone).replace(tzinfo=None) if moment else None

    return EventDetails(
        title=event.title,
        starts=wall(event.starts_at),
        ends=wall(event.ends_at),
        timezone=event.timezone,
        description=event.description,
        community=event.community.slug if event.community else None,
        location=event.location,
        join_url=event.join_url,
        capacity=event.capacity,
        rsvp_deadline=wall(event.rsvp_deadline),
    )


def _check_not_cancelled(event: Event) -> None:
    if event.is_cancelled:
        raise Invalid("This event was cancelled: it can no longer be changed.")


def _same_start(event: Event, details: EventDetails) -> bool:
    """Does the edit keep the start? (Then an event that already started may keep it.)
    A start that cannot be read is not the same (check_times says what is wrong)."""
    if details.starts is None:
        return False
    zone = rules.check_timezone(details.timezone)
    try:
        return rules.to_utc(details.starts, zone) == event.starts_at
    except Invalid:
        return False


ENDED = "This event has ended: its time can no longer change."


def edit_event(actor: User, event_id: int, details: EventDetails) -> Event:
    """Change an event (its organisers: the community's moderators, or admins). The times
    are wall-clock times in `details.timezone`, stored in UTC, so an edit that moves an
    event across a change of daylight saving keeps the time the organiser typed.

    Once the event's room has closed (it has ended), its time no longer changes: the
    other details still may.

    Emits `event_changed` with what changed ("time", "place", "capacity", "details") and
    the SEQUENCE raised once; a change that changes nothing does nothing."""
    event = access.access_event(actor, event_id, need="organise")
    _check_not_cancelled(event)
    if event.community is not None:
        community_access.check_open(event.community)
    community = event.community
    if (details.community or None) != (community.slug if community else None):
        community = _community_for(actor, details.community)
    same_start = _same_start(event, details)
    room_closed = event.room_state == "closed"  # for good: a new time could not reopen it
    if room_closed and not same_start:
        raise Invalid(ENDED, field="starts")
    times = rules.check_times(
        details.starts,
        details.ends,
        details.timezone,
        deadline=details.rsvp_deadline,
        now=utcnow(),
        allow_past=same_start,
        kept_deadline=event.rsvp_deadline,
    )
    if room_closed and times.ends_at != event.ends_at:
        raise Invalid(ENDED, field="ends")
    location, join_url = rules.check_place(details.location, details.join_url)
    description = rules.check_description(details.description)
    title = rules.check_title(details.title)
    capacity = rules.check_capacity(details.capacity)

    changes: set[str] = set()
    if (times.starts_at, times.ends_at) != (event.starts_at, event.ends_at):
        changes.add("time")
    if (location, join_url) != (event.location, event.join_url):
        changes.add("place")
    if capacity != event.capacity:
        changes.add("capacity")
    if (
        title != event.title
        or description != event.description
        or times.rsvp_deadline != event.rsvp_deadline
        or details.timezone != event.timezone
        or community is not event.community
    ):
        changes.add("details")
    if not changes:
        return event

    if description != event.description:
        event.description_html = markup.render(description)
    event.title = title
    event.description = description
    event.community = community
    event.starts_at, event.ends_at = times.starts_at, times.ends_at
    event.rsvp_deadline = times.rsvp_deadline
    event.timezone = details.timezone
    event.location, event.join_url = location, join_url
    event.capacity = capacity
    event.sequence += 1
    event.updated_at = utcnow()
    db.session.flush()
    audit.record(
        actor, "event.edit", ("event", event.id), community=community, changes=sorted(changes)
    )
    signals.event_changed.emit(event=event, changes=frozenset(changes), actor=actor)
    return event


def cancel_event(actor: User, event_id: int, reason: str = "") -> Event:
    """Call an event off (its organisers). It stays listed, marked cancelled with the
    reason; calendars get STATUS:CANCELLED (the SEQUENCE is raised), and those who RSVPed
    are told (the receivers of `event_changed` with changes={"cancelled"})."""
    event = access.access_event(actor, event_id, need="organise")
    if event.is_cancelled:
        raise Invalid("This event is already cancelled.")
    if event.community is not None:
        community_access.check_open(event.community)
    if event.ends_at <= utcnow():
        raise Invalid("This event has already ended: there is nothing left to cancel.")
    event.cancel_reason = rules.check_cancel_reason(reason)
    now = utcnow()
    event.cancelled_at = now
    event.sequence += 1
    event.updated_at = now
    db.session.flush()
    audit.record(actor, "event.cancel", ("event", event.id), community=event.community)
    signals.event_changed.emit(event=event, changes=frozenset({"cancelled"}), actor=actor)
    return event
