"""/admin/organisations: the organisations list (admins only): add, edit, merge a duplicate."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required

from ..accounts import organisations as actions
from ..accounts.rules import require_admin
from ..auth import actor
from ..db import atomic
from ..errors import DomainError
from ..forms import attach_error
from . import bp
from .structure_forms import MergeChoiceForm, MergeForm, OrganisationForm

SEARCH_MAX = 100


def _refusal_shown(form, exc: DomainError) -> None:
    """A 400 is the form's to show; anything else (403, 404) is the error page's."""
    if exc.status != 400:
        raise exc
    attach_error(form, exc)


@bp.get("/admin/organisations")
@login_required
def organisations():
    q = request.args.get("q", "")[:SEARCH_MAX]
    rows = actions.organisations_for_admin(actor(), q=q)
    return render_template("admin/organisations.html", rows=rows, q=q)


def _form_page(form: OrganisationForm, *, org=None, status: int = 200):
    return (
        render_template(
            "admin/organisations_form.html", form=form, org=org, kinds=actions.kinds_in_use()
        ),
        status,
    )


@bp.route("/admin/organisations/new", methods=["GET", "POST"])
@login_required
def new_organisation():
    require_admin(actor())  # before the form: nobody else could correct it
    form = OrganisationForm()
    if request.method == "GET":
        return _form_page(form)
    if form.validate_on_submit():
        try:
            with atomic():
                org = actions.add_organisation(actor(), form.details())
                name = org.name
        except DomainError as exc:
            _refusal_shown(form, exc)
        else:
            flash(f"“{name}” is on the list: members can choose it now.", "success")
            return redirect(url_for("admin.organisations"))
    return _form_page(form, status=400)


@bp.route("/admin/organisations/<int:org_id>/edit", methods=["GET", "POST"])
@login_required
def edit_organisation(org_id: int):
    org = actions.access_organisation(actor(), org_id)
    if request.method == "GET":
        return _form_page(OrganisationForm(obj=org), org=org)
    form = OrganisationForm()
    if form.validate_on_submit():
        try:
            with atomic():
                name = actions.edit_organisation(actor(), org_id, form.details()).name
        except DomainError as exc:
            _refusal_shown(form, exc)
        else:
            flash(f"“{name}” is saved.", "success")
            return redirect(url_for("admin.organisations"))
    return _form_page(form, org=actions.access_organisation(actor(), org_id), status=400)


# --- merging a duplicate ---------------------------------------------------------------------


def _choice_page(org, form: MergeChoiceForm, status: int = 200):
    candidates = actions.merge_candidates(actor(), org)
    form.survivor.choices = [("", "Choose…")] + [(str(o.id), o.name) for o in candidates]
    return (
        render_template(
            "admin/organisations_merge.html", org=org, form=form, has_others=bool(candidates)
        ),
        status,
    )


@bp.get("/admin/organisations/<int:org_id>/merge")
@login_required
def merge_organisation(org_id: int):
    """Choose the organisation that stays; with ?survivor=, the confirmation of what moves."""
    org = actions.access_organisation(actor(), org_id)
    choice = MergeChoiceForm(request.args)
    if "survivor" not in request.args:
        return _choice_page(org, MergeChoiceForm(formdata=None))
    try:
        plan = actions.plan_merge(actor(), org_id, choice.survivor.data)
    except DomainError as exc:
        _refusal_shown(choice, exc)
        return _choice_page(org, choice, 400)
    return render_template(
        "admin/organisations_merge_confirm.html",
        plan=plan,
        form=MergeForm(formdata=None, survivor=str(plan.survivor.id)),
    )


@bp.post("/admin/organisations/<int:org_id>/merge")
@login_required
def merge_organisation_confirmed(org_id: int):
    org = actions.access_organisation(actor(), org_id)
    form = MergeForm()
    choice = MergeChoiceForm(formdata=None, survivor=form.survivor.data)
    if not form.validate_on_submit():
        choice.form_errors.append("The form had expired: choose the organisation that stays again.")
        return _choice_page(org, choice, 400)
    try:
        with atomic():
            done = actions.merge_organisations(actor(), org_id, form.survivor.data)
            survivor, merged = done.survivor.name, done.merged_name
            members, resources = done.members, done.resources
    except DomainError as exc:
        _refusal_shown(choice, exc)
        return _choice_page(actions.access_organisation(actor(), org_id), choice, 400)
    flash(
        f"“{merged}” is merged into “{survivor}”: {_counted(members, 'member')} and "
        f"{_counted(resources, 'resource')} moved.",
        "success",
    )
    return redirect(url_for("admin.organisations"))


def _counted(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


bp.add_app_template_filter(_counted, "admin_count")
