"""/admin/members: every account, its role, and registrations waiting for approval."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required

from ..accounts import actions as account_actions
from ..accounts import administration, queries
from ..accounts.rules import require_admin
from ..auth import actor
from ..db import atomic
from ..errors import Invalid
from ..forms import ConfirmForm, attach_error
from . import bp
from .confirm import confirmed
from .forms import RoleForm, SuspendForm


@bp.get("/admin/members")
@login_required
def members():
    require_admin(actor())
    q = request.args.get("q", "").strip()[:100]
    state = request.args.get("state", "all")
    if state not in queries.ADMIN_FILTERS:
        state = "all"
    page = queries.admin_member_list(q=q, state=state, after=request.args.get("after"))
    return render_template(
        "admin/members.html", page=page, q=q, state=state, filters=queries.ADMIN_FILTERS,
        awaiting=administration.awaiting_approval_count(),
    )  # fmt: skip


def member_page(user_id: int, status: int = 200, **forms):
    """The admin's page of one member, with whichever of its forms was just sent."""
    admin = actor()
    require_admin(admin)
    member = account_actions.access_user(admin, user_id)
    return (
        render_template(
            "admin/member.html",
            member=member,
            form=forms.get("form") or SuspendForm(formdata=None),
            role_form=forms.get("role_form") or RoleForm(formdata=None, role=member.site_role),
            action_form=ConfirmForm(formdata=None),
            can_suspend=member.id != admin.id,
        ),
        status,
    )


@bp.post("/admin/members/<int:user_id>/role")
@login_required
def set_role(user_id: int):
    require_admin(actor())
    form = RoleForm()
    if form.validate_on_submit():
        try:
            with atomic():
                member = account_actions.access_user(actor(), user_id)
                administration.set_site_role(actor(), member, form.role.data or "")
                name, is_admin = member.display_name, member.is_admin
        except Invalid as exc:
            attach_error(form, exc)
        else:
            flash(f"{name} is {'an admin' if is_admin else 'a member, not an admin'} now.",
                  "success")  # fmt: skip
            return redirect(url_for("admin.member", user_id=user_id))
    return member_page(user_id, 400, role_form=form)


def _member_action(user_id: int, act, done: str, then: str | None = None):
    """A confirm-button action on a member: `act(admin, member)`, then `done` (formatted
    with the member's name); a refusal comes back as a message on the member's page."""

    def run() -> dict:
        member = account_actions.access_user(actor(), user_id)
        name = member.display_name
        act(actor(), member)
        return {"name": name}

    page = url_for("admin.member", user_id=user_id)
    return confirmed(run, done, then=then or page, refused=page,
                     bad_form=lambda: member_page(user_id, 400))  # fmt: skip


@bp.post("/admin/members/<int:user_id>/approve")
@login_required
def approve(user_id: int):
    return _member_action(user_id, administration.approve_registration,
                          "{name}'s account is approved: they are told by mail.")  # fmt: skip


@bp.post("/admin/members/<int:user_id>/decline")
@login_required
def decline(user_id: int):
    return _member_action(
        user_id, administration.decline_registration,
        "{name}'s registration is declined and removed: they are told by mail.",
        then=url_for("admin.members", state="awaiting"),
    )  # fmt: skip


@bp.post("/admin/members/<int:user_id>/resend-verification")
@login_required
def resend_verification(user_id: int):
    return _member_action(user_id, administration.resend_verification,
                          "A new confirmation link is on its way to {name}.")  # fmt: skip
