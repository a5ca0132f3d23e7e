"""Attendees' feedback on an event: "Was it useful?" (1 to 5) and a comment, once the event
has ended. An attendee is a member who said going, or who wrote in the event's room. One
answer per member, which they may change; the organisers (access.can_organise) see the
results on the event page: how many answered, the average, the distribution, and the
comments with their authors' names.

Routes: feedback_views.py. The panel (order 50) shows the form to attendees and the results
to organisers (an organiser who attended sees both).
"""

from dataclasses import dataclass

from sqlalchemy import exists, func, select

from ..accounts.models import User
from ..chat.models import ChatMessage, ChatRoom
from ..db import utcnow
from ..errors import Forbidden, Invalid
from ..extensions import db
from . import access
from .models import Event, EventFeedback, EventRsvp
from .panels import register_panel

COMMENT_MAX = 2_000
RATINGS = {
    1: "1: not useful",
    2: "2",
    3: "3",
    4: "4",
    5: "5: very useful",
}
NOT_YET = "Feedback opens when the event has ended."
NOT_ATTENDEE = "Only the event's attendees can give feedback."


def has_ended(event: Event) -> bool:
    return not event.is_cancelled and event.ends_at <= utcnow()


def is_attendee(user: User | None, event: Event) -> bool:
    """Said going, or wrote in the event's room."""
    if user is None or not user.is_authenticated:
        return False
    going = exists().where(
        EventRsvp.event_id == event.id, EventRsvp.user_id == user.id, EventRsvp.status == "going"
    )
    wrote = (
        exists()
        .where(
            ChatRoom.kind == "event",
            ChatRoom.target_id == event.id,
            ChatMessage.room_id == ChatRoom.id,
            ChatMessage.author_id == user.id,
        )
        .correlate(None)
    )
    return bool(db.session.scalar(select(going | wrote)))


def check_rating(value) -> int:
    try:
        rating = int(value)
    except (TypeError, ValueError):
        rating = 0
    if str(value).strip() != str(rating) or rating not in RATINGS:
        raise Invalid("Choose how useful it was, from 1 to 5.", field="rating")
    return rating


def check_comment(value) -> str:
    text = (value if isinstance(value, str) else "").replace("\r\n", "\n").strip()
    if len(text) > COMMENT_MAX:
        raise Invalid(f"A comment has at most {COMMENT_MAX:,} characters.", field="comment")
    return text


def check_may_give(user: User | None, event: Event) -> None:
    access.check_in_view(event)
    if event.is_cancelled:
        raise Forbidden("This event was cancelled.")
    if not has_ended(event):
        raise Forbidden(NOT_YET)
    if user is not None and user.is_authenticated and user.is_suspended:
        raise Forbidden("Your account is suspended.")
    if not is_attendee(user, event):
        raise Forbidden(NOT_ATTENDEE)


def own_feedback(user: User | None, event: Event) -> EventFeedback | None:
    if user is None or not user.is_authenticated:
        return None
    return db.session.scalar(
        select(EventFeedback).where(
            EventFeedback.event_id == event.id, EventFeedback.user_id == user.id
        )
    )


def give_feedback(actor: User, event_id: int, *, rating, comment: str = "") -> EventFeedback:
    """Give (or change) one's feedback on an event that has ended. Attendees only."""
    event = access.access_event(actor, event_id)
    check_may_give(actor, event)
    rating = check_rating(rating)
    comment = check_comment(comment)
    # The event's row is the lock: two tabs sending at once change one answer.
    db.session.execute(select(Event.id).where(Event.id == event.id).with_for_update()).scalar_one()
    feedback = own_feedback(actor, event)
    if feedback is None:
        feedback = EventFeedback(event_id=event.id, user_id=actor.id)
        db.session.add(feedback)
    feedback.rating = rating
    feedback.comment = comment
    feedback.updated_at = utcnow()
    db.session.flush()
    return feedback


@dataclass(frozen=True)
class Results:
    count: int
    average: float | None
    distribution: list[tuple[int, int]]  # (rating, how many), 5 down to 1
    comments: list[tuple[EventFeedback, User | None]]  # newest first


def results(actor: User, event_id: int) -> Results:
    """The feedback on an event, for its organisers."""
    event = access.access_event(actor, event_id, need="organise")
    counts = dict(
        db.session.execute(
            select(EventFeedback.rating, func.count())
            .where(EventFeedback.event_id == event.id)
            .group_by(EventFeedback.rating)
        ).all()
    )
    total = sum(counts.values())
    average = sum(r * n for r, n in counts.items()) / total if total else None
    rows = db.session.execute(
        select(EventFeedback, User)
        .outerjoin(User, User.id == EventFeedback.user_id)
        .where(EventFeedback.event_id == event.id, EventFeedback.comment != "")
        .order_by(EventFeedback.updated_at.desc(), EventFeedback.id.desc())
    ).all()
    return Results(
        count=total,
        average=average,
        distribution=[(r, counts.get(r, 0)) for r in sorted(RATINGS, reverse=True)],
        comments=[(f, u) for f, u in rows],
    )


def _panel(event: Event, user: User | None, form=None) -> dict | None:
    if not has_ended(event) or user is None or not user.is_authenticated:
        return None
    organiser = access.can_organise(user, event.community)
    attendee = is_attendee(user, event) and not user.is_suspended
    if not organiser and not attendee:
        return None
    if attendee and form is None:
        from .feedback_views import FeedbackForm

        form = FeedbackForm.for_answer(own_feedback(user, event))
    return {
        "event": event,
        "form": form if attendee else None,
        "answered": own_feedback(user, event) is not None,
        "results": results(user, event.id) if organiser else None,
        "ratings": RATINGS,
    }


register_panel("feedback", order=50, template="events/_feedback.html", context=_panel)
