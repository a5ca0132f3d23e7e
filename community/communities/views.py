"""Community pages: the home page, a community, its members, joining, and its management."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..accounts.forms import ConfirmForm
from ..auth import actor
from ..db import atomic
from ..errors import DomainError
from ..forms import attach_error
from . import actions, bp, queries
from .forms import MemberEmailForm


@bp.get("/")
def home():
    return render_template(
        "communities/home.html", communities=queries.communities_for(current_user)
    )


def _community_context(slug: str) -> dict:
    user = current_user if current_user.is_authenticated else None
    community = actions.access_community(user, slug)
    membership = actions.membership(user, community)
    return {
        "community": community,
        "membership": membership,
        "can_manage": actions.is_moderator(user, community),
        "moderators": queries.moderators_of(community),
        "action_form": ConfirmForm(formdata=None),
    }


@bp.get("/c/<slug>")
def show(slug: str):
    return render_template("communities/show.html", **_community_context(slug))


@bp.get("/c/<slug>/members")
def members(slug: str):
    context = _community_context(slug)
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
        actions.leave_community(actor(), slug)
    flash("You have left the community.", "info")
    return redirect(url_for("communities.show", slug=slug))


# --- management: moderators and admins -----------------------------------------------------


def _manage_page(slug: str, status: int = 200, **forms):
    community = actions.access_community(actor(), slug, need="moderate")
    return (
        render_template(
            "communities/manage.html",
            community=community,
            moderators=queries.moderators_of(community),
            member_form=forms.get("member_form") or MemberEmailForm(formdata=None),
            moderator_form=forms.get("moderator_form") or MemberEmailForm(formdata=None),
            action_form=ConfirmForm(formdata=None),
        ),
        status,
    )


@bp.get("/c/<slug>/manage")
@login_required
def manage(slug: str):
    return _manage_page(slug)


def _email_action(slug: str, form_name: str, action, done: str):
    form = MemberEmailForm()
    if form.validate_on_submit():
        try:
            with atomic():
                m = action(actor(), slug, email=form.email.data)
                name = m.user.display_name
        except DomainError as exc:
            if exc.status != 400:
                raise
            attach_error(form, exc)
        else:
            flash(done.format(name=name), "success")
            return redirect(url_for("communities.manage", slug=slug))
    return _manage_page(slug, 400, **{form_name: form})


@bp.post("/c/<slug>/manage/members")
@login_required
def add_member(slug: str):
    return _email_action(slug, "member_form", actions.add_member, "{name} is now a member.")


@bp.post("/c/<slug>/manage/moderators")
@login_required
def add_moderator(slug: str):
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
