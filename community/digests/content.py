"""What a digest holds: per community, new threads, the most active threads, newly
published resources and upcoming events; for the member, what they chose to get in the
digest (unread mentions, replies, decisions…) and network-wide events.

What is the same for everyone reading a community over the same window is built once per
batch (`Shared`), not once per member; the member's part is filtered by what they may see
at the moment of building (their communities, the notifications still visible to them).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select

from ..events.links import event_url
from ..events.models import Event
from ..extensions import db
from ..links import absolute_path, absolute_url
from ..resources.models import Resource, ResourceCommunity
from ..threads.models import Post, Thread
from ..web import TIME_FORMAT, plural, to_local

CAP = 5  # items per section; the rest are counted and linked ("and 4 more")
FOR_YOU_CAP = 10
EVENTS_AHEAD = timedelta(days=14)


@dataclass
class Section:
    title: str
    items: list[dict]
    more: int = 0
    more_url: str = ""

    @property
    def total(self) -> int:
        return len(self.items) + self.more


@dataclass
class CommunityPart:
    id: int
    name: str
    url: str
    sections: list[Section]

    @property
    def total(self) -> int:
        return sum(s.total for s in self.sections)


def _no_announcements() -> Section:
    return Section("From the site's admins", [])


@dataclass
class Digest:
    for_you: Section
    communities: list[CommunityPart]
    network_events: Section
    included_notification_ids: list[int] = field(default_factory=list)
    # Announcements emailed since the last digest, for a member who gets them here only
    # (community/announcements/digest.py): items with their title, html and text.
    announcements: Section = field(default_factory=_no_announcements)

    @property
    def total(self) -> int:
        return (
            self.for_you.total
            + self.network_events.total
            + sum(c.total for c in self.communities)
            + self.announcements.total
        )


class Shared:
    """The community sections of one batch, built once per (community, window)."""

    def __init__(self, now: datetime):
        self.now = now
        self._parts: dict[tuple, CommunityPart] = {}
        self._events: dict[int | None, list[tuple]] = {}
        self._announcements: list | None = None

    def announcements(self) -> list:
        """The announcements emailed lately (once per batch), for those who get them here."""
        if self._announcements is None:
            from ..announcements.digest import recent

            self._announcements = recent(self.now)
        return self._announcements

    def community(self, community, since: datetime) -> CommunityPart:
        key = (community.id, since)
        if key not in self._parts:
            self._parts[key] = _community_part(community, since, self.now)
        return self._parts[key]

    def events(self, community_id: int | None) -> list[tuple]:
        """Upcoming events (not cancelled, nor hidden by moderation) of a community, or
        network-wide ones (None), as plain rows (id, title, starts_at): they outlive the
        batch's commits unexpired."""
        if community_id not in self._events:
            stmt = (
                select(Event.id, Event.title, Event.starts_at)
                .where(
                    Event.community_id.is_(None)
                    if community_id is None
                    else Event.community_id == community_id,
                    Event.cancelled_at.is_(None),
                    Event.in_view(),
                    Event.ends_at > self.now,
                    Event.starts_at < self.now + EVENTS_AHEAD,
                )
                .order_by(Event.starts_at, Event.id)
                .limit(CAP + 20)
            )
            self._events[community_id] = [tuple(row) for row in db.session.execute(stmt)]
        return self._events[community_id]


def _thread_item(thread_id: int, title: str, meta: str) -> dict:
    return {"title": title, "url": absolute_url("threads.show", thread_id=thread_id), "meta": meta}


def _new_threads(community, since, until, more_url: str) -> Section:
    window = (
        Thread.community_id == community.id,
        Thread.in_view(),
        Thread.created_at >= since,
        Thread.created_at < until,
    )
    rows = db.session.execute(
        select(Thread.id, Thread.title, Thread.post_count)
        .where(*window)
        .order_by(Thread.post_count.desc(), Thread.id.desc())
        .limit(CAP)
    ).all()
    count = db.session.scalar(select(func.count()).select_from(Thread).where(*window)) or 0
    items = [_thread_item(i, t, plural(max(n - 1, 0), "reply", "replies")) for i, t, n in rows]
    return Section("New threads", items, count - len(items), more_url)


def _active_threads(community, since, until, more_url: str) -> Section:
    """Older threads with the most new posts in the window."""
    new_posts = func.count(Post.id).label("new_posts")
    active = (
        select(Thread.id, Thread.title, new_posts)
        .join(Post, Post.thread_id == Thread.id)
        .where(
            Thread.community_id == community.id,
            Thread.in_view(),
            Thread.created_at < since,
            Post.in_view(),
            Post.created_at >= since,
            Post.created_at < until,
        )
        .group_by(Thread.id, Thread.title)
    )
    rows = db.session.execute(active.order_by(new_posts.desc(), Thread.id.desc()).limit(CAP)).all()
    count = db.session.scalar(select(func.count()).select_from(active.subquery())) or 0
    items = [_thread_item(i, t, plural(n, "new post")) for i, t, n in rows]
    return Section("Busiest threads", items, count - len(items), more_url)


def _resources(community, since, until) -> Section:
    window = (
        ResourceCommunity.community_id == community.id,
        Resource.in_view(),
        Resource.published_at >= since,
        Resource.published_at < until,
    )
    base = select(Resource).join(ResourceCommunity, ResourceCommunity.resource_id == Resource.id)
    rows = db.session.scalars(
        base.where(*window)
        .order_by(Resource.featured.desc(), Resource.download_count.desc(), Resource.id.desc())
        .limit(CAP)
    ).all()
    count = db.session.scalar(
        select(func.count())
        .select_from(Resource)
        .join(ResourceCommunity, ResourceCommunity.resource_id == Resource.id)
        .where(*window)
    )
    items = [
        {
            "title": r.title,
            "url": absolute_url("resources.show", resource_id=r.id),
            "meta": "Featured" if r.featured else "",
        }
        for r in rows
    ]
    more_url = absolute_url("resources.index", community=community.slug)
    return Section("New resources", items, (count or 0) - len(items), more_url)


def _community_part(community, since, until) -> CommunityPart:
    url = absolute_url("communities.show", slug=community.slug)
    sections = [
        _new_threads(community, since, until, url),
        _active_threads(community, since, until, url),
        _resources(community, since, until),
    ]
    return CommunityPart(community.id, community.name, url, sections)


def event_section(title: str, events: list[tuple], timezone: str, more_url: str) -> Section:
    items = [
        {
            "title": event_title,
            "url": event_url(event_id, absolute=True),
            "meta": to_local(starts_at, timezone or "UTC").strftime(TIME_FORMAT),
        }
        for event_id, event_title, starts_at in events
    ]
    shown = items[:CAP]
    return Section(title, shown, len(items) - len(shown), more_url)


def for_you(notes: list, item) -> Section:
    shown = notes[:FOR_YOU_CAP]
    return Section(
        "For you",
        [item(n) for n in shown],
        len(notes) - len(shown),
        absolute_path("/notifications"),
    )
