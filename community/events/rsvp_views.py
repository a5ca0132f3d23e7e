"""RSVP pages: a member's answer (POST from the event page's RSVP panel), the attendee list
as CSV for organisers, and the RSVP panel of the event page (who is going, by organisation;
for organisers the counts, the full list and the waiting list)."""

import csv
import io

from flask import Response, flash, redirect, request, url_for
from flask_login import current_user, login_required

from ..auth import actor
from ..db import atomic
from ..errors import DomainError, Invalid, NotFound
from ..forms import ConfirmForm
from ..web import csv_cell
from . import access, bp, rsvp
from .links import event_url
from .models import RSVP_LABELS, Event
from .panels import register_panel


def _reader():
    return actor() if current_user.is_authenticated else None


@bp.post("/events/<int:event_id>/rsvp")
@login_required
def rsvp_answer(event_id: int):
    if not ConfirmForm().validate():
        raise Invalid("The form expired. Please go back, reload the page and try again.")
    try:
        with atomic():
            result = rsvp.rsvp(actor(), event_id, request.form.get("status", ""))
    except NotFound:
        raise
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(result.message, "info" if result.status == "waiting" else "success")
    return redirect(event_url(event_id))


# --- the attendee list (organisers) ------------------------------------------------------------

CSV_ORDER = ("going", "waiting", "maybe", "not_going")


def attendees_csv(event: Event) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Name", "Organisation", "RSVP", "Waiting list place", "Answered (UTC)"])
    answers = rsvp.answers_by_status(event)
    for status in CSV_ORDER:
        for place, a in enumerate(answers[status], start=1):
            writer.writerow(
                [
                    csv_cell(a.user.display_name),
                    csv_cell(a.user.organisation_name or ""),
                    RSVP_LABELS[status],
                    str(place) if status == "waiting" else "",
                    a.updated_at.replace(microsecond=0).isoformat() + "Z",
                ]
            )
    return out.getvalue()


@bp.get("/events/<int:event_id>/attendees.csv")
def attendee_list(event_id: int):
    event = access.access_event(_reader(), event_id, need="organise")
    response = Response(attendees_csv(event), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="event-{event.id}-attendees.csv"'
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- the event page's RSVP panel -----------------------------------------------------------


def panel_context(event: Event, user) -> dict:
    """What the RSVP panel shows `user` (None or anonymous: counts only, no names)."""
    reader = user if user is not None and user.is_authenticated else None
    counts = rsvp.answer_counts(event)
    answer = rsvp.answer_of(reader, event)
    try:
        rsvp.check_may_answer(reader, event)
    except DomainError as exc:
        problem = exc.message
    else:
        problem = None
    organiser = access.can_organise(reader, event.community)
    return {
        "event": event,
        "signed_in": reader is not None,
        "answer": answer,
        "answer_label": RSVP_LABELS[answer.status] if answer else None,
        "place": rsvp.waiting_place(answer),
        "can_answer": problem is None,
        "problem": problem,
        "join_community": (
            event.community
            if reader is not None and problem and problem.startswith("Join ")
            else None
        ),
        "form": ConfirmForm(formdata=None),
        "closes_at": rsvp.closes_at(event),
        "is_open": rsvp.is_open(event),
        "places_left": rsvp.places_left(event, counts["going"]),
        "counts": counts,
        "groups": rsvp.going_by_organisation(event) if reader is not None else None,
        "organiser": organiser,
        "answers": rsvp.answers_by_status(event) if organiser else None,
        "csv_url": url_for("events.attendee_list", event_id=event.id) if organiser else None,
        "action": url_for("events.rsvp_answer", event_id=event.id),
        "labels": RSVP_LABELS,
        "choices": rsvp.ANSWERS,
    }


register_panel("rsvp", order=10, template="events/_rsvp.html", context=panel_context)
