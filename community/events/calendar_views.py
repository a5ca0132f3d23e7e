"""Calendars: the iCalendar feeds (`/events.ics`, a member's `/events/feed/<token>.ics`),
one event's `.ics` download, the event page's "Add to calendar" panel, and the settings
buttons that make and revoke a member's private feed link."""

from flask import Response, abort, flash, redirect, url_for
from flask_login import current_user, login_required

from ..accounts.actions import slugify
from ..auth import actor
from ..db import atomic
from ..forms import ConfirmForm
from ..sitesettings import site_name
from . import access, bp, calendar_feeds, ical
from .panels import register_panel

MIMETYPE = "text/calendar"


def _ics(body: bytes, *, private: bool, filename: str | None = None) -> Response:
    response = Response(body, mimetype=MIMETYPE)  # Flask adds "; charset=utf-8"
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    if private:  # not for shared caches, nor for search engines
        response.headers["Cache-Control"] = "private, no-store"
        response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.get("/events.ics")
def public_feed():
    """The network's public events, for anyone's calendar."""
    return _ics(ical.calendar(f"{site_name()} events", ical.public_events()), private=False)


@bp.get("/events/<int:event_id>.ics")
def event_ics(event_id: int):
    """One event to add to a calendar, for whoever may see it (404 otherwise); its join
    link for a signed-in member only (so a member's copy is private: never in a shared cache)."""
    reader = actor() if current_user.is_authenticated else None
    event = access.access_event(reader, event_id)
    filename = f"{slugify(event.title)[:60].strip('-') or 'event'}-{event.id}.ics"
    member = reader is not None
    body = ical.calendar(event.title, [event], feed=False, with_join=member)
    return _ics(body, private=member or not access.can_see(None, event), filename=filename)


@bp.get("/events/feed/<token>.ics")
def member_feed(token: str):
    """A member's private feed; a wrong or revoked token is a 404 like any unknown page."""
    user = calendar_feeds.member_for_token(token)
    body = ical.calendar(f"{site_name()}: my events", ical.member_events(user), with_join=True)
    return _ics(body, private=True)


# --- settings: the private feed link (the section is templates/events/_settings_calendar.html,
# shown by accounts' settings page) -------------------------------------------------------


def _back_to_settings():
    return redirect(url_for("accounts.settings", _anchor="calendar"))


@bp.post("/settings/calendar")
@login_required
def make_calendar_feed():
    if not ConfirmForm().validate_on_submit():  # its CSRF token (CSRFProtect checks it too)
        abort(400)
    with atomic():
        had = calendar_feeds.feed_url(actor()) is not None
        calendar_feeds.make_feed(actor())
    flash(
        "Your new private calendar link is ready; the old one no longer works."
        if had
        else "Your private calendar link is ready: add it to your calendar program.",
        "success",
    )
    return _back_to_settings()


@bp.post("/settings/calendar/revoke")
@login_required
def revoke_calendar_feed():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with atomic():
        revoked = calendar_feeds.revoke_feed(actor())
    if revoked:
        flash("Your private calendar link is revoked: calendars using it stop updating.", "success")
    return _back_to_settings()


# --- the event page's panel ---------------------------------------------------------------


def _panel(event, user) -> dict:
    signed_in = user is not None and user.is_authenticated
    return {
        "event": event,
        "ics_url": url_for("events.event_ics", event_id=event.id),
        "settings_url": url_for("accounts.settings", _anchor="calendar") if signed_in else None,
        # An anonymous download leaves the join link out, as the page does.
        "join_left_out": bool(event.join_url) and not signed_in,
    }


register_panel("calendar", order=20, template="events/_calendar.html", context=_panel)
