"""/admin/communities: the communities in their order (admins only): create, rename and
describe, move up and down. Moderators, visibility and archiving: each one's manage page."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required

from ..accounts.rules import require_admin
from ..auth import actor
from ..communities import admin_actions as actions
from ..communities.access import access_community
from ..db import atomic
from ..errors import DomainError
from ..forms import ConfirmForm, attach_error
from . import bp
from .structure_forms import CommunityEditForm, CommunityForm


def _list_page(status: int = 200, form: ConfirmForm | None = None):
    return (
        render_template(
            "admin/communities.html",
            communities=actions.communities_in_order(actor()),
            action_form=form or ConfirmForm(formdata=None),
        ),
        status,
    )


@bp.get("/admin/communities")
@login_required
def communities():
    return _list_page()


@bp.post("/admin/communities/<slug>/move")
@login_required
def move_community(slug: str):
    require_admin(actor())
    form = ConfirmForm()
    if not form.validate_on_submit():
        form.form_errors.append("The page had expired: nothing moved. Try again.")
        return _list_page(400, form)
    direction = request.form.get("direction", "")
    try:
        with atomic():
            name = actions.move_community(actor(), slug, direction).name
    except DomainError as exc:
        if exc.status != 400:
            raise
        attach_error(form, exc)
        return _list_page(400, form)
    flash(f"{name} moved {'up' if direction == 'up' else 'down'}.", "success")
    return redirect(url_for("admin.communities", _anchor=f"community-{slug}"))


@bp.route("/admin/communities/new", methods=["GET", "POST"])
@login_required
def new_community():
    require_admin(actor())  # before the form: nobody else could correct it
    form = CommunityForm()
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                with atomic():
                    community = actions.add_community(
                        actor(),
                        slug=form.slug.data or "",
                        name=form.name.data or "",
                        description=form.description.data or "",
                        visibility=form.visibility.data or "",
                    )
                    name, slug = community.name, community.slug
            except DomainError as exc:
                if exc.status != 400:
                    raise
                attach_error(form, exc)
            else:
                flash(f"{name} is created, at the end of the list. Add its moderators here.",
                      "success")  # fmt: skip
                return redirect(url_for("communities.manage", slug=slug))
        return render_template("admin/communities_new.html", form=form), 400
    return render_template("admin/communities_new.html", form=form)


@bp.route("/admin/communities/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit_community(slug: str):
    require_admin(actor())
    community = access_community(actor(), slug)
    if request.method == "GET":
        form = CommunityEditForm(obj=community)
        return render_template("admin/communities_edit.html", form=form, community=community)
    form = CommunityEditForm()
    if form.validate_on_submit():
        try:
            with atomic():
                name = actions.edit_community(
                    actor(),
                    slug,
                    name=form.name.data or "",
                    description=form.description.data or "",
                ).name
        except DomainError as exc:
            if exc.status != 400:
                raise
            attach_error(form, exc)
        else:
            flash(f"{name} is saved.", "success")
            return redirect(url_for("admin.communities"))
    community = access_community(actor(), slug)
    return render_template("admin/communities_edit.html", form=form, community=community), 400
