"""Atom feeds of what is new: the whole site's public communities, or one community.

Threads are this module's own entries; other domains add theirs (events) as an entry source
(community/feed_entries.py), so one feed carries them all, newest first, and this module names
no other domain.
"""

import re

from flask import Response, current_app, render_template
from sqlalchemy import select

from ..communities import access as community_access
from ..communities.access import readable_filter
from ..communities.models import Community
from ..extensions import db
from ..feed_entries import FeedEntry, entries_from_sources
from ..links import absolute_url
from ..sitesettings import site_name
from . import bp
from .models import Post, Thread

FEED_SIZE = 30


def _thread_entries(community: Community | None, most: int) -> list[FeedEntry]:
    stmt = (
        select(Thread, Post)
        .join(Community, Community.id == Thread.community_id)
        .outerjoin(Post, (Post.thread_id == Thread.id) & (Post.number == 1))
        .where(
            Thread.in_view(),
            readable_filter(None),  # feeds are read anonymously
        )
        .order_by(Thread.last_post_at.desc(), Thread.id.desc())
        .limit(most)
    )
    if community is not None:
        stmt = stmt.where(Thread.community_id == community.id)
    return [
        FeedEntry(
            url=absolute_url("threads.show", thread_id=thread.id),
            title=thread.title,
            published=thread.created_at,
            updated=thread.last_post_at,
            author=thread.author.display_name if thread.author else "A former member",
            categories=((thread.community.slug, thread.community.name),),
            content_html=first.html if first and not first.deleted_at else None,
        )
        for thread, first in db.session.execute(stmt).all()
    ]


def _entries(community: Community | None) -> list[FeedEntry]:
    entries = _thread_entries(community, FEED_SIZE) + entries_from_sources(community, FEED_SIZE)
    # Stable: among equal times, threads first, then each source in its order.
    entries.sort(key=lambda e: e.updated, reverse=True)
    return entries[:FEED_SIZE]


def _atom(title: str, self_url: str, page_url: str, entries: list[FeedEntry]) -> Response:
    # xml:base: the site-relative links in posts (threads, mentions) resolve to SITE_URL.
    base_url = current_app.config["SITE_URL"].rstrip("/") + "/"
    body = render_template(
        "threads/feed.xml", title=title, self_url=self_url, page_url=page_url, entries=entries,
        base_url=base_url,
    )  # fmt: skip
    return Response(body, mimetype="application/atom+xml")


@bp.get("/feeds/latest.atom")
def latest_feed():
    return _atom(
        f"{site_name()}: latest discussions",
        absolute_url("threads.latest_feed"),
        absolute_url("communities.home"),
        _entries(None),
    )


@bp.get("/c/<slug>/feed.atom")
def community_feed(slug: str):
    community = community_access.access_community(None, slug)  # public communities only
    return _atom(
        f"{site_name()}: {community.name}",
        absolute_url("threads.community_feed", slug=slug),
        absolute_url("communities.show", slug=slug),
        _entries(community),
    )


@bp.app_template_filter("atom_date")
def atom_date(value) -> str:
    """RFC 3339 in UTC, as Atom wants it; stored times are naive UTC."""
    from ..db import utcnow

    return (value or utcnow()).strftime("%Y-%m-%dT%H:%M:%SZ")


# Characters XML 1.0 does not allow, even escaped: one in a title or post would make the whole
# feed unreadable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@bp.app_template_filter("xml_text")
def xml_text(value) -> str:
    return _NOT_XML.sub("", str(value or ""))
