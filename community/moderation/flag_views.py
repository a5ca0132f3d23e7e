"""Flagging, for members: `/flag/<kind>/<id>` asks why (GET) and records the flag (POST,
CSRF). A problem keeps what was typed, with the reason."""

from flask import Blueprint, flash, redirect, render_template
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import RadioField, SubmitField, TextAreaField

from ..auth import actor
from ..db import atomic
from ..errors import DomainError
from ..forms import attach_error
from . import flags

bp = Blueprint("flags", __name__)


class FlagForm(FlaskForm):
    # Checked by the action (flags.check_reason), so a bad value gets the same message.
    reason = RadioField("Why are you flagging this?", choices=flags.REASONS, validate_choice=False)
    note = TextAreaField("Anything the moderators should know? (needed for “Something else”)")
    submit = SubmitField("Flag it for the moderators")


def _page(item, form, status: int = 200):
    return render_template("moderation/flag.html", item=item, form=form), status


@bp.get("/flag/<kind>/<int:target_id>")
@login_required
def flag_form(kind: str, target_id: int):
    item = flags.load_for_flagging(actor(), kind, target_id)
    if flags.has_flagged(actor(), kind, item.id):
        flash("You have flagged this already: the moderators will look at it.", "info")
        return redirect(item.url)
    return _page(item, FlagForm(formdata=None))


@bp.post("/flag/<kind>/<int:target_id>")
@login_required
def flag(kind: str, target_id: int):
    reader = actor()
    item = flags.load_for_flagging(reader, kind, target_id)
    form = FlagForm()  # its CSRF token is checked for every POST (extensions.csrf)
    try:
        with atomic():
            flags.flag(reader, kind, item.id, reason=form.reason.data, note=form.note.data or "")
    except DomainError as exc:
        if exc.status not in {400, 409}:
            raise
        attach_error(form, exc)
        return _page(item, form, status=exc.status)
    flash("Thank you: the moderators will look at it.", "success")
    return redirect(item.url)
