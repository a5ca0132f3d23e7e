"""Event pages: the list (upcoming and past, filtered by community and "mine"), one event
with the panels the other parts of events register, and the organisers' forms to create,
edit and cancel."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import markup
from ..auth import actor
from ..communities import access as community_access
from ..communities import queries as community_queries
from ..db import atomic, utcnow
from ..errors import DomainError, Forbidden, NotFound
from ..forms import ConfirmForm, attach_error
from ..moderation import flags
from ..web import TIME_FORMAT, reader_timezone
from ..web import to_local as in_zone
from . import access, actions, bp, flaggable, panels, queries
from .forms import CancelForm, EventForm


def _reader():
    return actor() if current_user.is_authenticated else None


# --- how an event's time reads ---------------------------------------------------------------


@bp.app_template_filter("event_when")
def event_when(event, zone: str | None = None) -> str:
    """When an event happens, in `zone` (default: the reader's), the zone named:
    "14 Jul 2030, 10:00–12:00 BST", or both dates when it runs past midnight."""
    zone = zone or reader_timezone()
    starts, ends = in_zone(event.starts_at, zone), in_zone(event.ends_at, zone)
    if starts.date() == ends.date() and starts.tzname() == ends.tzname():
        return f"{starts.strftime('%a %-d %b %Y, %H:%M')}–{ends.strftime('%H:%M %Z')}"
    return f"{starts.strftime('%a ' + TIME_FORMAT)} – {ends.strftime('%a ' + TIME_FORMAT)}"


# --- the list --------------------------------------------------------------------------------


@bp.get("/events")
def index():
    reader = _reader()
    # Archived communities too: their events stay readable (the breadcrumb and the
    # community's Events tab link here).
    readable = [c for c, _role in community_queries.communities_for(reader, archived=True)]
    filters = queries.Filters()
    chosen = (request.args.get("community") or "")[:80]
    community = None
    if chosen:
        community = next((c for c in readable if c.slug == chosen), None)
        if community is None:
            raise NotFound("We could not find that community.")
        filters.community_id = community.id
    mine = bool(request.args.get("mine")) and reader is not None
    if mine:
        filters.mine_of = reader.id
    return render_template(
        "events/index.html",
        communities=readable, community=community, mine=mine,
        **(_community_header(reader, community) if community else {}),
        upcoming=queries.upcoming(reader, filters, after=request.args.get("after")),
        past=queries.past(reader, filters, after=request.args.get("before")),
        can_create=(community is None or community.archived_at is None)
        and (bool(access.communities_organised_by(reader)) or access.can_organise(reader, None)),
    )  # fmt: skip


def _community_header(reader, community) -> dict:
    """What the community's header (its tabs, Events among them) shows above its events."""
    return {
        "membership": community_access.membership(reader, community),
        "can_manage": community_access.is_moderator(reader, community),
        "moderators": community_queries.moderators_of(community),
        "action_form": ConfirmForm(formdata=None),
    }


# --- one event -------------------------------------------------------------------------------


@bp.get("/events/<int:event_id>")
def show(event_id: int):
    reader = _reader()
    event = access.access_event(reader, event_id)
    zone = reader_timezone()
    organiser = access.can_organise(reader, event.community)
    may_flag, flagged = _flag_states(reader, event)
    return render_template(
        "events/show.html",
        event=event,
        own_zone_when=event_when(event, event.timezone) if event.timezone != zone else None,
        can_organise=organiser,
        can_cancel=organiser and not event.is_cancelled and event.ends_at > utcnow(),
        can_flag=event.id in may_flag,
        flagged=event.id in flagged,
        panels=panels.rendered(event, reader),
    )


def _flag_states(reader, event) -> tuple[set[int], set[int]]:
    """Whether the reader may flag the event, or flagged it already (a hidden one, which
    only those who decide still see, is not flagged)."""
    if not event.is_in_view:
        return set(), set()
    return flags.flag_states(reader, flaggable.KIND, [(event.id, event.organiser_id)])


# --- organising ------------------------------------------------------------------------------


def _fill_choices(form: EventForm, user) -> None:
    choices = [(c.slug, c.name) for c in access.communities_organised_by(user)]
    if access.can_organise(user, None):
        choices.insert(0, ("", "Network-wide (the whole network)"))
    form.community.choices = choices


def _details(form: EventForm) -> actions.EventDetails:
    return actions.EventDetails(
        title=form.title.data or "",
        starts=form.starts.data,
        ends=form.ends.data,
        timezone=form.timezone.data or "",
        description=form.description.data or "",
        community=form.community.data or None,
        location=form.location.data or "",
        join_url=form.join_url.data or None,
        capacity=form.capacity.data or None,
        rsvp_deadline=form.deadline.data,
    )


def _initial(details: actions.EventDetails) -> dict:
    return {
        "title": details.title, "description": details.description,
        "community": details.community or "", "starts": details.starts, "ends": details.ends,
        "timezone": details.timezone, "location": details.location,
        "join_url": details.join_url or "",
        "capacity": "" if details.capacity is None else str(details.capacity),
        "deadline": details.rsvp_deadline,
    }  # fmt: skip


def _form_page(form: EventForm, *, event=None, status: int = 200, preview: str | None = None):
    return render_template("events/form.html", form=form, event=event, preview=preview), status


def _save(form: EventForm, save, *, event=None):
    """The organiser's form sent: a preview, its errors (everything typed kept), or `save`
    (an action inside the transaction) and the event's page."""
    if form.preview.data:
        form.validate()
        return _form_page(form, event=event, preview=markup.render(form.description.data or ""))
    if not form.validate():
        return _form_page(form, event=event, status=400)
    try:
        with atomic():
            saved_id = save(_details(form)).id
    except DomainError as exc:
        if exc.field is None and exc.status in (403, 404):
            raise  # the event is gone, or no longer theirs to organise: nothing to keep
        attach_error(form, exc)
        return _form_page(form, event=event, status=400 if exc.field else exc.status)
    return redirect(url_for("events.show", event_id=saved_id))


@bp.route("/events/new", methods=["GET", "POST"])
@login_required
def new():
    user = actor()
    initial = {"community": request.args.get("community", "")[:80], "timezone": user.timezone}
    form = EventForm(data=initial if request.method == "GET" else None)
    _fill_choices(form, user)
    if not form.community.choices:
        raise Forbidden("Only moderators (for their communities) and admins create events.")
    if request.method == "GET":
        return _form_page(form)
    response = _save(form, lambda details: actions.create_event(user, details))
    if not isinstance(response, tuple):
        flash("The event is published.", "success")
    return response


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@login_required
def edit(event_id: int):
    user = actor()
    event = access.access_event(user, event_id, need="organise")
    if event.is_cancelled:
        flash("This event was cancelled: it can no longer be changed.", "error")
        return redirect(url_for("events.show", event_id=event.id))
    form = EventForm(data=_initial(actions.details_of(event)) if request.method == "GET" else None)
    _fill_choices(form, user)
    if request.method == "GET":
        return _form_page(form, event=event)
    response = _save(form, lambda details: actions.edit_event(user, event_id, details), event=event)
    if not isinstance(response, tuple):
        flash("The event is saved.", "success")
    return response


@bp.route("/events/<int:event_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(event_id: int):
    user = actor()
    event = access.access_event(user, event_id, need="organise")
    form = CancelForm()
    if event.is_cancelled:
        flash("This event is already cancelled.", "error")
        return redirect(url_for("events.show", event_id=event.id))
    if not form.is_submitted():
        return render_template("events/cancel.html", event=event, form=form)
    if not form.validate():
        return render_template("events/cancel.html", event=event, form=form), 400
    try:
        with atomic():
            actions.cancel_event(user, event_id, form.reason.data or "")
    except DomainError as exc:
        if exc.status == 404:
            raise
        attach_error(form, exc)
        return render_template("events/cancel.html", event=event, form=form), exc.status
    flash("The event is cancelled. Everyone who answered is told.", "success")
    return redirect(url_for("events.show", event_id=event_id))
