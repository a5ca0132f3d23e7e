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
from ..errors import Forbidden, NotFound
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
            raise Forbidden("Only admins create network-wide events.")
        return None
    community = db.session.scalar(select(Community).where(Community.slug == slug))
    if community is None or not community_access.can_read(actor, community):
        raise NotFound(f"We could not find the community “{slug[:80]}”.")
    if not access.can_organise(actor, community):
        raise Forbidden("Only this community's moderators can create its events.")
    community_access.check_open(community)
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
