"""Site pages: /pages/<slug> for everyone, the footer's links, and the admins' editor at
/admin/pages (list, new, edit with preview, revisions with a diff, restore, delete)."""

import logging

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy.exc import SQLAlchemyError

from .. import markup, sitecache
from ..accounts.rules import require_admin
from ..auth import actor
from ..db import atomic
from ..errors import DomainError, NotFound
from ..extensions import db
from ..forms import ConfirmForm, attach_error
from ..sitesettings import contact_address
from . import actions, bp, diff, rules
from .forms import NewPageForm, PageForm

log = logging.getLogger(__name__)


# --- the public page and the footer ----------------------------------------------------------


@bp.get("/pages/<slug>")
def show(slug: str):
    try:
        page = actions.access_page(slug)
    except NotFound:
        # A page moved to another address, or an address typed in capitals: send it on.
        moved = actions.moved_to(slug) or _lower_case(slug)
        if moved is None:
            raise
        return redirect(url_for("pages.show", slug=moved))
    return render_template("pages/show.html", page=page, contact_email=contact_address().strip())


def _lower_case(slug: str) -> str | None:
    lowered = slug.lower()
    if lowered == slug:
        return None
    try:
        return actions.access_page(lowered).slug
    except NotFound:
        return actions.moved_to(lowered)


def _footer_pages() -> list[tuple[str, str]]:
    """The footer's links, held until the site changes. An error page must still render
    when the database cannot answer, so a failure here leaves the footer without them."""
    try:
        return sitecache.held("footer_pages", actions.footer_pages)
    except SQLAlchemyError:
        log.warning("the footer's site pages could not be read", exc_info=True)
        db.session.rollback()
        return []


@bp.app_context_processor
def footer_helpers() -> dict:
    # Called from the footer, so only pages that render it pay for the query.
    return {"footer_pages": _footer_pages}


# --- the admins' pages -------------------------------------------------------------------------


@bp.get("/admin/pages")
@login_required
def admin_list():
    pages = actions.pages_for_admin(actor())
    return render_template("pages/admin_list.html", pages=pages)


@bp.route("/admin/pages/new", methods=["GET", "POST"])
@login_required
def new():
    require_admin(actor())  # before the form: nobody else could correct it
    form = NewPageForm()
    if form.is_submitted() and form.preview.data:
        return _form_page(form, None, preview=markup.render(form.body.data or ""))
    if not form.validate_on_submit():
        return _form_page(form, None, status=400 if form.is_submitted() else 200)
    try:
        with atomic():
            page = actions.create_page(actor(), _fields(form))
            slug = page.slug
    except DomainError as exc:
        if exc.status != 400:
            raise
        attach_error(form, exc)
        return _form_page(form, None, status=400)
    flash("The page is saved. Here it is as everyone sees it.", "success")
    return redirect(url_for("pages.show", slug=slug))


@bp.route("/admin/pages/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str):
    page = actions.page_for_admin(actor(), slug)
    if request.method == "GET":
        form = PageForm(obj=page)
        form.based_on.data = str(page.revision_count)
        form.position.data = str(page.position)
        return _form_page(form, page)
    form = PageForm()
    if form.preview.data:
        return _form_page(form, page, preview=markup.render(form.body.data or ""))
    if not form.validate_on_submit():
        return _form_page(form, page, status=400)
    try:
        with atomic():
            saved = actions.edit_page(
                actor(), slug, _fields(form), based_on=form.based_on_revision()
            )
            new_slug = saved.slug
    except DomainError as exc:
        if exc.status not in (400, 409):
            raise
        attach_error(form, exc)
        if exc.status == 409:  # saving again now replaces the newer revision, knowingly
            db.session.rollback()
            form.based_on.data = str(actions.access_page(slug).revision_count)
        return _form_page(form, page, status=exc.status)
    flash("The page is saved. Here it is as everyone sees it.", "success")
    return redirect(url_for("pages.show", slug=new_slug))


def _fields(form: PageForm) -> actions.PageFields:
    return actions.PageFields(
        title=form.title.data or "", slug=form.slug.data or "", body=form.body.data or "",
        in_footer=bool(form.in_footer.data), position=form.position.data or "",
    )  # fmt: skip


def _form_page(form: PageForm, page, *, preview: str | None = None, status: int = 200):
    html = render_template(
        "pages/admin_form.html",
        form=form,
        page=page,
        preview=preview,
        slug_max=rules.SLUG_MAX,
        title_max=rules.TITLE_MAX,
    )
    return html, status


@bp.route("/admin/pages/<slug>/delete", methods=["GET", "POST"])
@login_required
def delete(slug: str):
    page = actions.page_for_admin(actor(), slug)
    form = ConfirmForm()
    if request.method == "POST":
        if form.validate_on_submit():
            with atomic():
                title = actions.delete_page(actor(), slug)
            flash(f"The page “{title}” is deleted, with its revisions.", "success")
            return redirect(url_for("pages.admin_list"))
        status = 400
    else:
        status = 200
    html = render_template(
        "pages/admin_delete.html",
        page=page,
        form=form,
        standard=page.slug in rules.STANDARD_SLUGS,
    )
    return html, status


@bp.get("/admin/pages/<slug>/revisions")
@login_required
def revisions(slug: str):
    page, rows = actions.revisions_of(actor(), slug)
    return render_template("pages/admin_revisions.html", page=page, revisions=rows)


@bp.get("/admin/pages/<slug>/revisions/<int:number>")
@login_required
def revision(slug: str, number: int):
    page, found = actions.revision_of(actor(), slug, number)
    return render_template(
        "pages/admin_revision.html",
        page=page,
        revision=found,
        html=markup.render(found.body),
        hunks=diff.line_diff(found.body, page.body),
        form=ConfirmForm(formdata=None),
        current=(found.title, found.body) == (page.title, page.body),
    )


@bp.post("/admin/pages/<slug>/revisions/<int:number>/restore")
@login_required
def restore(slug: str, number: int):
    require_admin(actor())
    if not ConfirmForm().validate_on_submit():
        flash("That form had expired: please restore the revision again.", "error")
        return redirect(url_for("pages.revision", slug=slug, number=number))
    try:
        with atomic():
            page = actions.restore_revision(actor(), slug, number)
            made = page.revision_count
    except DomainError as exc:
        if exc.status != 400:
            raise
        flash(exc.message, "info")
        return redirect(url_for("pages.revision", slug=slug, number=number))
    flash(f"Revision {number} is restored: it is now the page's revision {made}.", "success")
    return redirect(url_for("pages.show", slug=slug))
