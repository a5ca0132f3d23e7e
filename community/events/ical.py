"""Events as iCalendar (RFC 5545): the network's public feed, a member's private feed and
one event's `.ics`, built with the `icalendar` package (which does the text escaping and
line folding).

Times are written in UTC (`…Z`), which every calendar program reads correctly and shows in
its own zone; an event typed as 10:00 London time is 09:00Z in July and 10:00Z in January.
Each event keeps one UID for its whole life (`event-<id>@<site host>`), its SEQUENCE is the
event's own (raised on every change), and a cancelled event stays in the feed with
STATUS:CANCELLED so calendars remove it rather than keep a stale copy.

An event hidden by moderation simply leaves the feeds (access.visible_filter), with no
CANCELLED entry: a subscribed calendar shows what the feed holds now, so its copy goes at
the next refresh; a CANCELLED entry would tell subscribers that an event which may yet be
restored is off, and would carry the words that were hidden. Restored, it comes back with
the same UID.

An online event's join link is for members, as on the event page: it is written (LOCATION,
"Join online:") only in a member's private feed and in a signed-in member's download; the
public feed and an anonymous download say "Online".
"""

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import icalendar
from flask import current_app
from sqlalchemy import or_, select

from .. import markup
from ..accounts.models import User
from ..communities.models import Membership
from ..db import utcnow
from ..extensions import db
from . import access
from .links import event_url
from .models import ATTENDING, Event, EventRsvp

PRODID = "-//Commons//Events//EN"
# How far back a feed reaches: calendars keep what they fetched before, and a feed that
# grew with the whole history would cost more each time it is fetched.
PAST_DAYS = 90
# The most events in one feed: the upcoming first, then the past ones that still fit.
FEED_LIMIT = 500
# How often calendar programs should fetch a feed again (they may go slower).
REFRESH = timedelta(hours=1)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC)


def site_host() -> str:
    return urlsplit(current_app.config["SITE_URL"]).hostname or "localhost"


def event_uid(event_id: int) -> str:
    """The event's UID: the same in every feed and download, across every edit."""
    return f"event-{event_id}@{site_host()}"


def _description(event: Event, *, with_join: bool) -> str:
    parts = []
    if event.is_cancelled:
        reason = f": {event.cancel_reason}" if event.cancel_reason else "."
        parts.append(f"Cancelled{reason}")
    # Paragraph by paragraph, so the breaks survive (plain_text makes one line of its text).
    for paragraph in re.split(r"\n\s*\n", event.description):
        text = markup.plain_text(paragraph, length=len(paragraph) + 1)
        if text:
            parts.append(text)
    if with_join and event.join_url and event.location:
        parts.append(f"Join online: {event.join_url}")
    parts.append(f"Details and RSVP: {event_url(event.id, absolute=True)}")
    return "\n\n".join(parts)


def vevent(event: Event, *, stamp: datetime, with_join: bool = False) -> icalendar.Event:
    """One event as a VEVENT (`stamp`: naive UTC, when this calendar was made); its join
    link only `with_join` (for a member)."""
    item = icalendar.Event()
    item.add("uid", event_uid(event.id))
    item.add("dtstamp", _utc(stamp))
    item.add("dtstart", _utc(event.starts_at))
    item.add("dtend", _utc(event.ends_at))
    item.add("summary", event.title)
    item.add("description", _description(event, with_join=with_join))
    where = event.location or (event.join_url if with_join else None) or event.where
    item.add("location", where)
    item.add("url", event_url(event.id, absolute=True))
    item.add("sequence", event.sequence)
    item.add("status", "CANCELLED" if event.is_cancelled else "CONFIRMED")
    item.add("created", _utc(event.created_at))
    modified = max(filter(None, (event.updated_at, event.cancelled_at, event.created_at)))
    item.add("last-modified", _utc(modified))
    if event.community is not None:
        item.add("categories", [event.community.name])
    return item


def calendar(
    name: str, events: Iterable[Event], *, feed: bool = True, with_join: bool = False
) -> bytes:
    """A whole VCALENDAR named `name` (X-WR-CALNAME), as the bytes to serve; the join links
    only `with_join` (a member's own feed or download)."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    if feed:
        cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", icalendar.vDuration(REFRESH))
    stamp = utcnow()
    for event in events:
        cal.add_component(vevent(event, stamp=stamp, with_join=with_join))
    return cal.to_ical()


def _window(stmt) -> list[Event]:
    """The events of `stmt` a feed carries, in order of start: those not yet over first (the
    soonest, up to FEED_LIMIT), then as many of the last PAST_DAYS days' as still fit (the
    most recent), so a full feed never drops what is coming."""
    now = utcnow()
    upcoming = list(
        db.session.scalars(
            stmt.where(Event.ends_at > now).order_by(Event.starts_at, Event.id).limit(FEED_LIMIT)
        )
    )
    room = FEED_LIMIT - len(upcoming)
    past = []
    if room > 0:
        since = now - timedelta(days=PAST_DAYS)
        past = list(
            db.session.scalars(
                stmt.where(Event.ends_at >= since, Event.ends_at <= now)
                .order_by(Event.starts_at.desc(), Event.id.desc())
                .limit(room)
            )
        )
    return sorted(past + upcoming, key=lambda e: (e.starts_at, e.id))


def public_events() -> list[Event]:
    """The network's public events: network-wide ones and those of public communities
    (what an anonymous reader may see), upcoming and of the last `PAST_DAYS` days."""
    return _window(select(Event).where(access.visible_filter(None)))


def member_events(user: User) -> list[Event]:
    """A member's own feed: the events of their communities and the network-wide ones, and
    whatever they said going, maybe or joined the waiting list for; only what they may
    see (an event of a community they have left, if members-only, drops out)."""
    theirs = select(Membership.community_id).where(Membership.user_id == user.id)
    answered = select(EventRsvp.event_id).where(
        EventRsvp.user_id == user.id, EventRsvp.status.in_(ATTENDING)
    )
    stmt = select(Event).where(
        access.visible_to_member_id(user.id),
        or_(
            Event.community_id.is_(None),
            Event.community_id.in_(theirs),
            Event.id.in_(answered),
        ),
    )
    return _window(stmt)
