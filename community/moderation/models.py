"""The audit trail of moderator and admin actions."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, Session, mapped_column, object_session, relationship

from ..db import utcnow
from ..extensions import db

if TYPE_CHECKING:  # by name only: importing accounts here would run its views' imports first
    from ..accounts.models import User


class AuditLog(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(60))
    # What the action was done to: a stable kind ("post", "member", "chat_room" …, see
    # wording.py) and the target's id; never a class name, which moves with the code.
    target_kind: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[int | None]
    # The community the action concerns (None: site-wide, such as a suspension).
    community_id: Mapped[int | None] = mapped_column(
        ForeignKey("community.id", ondelete="SET NULL")
    )
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    actor: Mapped[User | None] = relationship("User")

    __table_args__ = (
        Index("ix_audit_log_target", "target_kind", "target_id"),
        # The log's filters, newest first: a community's entries, one person's.
        Index("ix_audit_log_community_created", "community_id", "created_at"),
        Index("ix_audit_log_actor_created", "actor_id", "created_at"),
    )


class AuditLogIsAppendOnly(RuntimeError):
    """Raised on any attempt to change or delete an audit entry through the ORM."""


def _refuse(*_args) -> None:
    raise AuditLogIsAppendOnly("Audit entries are never changed or deleted.")


def _refuse_changes(_mapper, _connection, entry: AuditLog) -> None:
    # before_update also fires for rows merely marked dirty; only a real change is refused.
    session = object_session(entry)
    if session is None or session.is_modified(entry, include_collections=False):
        _refuse()


def _refuse_bulk(state) -> None:
    """`update(AuditLog)` / `delete(AuditLog)` run through the session skip the mapper events.
    (The database's own ON DELETE SET NULL, when a member or community goes, still applies.)"""
    if (state.is_update or state.is_delete) and any(
        mapper.class_ is AuditLog for mapper in state.all_mappers
    ):
        _refuse()


event.listen(AuditLog, "before_update", _refuse_changes)
event.listen(AuditLog, "before_delete", _refuse)
event.listen(Session, "do_orm_execute", _refuse_bulk)


class Flag(db.Model):
    """A member's flag on something they saw: a post, a chat message… (a kind registered in
    flags.py). One per member and item, kept after the decision as the item's history."""

    id: Mapped[int] = mapped_column(primary_key=True)
    target_kind: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[int]
    community_id: Mapped[int | None] = mapped_column(
        ForeignKey("community.id", ondelete="CASCADE"), index=True
    )
    flagger_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(20))  # a key of flags.REASONS
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The moderator's decision on the item, set on every flag it had open then.
    decided_at: Mapped[datetime | None]
    decision: Mapped[str | None] = mapped_column(String(20))  # a key of flags.DECISIONS
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    flagger: Mapped[User] = relationship("User", foreign_keys=[flagger_id])
    decided_by: Mapped[User | None] = relationship("User", foreign_keys=[decided_by_id])

    __table_args__ = (
        UniqueConstraint("flagger_id", "target_kind", "target_id"),
        Index("ix_flag_target", "target_kind", "target_id"),
        Index("ix_flag_open", "decided_at", "community_id"),
    )


class MemberWarning(db.Model):
    """A moderator's warning to a member about something they posted, with a reason: the
    member acknowledges it before they post again."""

    __tablename__ = "member_warning"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id", ondelete="CASCADE"))
    moderator_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # What it is about, as moderation names it (flags.py): its kind, its id, its words then.
    target_kind: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[int]
    about: Mapped[str] = mapped_column(Text)  # "your reply in “Tender scoring”"
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None]

    moderator: Mapped[User | None] = relationship("User", foreign_keys=[moderator_id])

    __table_args__ = (Index("ix_member_warning_open", "user_id", "acknowledged_at"),)
