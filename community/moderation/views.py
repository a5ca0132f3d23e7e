"""The moderators' pages, under /mod: the queue of what waits for a decision (flagged items,
and the sections other domains register: resources waiting for review), and the log of
decisions. Admins see every community; a moderator, the communities they moderate."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..auth import actor
from ..db import atomic
from ..errors import DomainError, Forbidden
from ..forms import ConfirmForm
from ..ids import as_id
from . import flags, queue, sections, warnings

bp = Blueprint("moderation", __name__, url_prefix="/mod")


def _moderator():
    """The signed-in moderator or admin; anyone else is refused."""
    user = actor()
    if not queue.may_moderate(user):
        raise Forbidden("Only moderators and admins see the moderation queue.")
    return user


@bp.app_context_processor
def _moderation_header():
    """`moderation_waiting()` in templates: None for members without a queue, else the
    header's count of what waits (computed once per page)."""
    from functools import cache

    @cache
    def waiting() -> int | None:
        user = actor() if current_user.is_authenticated else None
        return queue.waiting_count(user) if queue.may_moderate(user) else None

    return {"moderation_waiting": waiting}


@bp.get("")
@login_required
def index():
    return _queue_page()


def _queue_page(*, status: int = 200, typed: dict | None = None, problem: str = ""):
    """The queue; after a refused warning, with what was typed (`typed`: {(kind, id):
    reason}) and why it was refused."""
    user = _moderator()
    communities = _communities_in_scope(user)
    community_id = as_id(request.args.get("community", ""))
    if community_id is not None and community_id not in {c.id for c in communities}:
        community_id = None
    kind = request.args.get("kind") or None
    if kind not in flags.kinds():
        kind = None
    return render_template(
        "moderation/index.html",
        waiting=queue.waiting(user, community_id=community_id, kind=kind),
        communities=communities,
        community_names={c.id: c.name for c in communities},
        community_slugs={c.id: c.slug for c in communities},
        chosen_community=community_id,
        chosen_kind=kind,
        kinds=flags.kinds(),
        decisions=flags.DECISIONS,
        action_form=ConfirmForm(formdata=None),
        typed=typed or {},
        problem=problem,
        sections=sections.rendered(user, community_id) if kind is None else [],
    ), status


def _communities_in_scope(user):
    from sqlalchemy import select

    from ..communities.models import Community
    from ..extensions import db

    stmt = select(Community).order_by(Community.position, Community.id)
    mine = queue.scope(user)
    if mine is not None:
        stmt = stmt.where(Community.id.in_(mine))
    return list(db.session.scalars(stmt))


@bp.post("/<kind>/<int:target_id>/<any(keep, hide, delete):decision>")
@login_required
def decide(kind: str, target_id: int, decision: str):
    user = actor()
    ConfirmForm()  # its CSRF token is checked for every POST (extensions.csrf)
    try:
        with atomic():
            item = flags.decide(
                user, kind, target_id, decision, reason=request.form.get("reason", "")
            )
    except DomainError as exc:
        if exc.status != 409:
            raise
        flash(exc.message, "warning")
    else:
        flash(f"Done: you {flags.DECISIONS[decision]} ({item.title}).", "success")
        if request.form.get("back") == "item" and decision == flags.KEEP:
            return redirect(item.url)  # restored from its own page: back to it
    return redirect(url_for("moderation.index"))


@bp.post("/<kind>/<int:target_id>/warn")
@login_required
def warn(kind: str, target_id: int):
    user = actor()
    ConfirmForm()  # its CSRF token is checked for every POST (extensions.csrf)
    reason = request.form.get("reason", "")
    try:
        with atomic():
            found = warnings.warn(user, kind, target_id, reason=reason)
            about = found.about.replace("your ", "their ", 1)
    except DomainError as exc:
        if exc.status != 400:
            raise
        return _queue_page(status=400, typed={(kind, target_id): reason}, problem=exc.message)
    flash(f"Warning sent about {about}: they must read it before posting again.", "success")
    return redirect(url_for("moderation.index"))


from . import log_views  # noqa: E402, F401 (its routes join this blueprint)
