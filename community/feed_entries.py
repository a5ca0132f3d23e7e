"""What the site's Atom feeds carry: entries from every domain that has news (threads,
events), each domain registering its source with `register_entry_source`, so the feed's
module (threads/feeds.py) names no other domain and no domain imports it. A source gives
the entries an anonymous reader may see: feeds are read by feed readers, without a member's
session. Imports no domain (any domain's module may import this one first).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from flask import Flask, current_app

if TYPE_CHECKING:
    from .communities.models import Community

SOURCES = "commons_feed_sources"  # app.extensions key: {name: EntrySource}


@dataclass(frozen=True)
class FeedEntry:
    url: str  # absolute: the entry's id and its link
    title: str
    published: datetime  # naive UTC
    updated: datetime  # naive UTC: the feed is in this order, newest first
    author: str  # a name
    categories: tuple[tuple[str, str], ...] = ()  # (term, label)
    content_html: str | None = None  # sanitised HTML, written escaped; None: no content


# (community, most) -> at most `most` entries, newest `updated` first: of that community, or
# for the site-wide feed (community None) of every public community and of the whole network.
EntrySource = Callable[["Community | None", int], list[FeedEntry]]


def register_entry_source(app: Flask, name: str, source: EntrySource) -> None:
    """Add `source`'s entries to the site's Atom feeds (its domain calls this once)."""
    sources = app.extensions.setdefault(SOURCES, {})
    if name in sources:
        raise ValueError(f"feed entry source {name!r} is registered twice")
    sources[name] = source


def entries_from_sources(community: "Community | None", most: int) -> list[FeedEntry]:
    """Every registered source's entries, in registration order (not yet sorted)."""
    entries: list[FeedEntry] = []
    for source in current_app.extensions.get(SOURCES, {}).values():
        entries += source(community, most)
    return entries
