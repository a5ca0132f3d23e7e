"""The site's own settings, kept in one row an admin edits at /admin/settings."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import utcnow
from ..extensions import db

REGISTRATION_MODES = ("open", "approval", "invitation")


class SiteSettings(db.Model):
    __tablename__ = "site_settings"

    id: Mapped[int] = mapped_column(primary_key=True)  # always 1
    site_name: Mapped[str] = mapped_column(String(80), default="Commons")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    # open: anyone may register; approval: an admin approves each new account before it may
    # sign in; invitation: only from an admin's emailed invitation.
    registration_mode: Mapped[str] = mapped_column(String(20), default="open")
    # The network health summary at /health, for funders and members, without signing in.
    health_public: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
