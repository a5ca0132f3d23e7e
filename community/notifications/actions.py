"""In-app notifications: recorded in the transaction of what caused them, counted live."""

from functools import cache

from sqlalchemy import bindparam, func, or_, select, update

from .. import realtime
from ..accounts.models import User
from ..communities.access import readable_by_member_id
from ..communities.models import Community
from ..db import insert_for_session, utcnow
from ..errors import NotFound
from ..extensions import db
from ..ids import is_id
from ..pagination import Page, decode_cursor, page_of
from ..rooms import user_room
from .models import Notification
from .targets import target_kinds

PAGE_SIZE = 30


def notify(
    user_id: int,
    kind: str,
    *,
    actor: User | None,
    community_id: int | None,
    target: tuple[str, int],
    subject: str,
    excerpt: str = "",
    occurrence: str = "",
    emailed: bool = False,
) -> bool:
    """Record a notification for one member (the caller has checked they may see it), once:
    the same kind about the same target (and `occurrence`, for what can happen to a target
    again, such as a second decision on a resource) never notifies a member twice, even when
    two requests race. `emailed`: its domain mailed it already, so the email step leaves it
    alone. False when it had been recorded already."""
    target_kind, target_id = target
    key = ":".join(str(part) for part in (kind, target_kind, target_id, occurrence) if part)
    values = dict(
        user_id=user_id,
        kind=kind,
        actor_id=actor.id if actor else None,
        community_id=community_id,
        target_kind=target_kind,
        target_id=target_id,
        dedupe_key=key[:120],
        subject=subject[:200],
        excerpt=excerpt[:300],
        created_at=utcnow(),
        email_state="sent" if emailed else "pending",
        emailed_at=utcnow() if emailed else None,
    )
    stmt = insert_for_session(Notification).values(**values).on_conflict_do_nothing()
    return db.session.execute(stmt.returning(Notification.id)).first() is not None


def still_visible():
    """A WHERE clause: the notification's community is one its recipient may read, and its
    target is still there and visible to them (each target kind's own rule). The same
    clause serves one member's list and the live counts of many members at once."""
    community = select(Community.id).where(
        Community.id == Notification.community_id,
        readable_by_member_id(Notification.user_id),
    )
    by_kind = [
        (Notification.target_kind == name) & kind.visible() for name, kind in target_kinds().items()
    ]
    return (Notification.community_id.is_(None) | community.exists()) & or_(*by_kind)


def _visible(user: User):
    """The member's notifications that they may still open."""
    return select(Notification).where(Notification.user_id == user.id, still_visible())


def unread_count(user: User) -> int:
    return unread_counts({user.id})[user.id]


def unread_counts(user_ids: set[int]) -> dict[int, int]:
    """Unread counts for several members at once (the header, and live updates after a post)."""
    if not user_ids:
        return {}
    rows = db.session.execute(_unread_statement(tuple(target_kinds())), {"ids": sorted(user_ids)})
    counts = dict(rows.all())
    return {user_id: counts.get(user_id, 0) for user_id in user_ids}


@cache
def _unread_statement(_kinds: tuple[str, ...]):
    """The count's statement, built once per set of target kinds: every signed-in page asks,
    and building the clause (every kind's visibility rule) costs more than running it."""
    return (
        select(Notification.user_id, func.count())
        .where(
            Notification.user_id.in_(bindparam("ids", expanding=True)),
            Notification.read_at.is_(None),
            still_visible(),
        )
        .group_by(Notification.user_id)
    )


def publish_counts(user_ids: set[int]) -> None:
    """Send each member's new unread count to their open tabs, after commit."""
    db.session.flush()
    for user_id, count in unread_counts(user_ids).items():
        realtime.publish("notification.count", {"unread": count}, room=user_room(user_id))


def list_for(user: User, *, after: str | None = None) -> Page:
    """The member's notifications, newest first, keyset-paginated."""
    stmt = _visible(user)
    cursor = decode_cursor(after, (int,))
    if cursor is not None and is_id(cursor[0]):  # else ignored, not an error
        stmt = stmt.where(Notification.id < cursor[0])
    rows = list(db.session.scalars(stmt.order_by(Notification.id.desc()).limit(PAGE_SIZE + 1)))
    return page_of(rows, PAGE_SIZE, lambda n: [n.id])


def open_notification(user: User, notification_id: int) -> Notification:
    """Mark one notification read and return it (its url is where to go). Its recipient."""
    if not is_id(notification_id):
        raise NotFound()
    note = db.session.scalar(_visible(user).where(Notification.id == notification_id))
    if note is None:
        raise NotFound()
    if note.read_at is None:
        note.read_at = utcnow()
        publish_counts({user.id})
    return note


def move_to_community(target_kind: str, target_ids, *, community_id: int) -> None:
    """Notifications about these targets (ids or a select of ids) now belong to another
    community, as when a thread is moved: who may see them follows the new community."""
    db.session.execute(
        update(Notification)
        .where(Notification.target_kind == target_kind, Notification.target_id.in_(target_ids))
        .values(community_id=community_id)
        .execution_options(synchronize_session=False)
    )


def mark_all_read(user: User) -> None:
    """Mark every notification of the member read. The member."""
    db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    realtime.publish("notification.count", {"unread": 0}, room=user_room(user.id))
