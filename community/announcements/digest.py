"""Announcements in the digest: what "in my digest only" means for them.

A member who chose it gets no email of an announcement's own; their next digest lists the
announcements emailed to their audience since their previous digest (still not withdrawn),
with their whole text. The recent ones are read once per batch of digests; which of them
each member gets costs two queries per chunk of members, and none when there are none.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from ..extensions import db
from .mailbody import mail_html, mail_text
from .models import Announcement

# How far back a digest looks for announcements (a member whose last digest is older gets
# the announcements of this span only).
LOOK_BACK = timedelta(days=31)


@dataclass(frozen=True)
class Emailed:
    """An announcement emailed to its audience, as a digest shows it."""

    id: int
    community_id: int | None
    requested_at: datetime
    title: str
    html: str
    text: str

    def item(self) -> dict:
        return {"title": self.title, "html": self.html, "text": self.text}


def recent(now: datetime) -> list[Emailed]:
    """The announcements emailed in the LOOK_BACK before `now`, not withdrawn, oldest first."""
    rows = db.session.execute(
        select(Announcement.id, Announcement.community_id, Announcement.email_requested_at,
               Announcement.title, Announcement.body_html)
        .where(
            Announcement.email_requested_at >= now - LOOK_BACK,
            Announcement.email_requested_at < now,
            Announcement.withdrawn_at.is_(None),
        )
        .order_by(Announcement.email_requested_at, Announcement.id)
    ).all()  # fmt: skip
    return [
        Emailed(i, c, at, title, mail_html(html), mail_text(html)) for i, c, at, title, html in rows
    ]


def for_members(user_ids, emailed: list[Emailed]) -> dict[int, list[Emailed]]:
    """Of `emailed`, those each member gets in their digest: announcements they chose "in
    my digest only" for, for everyone or one of their communities."""
    if not emailed or not user_ids:
        return {}
    from ..communities.models import Membership
    from ..digests.choices import IN_DIGEST, deliveries_for
    from .recipients import CATEGORY

    wanting = [u for u, d in deliveries_for(user_ids).items() if d[CATEGORY] == IN_DIGEST]
    if not wanting:
        return {}
    communities = {e.community_id for e in emailed if e.community_id is not None}
    joined: dict[int, set[int]] = defaultdict(set)
    if communities:
        rows = db.session.execute(
            select(Membership.user_id, Membership.community_id).where(
                Membership.user_id.in_(wanting), Membership.community_id.in_(communities)
            )
        )
        for user_id, community_id in rows:
            joined[user_id].add(community_id)
    return {
        user_id: [e for e in emailed if e.community_id is None or e.community_id in joined[user_id]]
        for user_id in wanting
    }


def since(emailed: list[Emailed], start: datetime) -> list[dict]:
    """The items of those emailed since `start` (the member's previous digest)."""
    return [e.item() for e in emailed if e.requested_at >= start]
