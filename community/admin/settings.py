"""The site's settings row: read once per request (or job step), changed by admins."""

from flask import g

from ..extensions import db
from .models import SiteSettings

SETTINGS_ID = 1


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
