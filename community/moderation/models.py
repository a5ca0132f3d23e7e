"""The audit trail of moderator and admin actions."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

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
        ForeignKey("community.id", ondelete="SET NULL"), index=True
    )
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    actor: Mapped[User | None] = relationship("User")

    __table_args__ = (Index("ix_audit_log_target", "target_kind", "target_id"),)


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
