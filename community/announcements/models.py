"""Announcements: a banner shown between two dates (each member may dismiss it) and, when
asked, a one-off email to the audience, sent through the mail queue."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..communities.models import Community
from ..db import utcnow
from ..extensions import db


class Announcement(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(160))
    body: Mapped[str] = mapped_column(Text, default="")  # Markdown source
    body_html: Mapped[str] = mapped_column(Text, default="")
    # The audience: every member (None) or one community's members.
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id", ondelete="CASCADE"))
    # The banner, shown from–until (UTC); no banner when banner_from is None.
    banner_from: Mapped[datetime | None]
    banner_until: Mapped[datetime | None]
    # The email: asked for at email_requested_at, queued in batches by a job (email_total
    # recipients found, email_queued of them queued so far), done at email_finished_at.
    email_requested_at: Mapped[datetime | None]
    email_total: Mapped[int] = mapped_column(default=0)
    email_queued: Mapped[int] = mapped_column(default=0)
    email_finished_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    community: Mapped[Community | None] = relationship()
    created_by: Mapped[User | None] = relationship()

    __table_args__ = (Index("ix_announcement_banner", "banner_from", "banner_until"),)


class AnnouncementDismissal(db.Model):
    __tablename__ = "announcement_dismissal"

    announcement_id: Mapped[int] = mapped_column(
        ForeignKey("announcement.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AnnouncementMail(db.Model):
    """One recipient's copy: the key makes a rerun of the sending job skip who has one."""

    __tablename__ = "announcement_mail"

    announcement_id: Mapped[int] = mapped_column(
        ForeignKey("announcement.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    mail_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_mail.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
