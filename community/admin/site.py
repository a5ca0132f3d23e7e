"""/admin/settings (the site's name, contact address, registration mode, the public health
summary) and /admin/invitations."""

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import login_required

from .. import sitesettings
from ..accounts import invitations
from ..accounts.rules import require_admin
from ..auth import actor
from ..db import atomic
from ..errors import Invalid
from ..forms import ConfirmForm, attach_error
from . import bp
from .confirm import confirmed
from .forms import InviteForm, SettingsForm


def _settings_page(form: SettingsForm | None = None, status: int = 200):
    require_admin(actor())
    current = sitesettings.current_settings()
    return (
        render_template(
            "admin/settings.html",
            form=form or SettingsForm(formdata=None, obj=current),
            site_url=current_app.config["SITE_URL"],
            settings=current,
        ),
        status,
    )


@bp.get("/admin/settings")
@login_required
def settings():
    return _settings_page()


@bp.post("/admin/settings")
@login_required
def save_settings():
    require_admin(actor())
    form = SettingsForm()
    if form.validate_on_submit():
        try:
            with atomic():
                sitesettings.update_settings(
                    actor(),
                    site_name=form.site_name.data,
                    contact_email=form.contact_email.data,
                    registration_mode=form.registration_mode.data or "",
                    health_public=form.health_public.data,
                )
        except Invalid as exc:
            attach_error(form, exc)
        else:
            flash("The settings are saved.", "success")
            return redirect(url_for("admin.settings"))
    return _settings_page(form, 400)


def _invitations_page(form: InviteForm | None = None, status: int = 200):
    require_admin(actor())
    return (
        render_template(
            "admin/invitations.html",
            form=form or InviteForm(formdata=None),
            action_form=ConfirmForm(formdata=None),
            invitations=invitations.invitations(),
            state=invitations.state,
            mode=sitesettings.current_settings().registration_mode,
            days=invitations.INVITATION_DAYS,
        ),
        status,
    )


@bp.get("/admin/invitations")
@login_required
def invitations_page():
    return _invitations_page()


@bp.post("/admin/invitations")
@login_required
def invite():
    require_admin(actor())
    form = InviteForm()
    if form.validate_on_submit():
        try:
            with atomic():
                sent = invitations.invite(actor(), form.email.data or "", form.message.data or "")
                email = sent.email
        except Invalid as exc:
            attach_error(form, exc)
        else:
            flash(f"The invitation is on its way to {email}.", "success")
            return redirect(url_for("admin.invitations_page"))
    return _invitations_page(form, 400)


def _invitation_action(invitation_id: int, act, done: str):
    page = url_for("admin.invitations_page")
    return confirmed(
        lambda: {"email": act(actor(), invitation_id).email}, done,
        then=page, refused=page, bad_form=lambda: _invitations_page(status=400),
    )  # fmt: skip


@bp.post("/admin/invitations/<int:invitation_id>/resend")
@login_required
def resend_invitation(invitation_id: int):
    return _invitation_action(invitation_id, invitations.resend,
                              "A new invitation link is on its way to {email}.")  # fmt: skip


@bp.post("/admin/invitations/<int:invitation_id>/revoke")
@login_required
def revoke_invitation(invitation_id: int):
    return _invitation_action(
        invitation_id, invitations.revoke,
        "The invitation to {email} is withdrawn: its link no longer works.",
    )  # fmt: skip
