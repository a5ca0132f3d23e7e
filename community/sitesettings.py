"""The site's own settings (name, contact address, registration mode, the public health
summary), kept in one row that admins edit at /admin/settings and read once per request.

A module of its own, importing no domain: accounts, mail and every page read it."""

from datetime import datetime

from flask import g
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from .db import utcnow
from .extensions import db

REGISTRATION_MODES = ("open", "approval", "invitation")
SETTINGS_ID = 1


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


def current_settings() -> SiteSettings:
    """The settings in force. The row is made by the migration; where it is missing (a
    database emptied by hand, the tests) the defaults hold until an admin saves."""
    cached = g.get("site_settings")
    if cached is None:
        cached = db.session.get(SiteSettings, SETTINGS_ID) or _defaults()
        g.site_settings = cached
    return cached


def _defaults() -> SiteSettings:
    return SiteSettings(
        id=SETTINGS_ID,
        site_name="Commons",
        contact_email="",
        registration_mode="open",
        health_public=False,
    )


def settings_for_update() -> SiteSettings:
    """The row to change inside an action's transaction, made when missing."""
    row = db.session.get(SiteSettings, SETTINGS_ID, with_for_update=True)
    if row is None:
        row = _defaults()
        db.session.add(row)
    g.site_settings = row
    return row


def site_name() -> str:
    return current_settings().site_name


def contact_address() -> str:
    return current_settings().contact_email


def update_settings(actor, *, site_name: str, contact_email: str, registration_mode: str,
                    health_public: bool):  # fmt: skip
    """Change the settings (admins only), auditing what changed."""
    from .accounts.rules import check_email, one_line, require_admin
    from .errors import Invalid
    from .moderation.audit import record

    require_admin(actor)
    name = one_line(site_name or "")
    if not name or len(name) > 80:
        raise Invalid("The site needs a name of at most 80 characters.", field="site_name")
    contact = check_email(contact_email, "contact_email") if (contact_email or "").strip() else ""
    if registration_mode not in REGISTRATION_MODES:
        raise Invalid("Choose who may join.", field="registration_mode")
    row = settings_for_update()
    wanted = dict(site_name=name, contact_email=contact, registration_mode=registration_mode,
                  health_public=bool(health_public))  # fmt: skip
    changed = {key: value for key, value in wanted.items() if getattr(row, key) != value}
    if not changed:
        return row
    for key, value in changed.items():
        setattr(row, key, value)
    row.updated_at = utcnow()
    row.updated_by_id = actor.id
    record(actor, "site.settings", ("site", None), **changed)
    return row
