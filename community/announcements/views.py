"""Announcement pages: the admins' list, new, one announcement (shown and edited there),
withdrawing, the email's confirmation; and every page's banner with its Dismiss button."""

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import markup
from ..accounts.rules import require_admin
from ..auth import actor, is_safe_next
from ..db import atomic
from ..errors import DomainError
from ..forms import ConfirmForm, attach_error
from ..web import reader_timezone, to_local, wants_json
from . import actions, banner, bp, queries
from .forms import AnnouncementForm
from .recipients import counts

# --- the banner --------------------------------------------------------------------------------


@bp.app_context_processor
def banner_helpers() -> dict:
    """`announcement_banners()` in templates: what base.html shows under the header."""

    def announcement_banners():
        return banner.for_reader(current_user)

    return {"announcement_banners": announcement_banners}


@bp.post("/announcements/<int:announcement_id>/dismiss")
def dismiss(announcement_id: int):
    """Hide a banner for the signed-in member; back to the page it was on (JSON for the
    page's script). A signed-out visitor cannot: nothing is kept for them."""
    with atomic():
        actions.dismiss(actor() if current_user.is_authenticated else None, announcement_id)
    if wants_json():
        return jsonify(ok=True)
    back = request.form.get("next")
    target = back if is_safe_next(back) else url_for("communities.home")
    return redirect(target)


# --- the admins' pages -------------------------------------------------------------------------


@bp.get("/admin/announcements")
@login_required
def index():
    page = queries.announcements_page(actor(), request.args.get("after"))
    return render_template("announcements/index.html", page=page)


def _initial(announcement) -> dict:
    zone = reader_timezone()

    def wall(value):
        return to_local(value, zone).replace(tzinfo=None) if value else None

    return {
        "title": announcement.title,
        "body": announcement.body,
        "audience": announcement.community.slug if announcement.community else actions.EVERYONE,
        "banner_from": wall(announcement.banner_from),
        "banner_until": wall(announcement.banner_until),
    }


def _form(data: dict | None = None, *, submitted: bool = False) -> AnnouncementForm:
    form = AnnouncementForm() if submitted else AnnouncementForm(formdata=None, data=data or {})
    form.fill(actions.audience_choices(), reader_timezone())
    return form


def _details(form: AnnouncementForm) -> actions.AnnouncementDetails:
    return actions.AnnouncementDetails(
        title=form.title.data or "",
        body=form.body.data or "",
        audience=form.audience.data or "",
        banner_from=form.banner_from.data,
        banner_until=form.banner_until.data,
        timezone=reader_timezone(),
    )


def _form_page(template: str, form: AnnouncementForm, status: int = 200, **context):
    return render_template(template, form=form, zone=reader_timezone(), **context), status


def _save(form: AnnouncementForm, template: str, save, **context):
    """The form sent: its preview, its errors (what was typed kept), or `save` (an action,
    in the transaction) and where to go next."""
    if form.preview.data:
        form.validate()
        preview = markup.render(form.body.data or "")
        return _form_page(template, form, preview=preview, **context)
    if not form.validate():
        return _form_page(template, form, 400, **context)
    try:
        with atomic():
            saved = save(_details(form))
            saved_id, asked = saved.id, saved.email_requested_at is not None
    except DomainError as exc:
        if exc.field is None and exc.status in (403, 404):
            raise
        attach_error(form, exc)
        return _form_page(template, form, 400, **context)
    if form.send_email.data and not asked:
        flash("The announcement is saved. Check who will get the email, then send it.", "success")
        return redirect(url_for("announcements.email", announcement_id=saved_id))
    flash("The announcement is saved.", "success")
    return redirect(url_for("announcements.show", announcement_id=saved_id))


@bp.route("/admin/announcements/new", methods=["GET", "POST"])
@login_required
def new():
    user = actor()
    require_admin(user)  # before the form: nobody else could correct it
    if request.method == "GET":
        return _form_page("announcements/new.html", _form())
    form = _form(submitted=True)
    return _save(form, "announcements/new.html",
                 lambda details: actions.create_announcement(user, details))  # fmt: skip


def _show_context(announcement) -> dict:
    return {
        "announcement": announcement,
        "listed": queries.listed(announcement),
        "action_form": ConfirmForm(formdata=None),
    }


@bp.route("/admin/announcements/<int:announcement_id>", methods=["GET", "POST"])
@login_required
def show(announcement_id: int):
    """One announcement: what it says and its state, the form to change it, Withdraw."""
    user = actor()
    announcement = actions.access_announcement(user, announcement_id)
    context = _show_context(announcement)
    if request.method == "GET":
        return _form_page("announcements/show.html", _form(_initial(announcement)), **context)
    form = _form(submitted=True)
    return _save(
        form, "announcements/show.html",
        lambda details: actions.edit_announcement(user, announcement_id, details), **context,
    )  # fmt: skip


@bp.post("/admin/announcements/<int:announcement_id>/withdraw")
@login_required
def withdraw(announcement_id: int):
    with atomic():
        actions.withdraw_announcement(actor(), announcement_id)
    flash("The announcement is withdrawn: its banner no longer shows.", "success")
    return redirect(url_for("announcements.show", announcement_id=announcement_id))


@bp.route("/admin/announcements/<int:announcement_id>/email", methods=["GET", "POST"])
@login_required
def email(announcement_id: int):
    """GET: who would get the email (and who would not), and one button. POST: send it."""
    user = actor()
    announcement = actions.access_announcement(user, announcement_id)
    if request.method == "POST":
        form = ConfirmForm()
        if form.validate_on_submit():
            try:
                with atomic():
                    sent = actions.request_email(user, announcement_id)
                    recipients = sent.email_total
            except DomainError as exc:
                if exc.status != 400:
                    raise
                attach_error(form, exc)
            else:
                flash(f"The email is on its way to {recipients:,} members: its progress "
                      "shows below.", "success")  # fmt: skip
                return redirect(url_for("announcements.show", announcement_id=announcement_id))
        status = 400
    else:
        form, status = ConfirmForm(formdata=None), 200
    announcement = actions.access_announcement(user, announcement_id)
    return render_template(
        "announcements/email.html", announcement=announcement, form=form,
        figures=counts(announcement), asked=announcement.email_requested_at is not None,
    ), status  # fmt: skip
