"""Reads of events: the upcoming and past lists of /events (keyset-paginated, with the
community and "mine" filters), and the next few events for a community page and the home
page. Every read keeps to `access.visible_filter`: a members-only community's events never
reach an outsider."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, tuple_

from ..accounts.models import User
from ..communities.models import Community
from ..db import utcnow
from ..extensions import db
from ..ids import as_id
from ..pagination import Page, decode_cursor, page_of
from . import access
from .models import ATTENDING, Event, EventRsvp

UPCOMING_PAGE_SIZE = 30
PAST_PAGE_SIZE = 20
# An RSVP that makes an event "mine": the member means to come, or is in line to.
MINE_STATUSES = ATTENDING


@dataclass
class Filters:
    community_id: int | None = None
    mine_of: int | None = None  # a member's id: only the events they RSVPed


def _listed(user: User | None, filters: Filters):
    stmt = select(Event).where(access.visible_filter(user))
    if filters.community_id is not None:
        stmt = stmt.where(Event.community_id == filters.community_id)
    if filters.mine_of is not None:
        stmt = stmt.where(
            Event.id.in_(
                select(EventRsvp.event_id).where(
                    EventRsvp.user_id == filters.mine_of, EventRsvp.status.in_(MINE_STATUSES)
                )
            )
        )
    return stmt


def _cursor(after: str | None) -> tuple[datetime, int] | None:
    values = decode_cursor(after, (str, int))
    if values is None or as_id(values[1]) is None:
        return None
    try:
        moment = datetime.fromisoformat(values[0])
    except ValueError:
        return None
    return (moment, values[1]) if moment.tzinfo is None else None  # stored times are naive


def _key(event: Event) -> list:
    return [event.starts_at.isoformat(), event.id]


def upcoming(user: User | None, filters: Filters, *, after: str | None = None) -> Page:
    """Events not yet over (one still running counts), soonest first."""
    stmt = _listed(user, filters).where(Event.ends_at > utcnow())
    cursor = _cursor(after)
    if cursor is not None:
        stmt = stmt.where(tuple_(Event.starts_at, Event.id) > tuple_(*cursor))
    stmt = stmt.order_by(Event.starts_at, Event.id).limit(UPCOMING_PAGE_SIZE + 1)
    return page_of(list(db.session.scalars(stmt)), UPCOMING_PAGE_SIZE, _key)


def past(user: User | None, filters: Filters, *, after: str | None = None) -> Page:
    """Events that have ended, the most recent first."""
    stmt = _listed(user, filters).where(Event.ends_at <= utcnow())
    cursor = _cursor(after)
    if cursor is not None:
        stmt = stmt.where(tuple_(Event.starts_at, Event.id) < tuple_(*cursor))
    stmt = stmt.order_by(Event.starts_at.desc(), Event.id.desc()).limit(PAST_PAGE_SIZE + 1)
    return page_of(list(db.session.scalars(stmt)), PAST_PAGE_SIZE, _key)


def next_in_community(community: Community, limit: int = 3) -> list[Event]:
    """A community's next events, not those called off nor hidden (the community page; its
    reader may read the community, so may see its events): one query on the starts_at index."""
    stmt = (
        select(Event)
        .where(
            Event.community_id == community.id,
            Event.in_view(),
            Event.ends_at > utcnow(),
            Event.cancelled_at.is_(None),
        )
        .order_by(Event.starts_at, Event.id)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def next_for(user: User | None, limit: int = 3) -> list[Event]:
    """The next events `user` may see, not those called off (the home page): one query.
    (/events lists cancelled ones too, marked.)"""
    stmt = (
        select(Event)
        .where(access.visible_filter(user), Event.ends_at > utcnow(), Event.cancelled_at.is_(None))
        .order_by(Event.starts_at, Event.id)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))
