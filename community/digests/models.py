"""Members' email choices, the communities they leave out of their digest, and the digests
built for them (one row per member and period: never twice).

A choice is stored only when the member made one; otherwise the category's default (see
choices.py) holds, so a new category needs no backfill.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import utcnow
from ..extensions import db

IMMEDIATELY, IN_DIGEST, NEVER = "immediately", "digest", "never"
DELIVERIES = (IMMEDIATELY, IN_DIGEST, NEVER)


class EmailChoice(db.Model):
    """How one member wants one category of notification by email."""

    __tablename__ = "email_choice"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    category: Mapped[str] = mapped_column(String(20), primary_key=True)
    delivery: Mapped[str] = mapped_column(String(12))


class DigestExclusion(db.Model):
    """A community the member left out of their digest (every other one they belong to is in)."""

    __tablename__ = "digest_exclusion"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    community_id: Mapped[int] = mapped_column(
        ForeignKey("community.id", ondelete="CASCADE"), primary_key=True
    )


class Digest(db.Model):
    """One member's digest of one period ("2026-W50" weekly, "2026-12-07" daily, in their
    zone), inserted in the transaction that queues its mail. An empty period still gets its
    row (mail_id None), so it is not looked at again."""

    __tablename__ = "digest"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(12))
    covers_from: Mapped[datetime]
    covers_until: Mapped[datetime]
    items: Mapped[int] = mapped_column(default=0)
    mail_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_mail.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("user_id", "period"),)
