"""The audit log as moderators and admins read it: the entries in their scope, filtered by
community, person, kind and date, newest first, a page at a time or all of them (the CSV).

Admins read every entry, site-wide ones (suspensions…) too; a moderator, the entries of the
communities they moderate. The log is only ever read: nothing here or anywhere in the app
changes an entry (models.py refuses it).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload

from ..errors import Forbidden
from ..extensions import db
from ..pagination import Page, decode_cursor, page_of
from . import queue
from .models import AuditLog
from .queries import AuditEntry, worded

if TYPE_CHECKING:
    from ..accounts.models import User

PAGE_SIZE = 50
SITE_WIDE = "site"  # the community filter's value for entries that concern no community
BATCH_SIZE = 500  # rows worded at a time for the CSV


def log_scope(user: User) -> frozenset[int] | None:
    """The communities whose entries `user` reads: None for every entry (an admin), else
    the communities they moderate. Anyone else is refused."""
    if not queue.may_moderate(user):
        raise Forbidden("Only moderators and admins see the audit log.")
    scope = queue.scope(user)
    return None if scope is None else frozenset(scope)


@dataclass(frozen=True)
class LogFilters:
    scope: frozenset[int] | None  # from log_scope: None for every entry
    community_id: int | None = None
    site_wide: bool = False  # only the entries that concern no community
    actor_ids: tuple[int, ...] | None = None
    actions: tuple[str, ...] | None = None
    since: datetime | None = None  # stored (naive UTC) times: since ≤ created_at < until
    until: datetime | None = None


def log_page(filters: LogFilters, *, after: str | None = None, size: int = PAGE_SIZE) -> Page:
    """One page of entries, newest first; `after` is the previous page's next_cursor."""
    stmt = _statement(filters)
    cursor = decode_cursor(after, (str, int))
    seen = _cursor_key(cursor) if cursor else None
    if seen is not None:
        stmt = _older_than(stmt, *seen)
    rows = list(db.session.scalars(stmt.limit(size + 1)))
    page = page_of(rows, size, lambda row: [row.created_at.isoformat(), row.id])
    page.items = worded(page.items)
    return page


def every_entry(filters: LogFilters) -> Iterator[AuditEntry]:
    """Every entry, newest first, read and worded a batch at a time (for the CSV)."""
    stmt = _statement(filters)
    while True:
        rows = list(db.session.scalars(stmt.limit(BATCH_SIZE)))
        yield from worded(rows)
        if len(rows) < BATCH_SIZE:
            return
        stmt = _older_than(_statement(filters), rows[-1].created_at, rows[-1].id)


def people_named(name: str) -> tuple[int, ...]:
    """The ids of the members called `name` (any case, spacing tidied): names repeat."""
    from ..accounts.models import User

    wanted = " ".join(name.split()).lower()
    return tuple(db.session.scalars(select(User.id).where(User.sort_name == wanted)))


def people_in_scope(scope: frozenset[int] | None) -> list[str]:
    """Names to suggest for the person filter: the admins and the scope's moderators now."""
    from ..accounts.models import User
    from ..communities.models import Membership

    moderators = select(Membership.user_id).where(Membership.role == "moderator")
    if scope is not None:
        moderators = moderators.where(Membership.community_id.in_(scope))
    stmt = (
        select(User.display_name)
        .where(or_(User.site_role == "admin", User.id.in_(moderators)))
        .order_by(User.sort_name, User.id)
    )
    return list(dict.fromkeys(db.session.scalars(stmt)))


def _statement(filters: LogFilters):
    stmt = select(AuditLog).options(joinedload(AuditLog.actor))
    if filters.scope is not None:
        stmt = stmt.where(AuditLog.community_id.in_(filters.scope))
    if filters.site_wide:
        stmt = stmt.where(AuditLog.community_id.is_(None))
    elif filters.community_id is not None:
        stmt = stmt.where(AuditLog.community_id == filters.community_id)
    if filters.actor_ids is not None:
        stmt = stmt.where(AuditLog.actor_id.in_(filters.actor_ids))
    if filters.actions is not None:
        stmt = stmt.where(AuditLog.action.in_(filters.actions))
    if filters.since is not None:
        stmt = stmt.where(AuditLog.created_at >= filters.since)
    if filters.until is not None:
        stmt = stmt.where(AuditLog.created_at < filters.until)
    return stmt.order_by(AuditLog.created_at.desc(), AuditLog.id.desc())


def _older_than(stmt, created_at: datetime, entry_id: int):
    return stmt.where(
        or_(
            AuditLog.created_at < created_at,
            and_(AuditLog.created_at == created_at, AuditLog.id < entry_id),
        )
    )


def _cursor_key(cursor: list) -> tuple[datetime, int] | None:
    try:
        created_at = datetime.fromisoformat(cursor[0])
    except ValueError:
        return None
    return (created_at, cursor[1]) if created_at.tzinfo is None else None
