"""In-app notifications: recorded in the transaction of what caused them, counted live."""

from sqlalchemy import func, select, update

from .. import realtime
from ..accounts.models import User
from ..communities.models import Community
from ..communities.queries import readable_filter
from ..db import utcnow
from ..errors import NotFound
from ..extensions import db
from ..pagination import Page, decode_cursor, page_of
from .models import Notification

PAGE_SIZE = 30


def notify(
    user_id: int,
    kind: str,
    *,
    actor: User | None,
    community_id: int | None,
    subject: str,
    url: str,
    excerpt: str = "",
    post_id: int | None = None,
) -> Notification:
    """Record a notification for one member (the caller has checked they may see it)."""
    note = Notification(
        user_id=user_id,
        kind=kind,
        actor_id=actor.id if actor else None,
        community_id=community_id,
        post_id=post_id,
        subject=subject[:200],
        excerpt=excerpt[:300],
        url=url,
    )
    db.session.add(note)
    return note


def _visible(user: User):
    """Notifications whose community the member can still read."""
    return (
        select(Notification)
        .outerjoin(Community, Community.id == Notification.community_id)
        .where(Notification.user_id == user.id)
        .where((Notification.community_id.is_(None)) | readable_filter(user))
    )


def unread_count(user: User) -> int:
    stmt = _visible(user).where(Notification.read_at.is_(None))
    return db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def unread_counts(user_ids: set[int]) -> dict[int, int]:
    """Unread counts for several members at once (for live updates after a post)."""
    if not user_ids:
        return {}
    rows = db.session.execute(
        select(Notification.user_id, func.count())
        .where(Notification.user_id.in_(user_ids), Notification.read_at.is_(None))
        .group_by(Notification.user_id)
    )
    counts = dict(rows.all())
    return {user_id: counts.get(user_id, 0) for user_id in user_ids}


def publish_counts(user_ids: set[int]) -> None:
    """Send each member's new unread count to their open tabs, after commit."""
    db.session.flush()
    for user_id, count in unread_counts(user_ids).items():
        realtime.publish("notification.count", {"unread": count}, room=f"user:{user_id}")


def list_for(user: User, *, after: str | None = None) -> Page:
    """The member's notifications, newest first, keyset-paginated."""
    stmt = _visible(user)
    cursor = decode_cursor(after, (int,))
    if cursor is not None:
        stmt = stmt.where(Notification.id < cursor[0])
    rows = list(db.session.scalars(stmt.order_by(Notification.id.desc()).limit(PAGE_SIZE + 1)))
    return page_of(rows, PAGE_SIZE, lambda n: [n.id])


def open_notification(user: User, notification_id: int) -> Notification:
    """Mark one notification read and return it (its url is where to go)."""
    note = db.session.scalar(_visible(user).where(Notification.id == notification_id))
    if note is None:
        raise NotFound()
    if note.read_at is None:
        note.read_at = utcnow()
        publish_counts({user.id})
    return note


def mark_all_read(user: User) -> None:
    db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    realtime.publish("notification.count", {"unread": 0}, room=f"user:{user.id}")
