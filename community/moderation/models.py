"""The audit trail of moderator and admin actions."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..db import utcnow
from ..extensions import db


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

    actor: Mapped[User | None] = relationship()

    __table_args__ = (Index("ix_audit_log_target", "target_kind", "target_id"),)
