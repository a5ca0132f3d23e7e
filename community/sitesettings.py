"""The site's own settings (name, contact address, registration mode, the public health
summary), kept in one row that admins edit at /admin/settings, held by each process until
the site changes (community/sitecache.py).

A module of its own, importing no domain: accounts, mail and every page read it."""

from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from . import sitecache
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


@dataclass(frozen=True)
class Settings:
    """The settings as read: plain values, safe to share between requests (an ORM row
    would outlive its database session)."""

    site_name: str = "Commons"
    contact_email: str = ""
    registration_mode: str = "open"
    health_public: bool = False
    updated_at: datetime | None = None
    updated_by_id: int | None = None


FIELDS = tuple(f.name for f in fields(Settings))


def current_settings() -> Settings:
    """The settings in force. The row is made by the migration; where it is missing (a
    database emptied by hand, the tests) the defaults hold until an admin saves."""
    return sitecache.held("settings", _read)


def _read() -> Settings:
    row = db.session.get(SiteSettings, SETTINGS_ID)
    return Settings(**{name: getattr(row, name) for name in FIELDS}) if row else Settings()


sitecache.watch(SiteSettings)


def settings_for_update() -> SiteSettings:
    """The row to change inside an action's transaction, made when missing."""
    row = db.session.get(SiteSettings, SETTINGS_ID, with_for_update=True)
    if row is None:
        defaults = Settings()
        row = SiteSettings(id=SETTINGS_ID, **{n: getattr(defaults, n) for n in FIELDS[:4]})
        db.session.add(row)
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
