"""Community pages: the home page, a community, its members, joining, and its management."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..accounts.actions import find_user_by_email
from ..accounts.rules import is_site_admin
from ..auth import actor
from ..db import atomic
from ..errors import DomainError, NotFound
from ..extensions import login_manager
from ..forms import ConfirmForm, attach_error
from ..ids import as_id
from ..resources import queries as resource_queries
from ..threads import actions as thread_actions
from ..threads import queries as thread_queries
from . import access, actions, bp, queries
from .forms import CommunitySuspensionForm, MemberEmailForm, SafeguardsForm


@bp.get("/")
def home():
    reader = _reader()
    return render_template(
        "communities/home.html",
        communities=queries.communities_for(current_user, archived=True),
        unread=thread_queries.unread_by_community(reader),
        latest=thread_queries.latest_threads(reader),
        featured=resource_queries.featured(reader),
        events=_next_events(reader) if reader is not None else [],
    )


def _next_events(reader, community=None) -> list:
    """The next three events of `community` (None: any the reader may see). Imported here:
    events' models import accounts, whose pages import this module."""
    from ..events import queries as event_queries

    if community is None:
        return event_queries.next_for(reader)
    return event_queries.next_in_community(community)


def _reader():
    """The signed-in member as a real User, or None for a visitor."""
    return actor() if current_user.is_authenticated else None


def _community_context(slug: str) -> dict:
    user = _reader()
    community = access.access_community(user, slug)
    membership = access.membership(user, community)
    return {
        "reader": user,
        "community": community,
        "membership": membership,
        "can_manage": access.is_moderator(user, community),
        "can_post": _may_post(user, community, membership),
        "moderators": queries.moderators_of(community),
        "action_form": ConfirmForm(formdata=None),
    }


def _may_post(user, community, membership) -> bool:
    try:
        access.check_may_post(user, community, membership)
    except DomainError:
        return False
    return True


@bp.get("/c/<slug>")
def show(slug: str):
    """The community's discussions: pinned threads first, then latest activity."""
    context = _community_context(slug)
    community = context["community"]
    tag = None
    if request.args.get("tag"):
        tag = thread_queries.tag_by_slug(community, request.args["tag"][:40])
        if tag is None:
            raise NotFound(f"No thread in {community.name} has that tag.")
    page = thread_queries.community_threads(
        community, context["reader"], tag=tag, after=request.args.get("after")
    )
    return render_template(
        "communities/show.html", page=page, tag=tag,
        watching=thread_actions.watches_community(context["reader"], community),
        events=_next_events(context["reader"], community), **context,
    )  # fmt: skip


@bp.get("/c/<slug>/members")
def members(slug: str):
    context = _community_context(slug)
    page = None  # visitors are asked to sign in: who belongs is for members to see
    if current_user.is_authenticated:
        page = queries.members_of(context["community"], after=request.args.get("after"))
    return render_template("communities/members.html", page=page, **context)


@bp.post("/c/<slug>/join")
@login_required
def join(slug: str):
    with atomic():
        m = actions.join_community(actor(), slug)
        name = m.community.name
    flash(f"Welcome to {name}.", "success")
    return redirect(url_for("communities.show", slug=slug))


@bp.post("/c/<slug>/leave")
@login_required
def leave(slug: str):
    with atomic():
        community = actions.leave_community(actor(), slug)
        name, still_readable = community.name, community.is_public
    flash(f"You have left {name}.", "info")
    if not still_readable:  # a members-only community is closed to them now
        return redirect(url_for("communities.home"))
    return redirect(url_for("communities.show", slug=slug))


# --- management: moderators and admins -----------------------------------------------------


bp.add_app_template_global(access.suspension_notice, "suspension_notice")


# The two forms share a page, so each has a prefix: their fields get distinct names and ids.
FORM_PREFIXES = {"member_form": "member", "moderator_form": "moderator"}


def _manage_page(slug: str, status: int = 200, **forms):
    community = access.access_community(actor(), slug, need="moderate")
    blank = {
        name: MemberEmailForm(formdata=None, prefix=prefix)
        for name, prefix in FORM_PREFIXES.items()
    }
    blank["safeguards_form"] = SafeguardsForm(formdata=None, obj=community)
    typed = forms.get("suspension_form")
    suspending = _member_named(
        community, typed.user_id.data if typed else request.args.get("suspend")
    )
    blank["suspension_form"] = CommunitySuspensionForm(
        formdata=None, prefix="suspend", user_id=suspending.id if suspending else ""
    )
    return (
        render_template(
            "communities/manage.html",
            community=community,
            moderators=queries.moderators_of(community, everyone=True),
            suspended=queries.suspended_members(community),
            can_assign_moderators=actions.assigns_moderators(actor()),
            action_form=ConfirmForm(formdata=None),
            can_administer=is_site_admin(actor()),
            suspending=suspending,
            **{**blank, **forms},
        ),
        status,
    )


