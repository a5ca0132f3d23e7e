"""In-app notifications, about any target a domain registered (see targets.py).

A notification carries what the list needs to show it (subject, plain-text excerpt), the
target it is about (kind and id: its link is built from it when opened), the community it
belongs to (so the list can hide what the reader may no longer see, e.g. a thread moved into
a members-only community), a de-duplication key unique per recipient (the same occurrence
never notifies a member twice, whichever path raced), and its email state for the mail
step: "pending" until a mailer claims it, then "sent" or "skipped".
"""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..db import utcnow
from ..extensions import db


class Notification(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # reply, mention, …
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id", ondelete="CASCADE"))
    target_kind: Mapped[str] = mapped_column(String(20))  # post, chat_message, resource, …
    target_id: Mapped[int]
    dedupe_key: Mapped[str] = mapped_column(String(120))
    subject: Mapped[str] = mapped_column(String(200))
    excerpt: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    email_state: Mapped[str] = mapped_column(String(10), default="pending")
    emailed_at: Mapped[datetime | None]

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id], lazy="joined")

    __table_args__ = (
        Index("ix_notification_user_unread", "user_id", "read_at", "id"),
        Index("ix_notification_target", "target_kind", "target_id"),
        Index("ix_notification_email_state", "email_state", "id"),
        UniqueConstraint("user_id", "dedupe_key"),
    )

    @property
    def phrase(self) -> str:
        """How it reads between its actor and its subject ("mentioned you in")."""
        from .targets import phrase

        return phrase(self.kind)

    @property
    def shown_subject(self) -> str:
        """Its subject as the notice reads it ("“Toolkit”" after "published your resource")."""
        from .targets import shown_subject

        return shown_subject(self.kind, self.subject)

    def actor_name(self, nobody: str = "Someone") -> str:
        """Who acted: the member, what acted for no member ("Members' flags"), or `nobody`
        (a member since removed)."""
        from .targets import system_actor

        if self.actor is not None:
            return self.actor.display_name
        return system_actor(self.kind) or nobody

    @property
    def url(self) -> str | None:
        """Where opening it leads, built from its target (None: the target is gone)."""
        from .targets import target_kind

        kind = target_kind(self.target_kind)
        return kind.link(self.target_id) if kind else None
