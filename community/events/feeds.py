"""Events in the site's Atom feeds (threads/feeds.py): each community's feed carries its new
events, the site-wide feed those of the public communities and the network-wide ones.

An entry says when the event is, in UTC and in the event's own time zone (named), and where;
its link is the event's page. A cancelled event stays in, its title marked "Cancelled:", so
a reader who saw it come in learns that it will not happen. Only what an anonymous reader may
see goes in (access.visible_filter(None)): a members-only community's events never do.
"""

from datetime import datetime

from markupsafe import Markup
from sqlalchemy import select

from ..communities.models import Community
from ..extensions import db
from ..feed_entries import FeedEntry, register_entry_source
from . import access, bp
from .links import event_url
from .models import Event
from .rules import to_local
from .searchable import CANCELLED

FORMAT_DAY = "%A %-d %B %Y"


def _span(starts: datetime, ends: datetime, zone_label: str) -> str:
    """Like "Monday 14 December 2026, 10:00 to 12:00 GMT" (with the end's day when it differs)."""
    if starts.date() == ends.date():
        return f"{starts:{FORMAT_DAY}}, {starts:%H:%M} to {ends:%H:%M} {zone_label}"
    return f"{starts:{FORMAT_DAY}} {starts:%H:%M} to {ends:{FORMAT_DAY}} {ends:%H:%M} {zone_label}"


def when_text(event: Event) -> str:
    """When the event is, in its own zone (named) and in UTC."""
    starts, ends = (
        to_local(event.starts_at, event.timezone),
        to_local(event.ends_at, event.timezone),
    )
    local = _span(starts, ends, f"{event.timezone} ({starts.tzname()})")
    if event.timezone == "UTC":
        return local
    return f"{local}; {_span(event.starts_at, event.ends_at, 'UTC')}"


def entry_content(event: Event) -> str:
    """The entry's HTML: when, where, a cancellation, then the description as rendered."""
    parts = []
    if event.is_cancelled:
        reason = f" {event.cancel_reason}" if event.cancel_reason else ""
        parts.append(Markup("<p><strong>Cancelled.</strong>{}</p>").format(reason))
    parts.append(Markup("<p><strong>When:</strong> {}</p>").format(when_text(event)))
    if event.where:
        parts.append(Markup("<p><strong>Where:</strong> {}</p>").format(event.where))
    # The stored description HTML is sanitised when the event is saved (markup.render).
    parts.append(Markup(event.description_html or ""))  # noqa: S704
    return str(Markup("\n").join(parts))


def event_entries(community: Community | None, most: int) -> list[FeedEntry]:
    """The newest events an anonymous reader may see: of `community`, or (None) all."""
    stmt = (
        select(Event)
        .where(access.visible_filter(None))
        .order_by(Event.updated_at.desc(), Event.id.desc())
        .limit(most)
    )
    if community is not None:
        stmt = stmt.where(Event.community_id == community.id)
    entries = []
    for event in db.session.scalars(stmt):
        categories = [("event", "Event")]
        if event.community is not None:
            categories.insert(0, (event.community.slug, event.community.name))
        entries.append(
            FeedEntry(
                url=event_url(event.id, absolute=True),
                title=f"{CANCELLED}{event.title}" if event.is_cancelled else event.title,
                published=event.created_at,
                updated=max(event.updated_at, event.created_at),
                author=event.organiser.display_name if event.organiser else "A former member",
                categories=tuple(categories),
                content_html=entry_content(event),
            )
        )
    return entries


@bp.record_once
def _register_feed_source(state) -> None:
    register_entry_source(state.app, "event", event_entries)
