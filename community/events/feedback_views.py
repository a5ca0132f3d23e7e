"""The feedback form's routes: `/events/<id>/feedback` shows it on a page of its own (the
event page shows it as its feedback panel) and takes it (POST, CSRF). A problem keeps what
was typed, on that page, with the reason."""

from flask import flash, redirect, render_template, url_for
from flask_login import login_required
from wtforms import RadioField, SubmitField, TextAreaField

from ..auth import actor
from ..db import atomic
from ..errors import DomainError, Forbidden
from ..forms import Form, attach_error
from . import access, bp, feedback


class FeedbackForm(Form):
    # Checked by the action (feedback.check_rating), so a bad value gets the same message.
    rating = RadioField(
        "Was it useful?",
        choices={str(r): label for r, label in feedback.RATINGS.items()},
        validate_choice=False,
    )
    comment = TextAreaField("Comment (optional)")
    submit = SubmitField("Send feedback")

    @classmethod
    def for_answer(cls, answer) -> "FeedbackForm":
        form = cls(formdata=None)
        if answer is not None:
            form.rating.data = str(answer.rating)
            form.comment.data = answer.comment
        return form


def _page(event, form, *, problem: str | None = None, status: int = 200):
    return render_template("events/feedback.html", event=event, form=form, problem=problem), status


@bp.get("/events/<int:event_id>/feedback")
@login_required
def feedback_form(event_id: int):
    reader = actor()
    event = access.access_event(reader, event_id)
    try:
        feedback.check_may_give(reader, event)
    except Forbidden as exc:
        return _page(event, None, problem=exc.message, status=403)
    return _page(event, FeedbackForm.for_answer(feedback.own_feedback(reader, event)))


@bp.post("/events/<int:event_id>/feedback")
@login_required
def give_feedback(event_id: int):
    reader = actor()
    event = access.access_event(reader, event_id)
    form = FeedbackForm()  # its CSRF token is checked for every POST (extensions.csrf)
    answered = feedback.own_feedback(reader, event) is not None
    try:
        with atomic():
            feedback.give_feedback(
                reader, event_id, rating=form.rating.data, comment=form.comment.data or ""
            )
    except DomainError as exc:
        if exc.status == 403:
            return _page(event, None, problem=exc.message, status=403)
        if exc.status != 400:
            raise
        attach_error(form, exc)
        return _page(event, form, status=400)
    flash("Your feedback is updated." if answered else "Thank you: your feedback is saved.",
          "success")  # fmt: skip
    return redirect(url_for("events.show", event_id=event_id, _anchor="feedback"))
