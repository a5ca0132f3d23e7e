"""Administration pages (admins only)."""

from flask import flash, redirect, render_template, url_for
from flask_login import login_required

from ..accounts import actions as account_actions
from ..accounts import administration
from ..accounts.rules import require_admin
from ..auth import actor
from ..communities.queries import communities_for, moderators_by_community
from ..db import atomic
from ..digests import build as digest_build
from ..errors import DomainError
from ..forms import ConfirmForm, attach_error
from ..moderation.queries import recent_audit
from ..sitesettings import current_settings
from . import bp
from .audited import MODE_WORDS
from .forms import SuspendForm
from .members import member_page

AUDIT_ROWS = 50


@bp.get("/admin")
@login_required
def index():
    user = actor()
    require_admin(user)
    communities = communities_for(user, archived=True)
    return render_template(
        "admin/index.html",
        communities=communities,
        moderators=moderators_by_community([c.id for c, _ in communities], everyone=True),
        audit=recent_audit(AUDIT_ROWS),
        awaiting=administration.awaiting_approval_count(),
        settings=current_settings(),
        mode_words=MODE_WORDS,
    )


# --- a member: suspension -------------------------------------------------------------------


@bp.get("/admin/members/<int:user_id>")
@login_required
def member(user_id: int):
    return member_page(user_id)


@bp.post("/admin/members/<int:user_id>/suspend")
@login_required
def suspend(user_id: int):
    require_admin(actor())  # before the form: nobody else could correct it
    form = SuspendForm()
    if form.validate_on_submit():
        try:
            with atomic():
                target = account_actions.access_user(actor(), user_id)
                account_actions.suspend_member(actor(), target, form.reason.data, form.until.data)
                name = target.display_name
        except DomainError as exc:
            if exc.status != 400:
                raise
            attach_error(form, exc)
        else:
            flash(f"{name} is suspended: they are signed out everywhere and told by mail.",
                  "success")  # fmt: skip
            return redirect(url_for("admin.member", user_id=user_id))
    return member_page(user_id, 400, form=form)


@bp.post("/admin/members/<int:user_id>/unsuspend")
@login_required
def unsuspend(user_id: int):
    require_admin(actor())
    if not ConfirmForm().validate_on_submit():
        return member_page(user_id, 400)
    with atomic():
        target = account_actions.access_user(actor(), user_id)
        account_actions.unsuspend_member(actor(), target)
        name = target.display_name
    flash(f"{name} is no longer suspended.", "success")
    return redirect(url_for("admin.member", user_id=user_id))


@bp.get("/admin/members/<int:user_id>/digest")
@login_required
def digest_preview(user_id: int):
    """The digest the member would get now, as `flask digests preview` prints it."""
    admin = actor()
    require_admin(admin)
    member = account_actions.access_user(admin, user_id)
    subject, text, html = digest_build.preview(member)
    return render_template(
        "admin/digest_preview.html", member=member, subject=subject, text=text, html=html
    )
