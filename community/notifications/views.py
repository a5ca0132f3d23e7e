"""`/notifications`: the member's notifications; opening one marks it read."""

from flask import redirect, render_template, request, url_for
from flask_login import login_required

from ..auth import actor, is_safe_next
from ..db import atomic
from ..forms import ConfirmForm
from . import actions, bp


@bp.get("/notifications")
@login_required
def index():
    page = actions.list_for(actor(), after=request.args.get("after"))
    return render_template(
        "notifications/index.html", page=page, action_form=ConfirmForm(formdata=None)
    )


@bp.post("/notifications/<int:notification_id>/open")
@login_required
def open_one(notification_id: int):
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("notifications.index"))
    with atomic():
        url = actions.open_notification(actor(), notification_id).url or ""
    return redirect(url if is_safe_next(url) else url_for("notifications.index"))


@bp.post("/notifications/read")
@login_required
def read_all():
    if ConfirmForm().validate_on_submit():
        with atomic():
            actions.mark_all_read(actor())
    return redirect(url_for("notifications.index"))
