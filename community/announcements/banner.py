"""The banner on every page: the announcements showing now that are for the reader.

Every page asks, so the asking is cheap. Each process keeps the announcements whose banner
has not ended yet (a handful) and reads them again when the site has changed, in any process
(community/sitecache.py: a change to an announcement's banner counts), and when a banner it
holds starts or ends. A page then costs no query of its own when nothing is showing, nor for
a signed-out visitor (who sees the announcements for everyone); a signed-in member's page
costs one query on primary keys: which of the showing ones are for them and not dismissed.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from flask import g
from sqlalchemy import exists, or_, select
from sqlalchemy.exc import SQLAlchemyError

from .. import sitecache
from ..db import utcnow
from ..extensions import db
from .models import Announcement, AnnouncementDismissal

log = logging.getLogger(__name__)
HELD_MAX = 50  # banners not ended yet that a process holds (there are a few at a time)
# What a banner shows, and when: a change to any of these is a change of the site.
sitecache.watch(
    Announcement,
    ("title", "body_html", "community_id", "banner_from", "banner_until", "withdrawn_at"),
)


@dataclass(frozen=True)
class Banner:
    """An announcement as the banner shows it: plain values, safe to share between requests."""

    id: int
    title: str
    body_html: str
    community_id: int | None
    starts: datetime
    ends: datetime


@dataclass(frozen=True)
class _Held:
    banners: tuple[Banner, ...]
    good_until: datetime | None  # read again from then on (a banner starts or ends)


def _load(now: datetime) -> _Held:
    rows = db.session.execute(
        select(
            Announcement.id, Announcement.title, Announcement.body_html,
            Announcement.community_id, Announcement.banner_from, Announcement.banner_until,
        )
        .where(
            Announcement.banner_from.is_not(None),
            Announcement.banner_until > now,
            Announcement.withdrawn_at.is_(None),
        )
        .order_by(Announcement.banner_from, Announcement.id)
        .limit(HELD_MAX)
    ).all()  # fmt: skip
    banners = tuple(Banner(*row) for row in rows)
    changes = [b.starts for b in banners if b.starts > now] + [b.ends for b in banners]
    return _Held(banners, min(changes, default=None))


def _good(held: _Held, now: datetime) -> bool:
    return held.good_until is None or now < held.good_until


def showing(now: datetime | None = None) -> list[Banner]:
    """Every banner showing now (for whichever audience), newest first."""
    now = now or utcnow()
    held = sitecache.held("banners", lambda: _load(now), lambda held: _good(held, now))
    shown = [b for b in held.banners if b.starts <= now < b.ends]
    return sorted(shown, key=lambda b: (b.starts, b.id), reverse=True)


def for_reader(user) -> list[Banner]:
    """The banners showing now for `user` (a User, the anonymous user or None): for a
    signed-out visitor those for everyone; for a member those for everyone or one of their
    communities, less those they dismissed. Once per request."""
    cached = g.get("_announcement_banners")
    if cached is not None:
        return cached
    try:
        banners = showing()
        if not (user is not None and user.is_authenticated):
            result = [b for b in banners if b.community_id is None]
        elif not banners:
            result = []
        else:
            result = _of_member(user.id, banners)
    except SQLAlchemyError:
        # The banner is not worth the page: an error page shown because the database is
        # failing must still render.
        log.exception("the announcements' banner could not be read")
        result = []
    g._announcement_banners = result
    return result


def _of_member(user_id: int, banners: list[Banner]) -> list[Banner]:
    from ..communities.models import Membership

    member = exists().where(
        Membership.user_id == user_id, Membership.community_id == Announcement.community_id
    )
    dismissed = exists().where(
        AnnouncementDismissal.announcement_id == Announcement.id,
        AnnouncementDismissal.user_id == user_id,
    )
    keep = set(
        db.session.scalars(
            select(Announcement.id).where(
                Announcement.id.in_([b.id for b in banners]),
                Announcement.withdrawn_at.is_(None),  # by another process, since it was read
                or_(Announcement.community_id.is_(None), member),
                ~dismissed,
            )
        )
    )
    return [b for b in banners if b.id in keep]
