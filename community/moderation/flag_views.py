"""Flagging, for members: `/flag/<kind>/<id>` asks why (GET) and records the flag (POST,
CSRF). A problem keeps what was typed, with the reason. And a moderator's warning, at
`/warnings/<id>`, for the member to read and acknowledge."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import login_required
from wtforms import RadioField, SubmitField, TextAreaField

from ..auth import actor
from ..db import atomic
from ..errors import DomainError
from ..forms import ConfirmForm, Form, attach_error
from . import flags, warnings

bp = Blueprint("flags", __name__)


class FlagForm(Form):
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


# --- warnings, for the member warned --------------------------------------------------------


@bp.get("/warnings/<int:warning_id>")
@login_required
def warning(warning_id: int):
    found = warnings.own_warning(actor(), warning_id)
    form = ConfirmForm(formdata=None)
    return render_template("moderation/warning.html", warning=found, form=form)


@bp.post("/warnings/<int:warning_id>")
@login_required
def acknowledge_warning(warning_id: int):
    ConfirmForm()  # its CSRF token is checked for every POST (extensions.csrf)
    with atomic():
        warnings.acknowledge(actor(), warning_id)
    flash("Thank you for reading it. You can take part again.", "success")
    return redirect(url_for("communities.home"))


@bp.app_context_processor
def _warning_banner():
    """`open_warning()` in templates: the member's warning still to acknowledge, if any."""
    from functools import cache

    from flask_login import current_user

    @cache
    def open_warning():
        return warnings.open_warning(actor()) if current_user.is_authenticated else None

    return {"open_warning": open_warning}


@bp.app_template_global("may_decide")  # a global: macros imported without context see it
def _may_decide(kind: str, target_id: int) -> bool:
    """`may_decide(kind, id)` in templates: the reader is among those who decide on this
    item (its community's moderators, the admins), so its hidden mark offers to restore it."""
    item = flags.flaggable(kind).load(target_id)
    if item is None or not flags.moderates_community(actor(), item.community_id):
        return False
    return flags.refusal_to_decide(actor(), item) is None