@bp.get("/c/<slug>/manage")
def manage(slug: str):
    if not current_user.is_authenticated:
        # A community the visitor may not read is a 404, as on its other pages; otherwise
        # they are asked to sign in.
        access.access_community(None, slug)
        return login_manager.unauthorized()
    return _manage_page(slug)


def _member_named(community, user_id):
    """The member the moderation queue links here to suspend (None: none, or not a member)."""
    from ..accounts.models import User
    from ..extensions import db

    user_id = as_id(user_id or "")
    user = db.session.get(User, user_id) if user_id is not None else None
    member = access.membership(user, community) if user is not None else None
    return member.user if member is not None else None


def _form_action(slug: str, form_name: str, form, run, *, refused=(400,)):
    """A manage-page form: `run()` (in a transaction) returns the message to flash; a
    refusal shows the page again with the form as typed and the reason at its field."""
    if form.validate_on_submit():
        try:
            with atomic():
                done = run()
        except DomainError as exc:
            if exc.status not in refused:
                raise
            attach_error(form, exc)
        else:
            flash(done, "success")
            return redirect(url_for("communities.manage", slug=slug))
    return _manage_page(slug, 400, **{form_name: form})


def _email_action(slug: str, form_name: str, action, done: str):
    form = MemberEmailForm(prefix=FORM_PREFIXES[form_name])

    def run() -> str:
        return done.format(name=action(actor(), slug, email=form.email.data).user.display_name)

    return _form_action(slug, form_name, form, run)


@bp.post("/c/<slug>/manage/members")
@login_required
def add_member(slug: str):
    return _email_action(slug, "member_form", actions.add_member, "{name} is now a member.")


@bp.post("/c/<slug>/manage/moderators")
@login_required
def add_moderator(slug: str):
    # Refuse before looking at the form: only admins see it, so nobody else could fix it.
    access.access_community(actor(), slug)
    actions.check_assigns_moderators(actor())
    return _email_action(
        slug, "moderator_form", actions.add_moderator, "{name} is now a moderator."
    )


@bp.post("/c/<slug>/manage/moderators/<int:user_id>/remove")
@login_required
def remove_moderator(slug: str, user_id: int):
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _manage_page(slug, 400)
    with atomic():
        actions.remove_moderator(actor(), slug, user_id=user_id)
    flash("The moderator role is removed.", "info")
    return redirect(url_for("communities.manage", slug=slug))


@bp.post("/c/<slug>/manage/suspensions")
@login_required
def suspend_member(slug: str):
    access.access_community(actor(), slug, need="moderate")
    form = CommunitySuspensionForm(prefix="suspend")

    def run() -> str:
        if form.user_id.data:
            user_id = form.user_id.data
        else:
            user = find_user_by_email(form.email.data or "")
            user_id = user.id if user else None
        member = actions.suspend_in_community(
            actor(), slug, user_id=user_id,
            days=form.days.data, reason=form.reason.data,
        )  # fmt: skip
        return f"{member.user.display_name} is suspended here: they can read, not post."

    return _form_action(slug, "suspension_form", form, run, refused=(400, 403, 404))


@bp.post("/c/<slug>/manage/suspensions/<int:user_id>/lift")
@login_required
def lift_suspension(slug: str, user_id: int):
    if not ConfirmForm().validate_on_submit():
        return _manage_page(slug, 400)
    with atomic():
        actions.lift_community_suspension(actor(), slug, user_id=user_id)
    flash("The suspension is lifted.", "info")
    return redirect(url_for("communities.manage", slug=slug))


@bp.post("/c/<slug>/manage/safeguards")
@login_required
def safeguards(slug: str):
    access.access_community(actor(), slug, need="moderate")
    form = SafeguardsForm()

    def run() -> str:
        values = {name: form[name].data for name in actions.SAFEGUARD_LIMITS}
        actions.set_safeguards(actor(), slug, **values)
        return "The safeguards are saved."

    return _form_action(slug, "safeguards_form", form, run)


# --- the community's state: admins ----------------------------------------------------------


@bp.post("/c/<slug>/manage/visibility")
@login_required
def change_visibility(slug: str):
    if not ConfirmForm().validate_on_submit():
        return _manage_page(slug, 400)
    with atomic():
        community = actions.change_visibility(actor(), slug, request.form.get("visibility", ""))
        public = community.is_public
    flash("The community is public now." if public else "The community is members-only now.",
          "success")  # fmt: skip
    return redirect(url_for("communities.manage", slug=slug))


@bp.post("/c/<slug>/manage/archive")
@login_required
def archive(slug: str):
    if not ConfirmForm().validate_on_submit():
        return _manage_page(slug, 400)
    archived = request.form.get("archived") == "1"
    with atomic():
        actions.archive_community(actor(), slug, archived=archived)
    flash("The community is archived: it is read-only now." if archived
          else "The community is open again.", "success")  # fmt: skip
    return redirect(url_for("communities.manage", slug=slug))
