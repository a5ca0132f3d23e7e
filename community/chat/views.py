"""The chat page. Live use is over Socket.IO (sockets.py, static/js/chat.js); without
JavaScript the page still shows the latest messages, pages back through older ones, and
sends with an ordinary form."""

import secrets

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import HiddenField, SelectField, SubmitField, TextAreaField

from ..auth import actor
from ..db import atomic
from ..errors import DomainError
from ..forms import ConfirmForm, Form, attach_error
from ..ids import as_id
from . import actions, bp


class MessageForm(Form):
    body = TextAreaField("Message")
    client_id = HiddenField()
    submit = SubmitField("Send")


class MuteForm(Form):
    # The member is chosen from the authors shown on the page (a select in the template).
    minutes = SelectField(
        "For",
        choices={"10": "10 minutes", "60": "1 hour", "1440": "1 day", "10080": "7 days"},
        validate_choice=False,
    )


@bp.app_context_processor
def _chat_unread():
    """`chat_unread(community)`: whether the member's room in it has unseen messages."""
    cache: dict = {}

    def chat_unread(community) -> bool:
        if not current_user.is_authenticated:
            return False
        if "ids" not in cache:
            cache["ids"] = actions.unread_community_ids(actor())
        return community.id in cache["ids"]

    return {"chat_unread": chat_unread}


def _page(name: str, form: MessageForm | None = None, *, before: int | None = None):
    user = actor()
    if before is None:
        room, messages = actions.recent(user, name)
        with atomic():
            actions.mark_read(user, name, room.last_number)
        room, messages = actions.recent(user, name)
    else:
        room, messages = actions.history(user, name, before)
    page = actions.room_page(user, name)  # the header is the room kind's (chat/access.py)
    form = form or MessageForm(formdata=None)
    form.client_id.data = form.client_id.data or secrets.token_urlsafe(12)
    header = page["header"]
    return render_template(
        "chat/room.html", room=room, messages=messages, header=header, **header.context,
        payloads=[actions.message_payload(m, room, moderator=page["moderator"]) for m in messages],
        form=form,
        can_write=page["can_write"], write_problem=page["write_problem"],
        opens_live=page["opens_live"],
        moderator=page["moderator"],
        mutes=actions.active_mutes(room) if page["moderator"] else [],
        mute_form=MuteForm(formdata=None), action_form=ConfirmForm(formdata=None),
        before=before, reader=user,
    )  # fmt: skip


@bp.get("/chat/<name>")
@login_required
def room(name: str):
    before = as_id(request.args.get("before", "")) if request.args.get("before") else None
    return _page(name, before=before)


@bp.post("/chat/<name>/send")
@login_required
def send(name: str):
    """The form's way to send (without JavaScript); the page's script uses chat.send."""
    form = MessageForm()
    try:
        with atomic():
            message, _ = actions.send_message(
                actor(), name, body=form.body.data or "", client_id=form.client_id.data
            )
            number = message.number
    except DomainError as exc:
        if exc.status not in (400, 403, 503):  # 503: Redis is down; the text is kept
            raise
        attach_error(form, exc)
        return _page(name, form), exc.status
    return redirect(url_for("chat.room", name=name) + f"#m{number}")


@bp.post("/chat/<name>/mute")
@login_required
def mute(name: str):
    form = MuteForm()
    minutes = int(form.minutes.data) if (form.minutes.data or "").isdigit() else 0
    with atomic():
        actions.mute(actor(), name, user_id=as_id(request.form.get("user_id", "")),
                     minutes=minutes)  # fmt: skip
    flash("The member is muted in this room.", "success")
    return redirect(url_for("chat.room", name=name))


@bp.post("/chat/<name>/unmute/<int:user_id>")
@login_required
def unmute(name: str, user_id: int):
    form = ConfirmForm()
    form.validate()
    with atomic():
        actions.unmute(actor(), name, user_id=user_id)
    flash("The member can write again.", "success")
    return redirect(url_for("chat.room", name=name))
