"""Account pages: register, verify, sign in and out, reset, settings, profiles, directories."""

import logging

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..auth import actor, is_safe_next, member_key, rate_limit
from ..communities import queries as community_queries
from ..db import atomic
from ..digests import settings as email_settings
from ..digests.choices import CATEGORIES
from ..errors import DomainError, Invalid, NotFound
from ..events import calendar_feeds
from ..extensions import db, limiter, login_manager
from ..forms import ConfirmForm, attach_error
from ..ids import as_id
from ..media import actions as media_actions
from ..sitesettings import current_settings
from . import actions, bp, invitations, queries
from .forms import (
    AvatarForm,
    EmailChoicesForm,
    EmailForm,
    InvitationForm,
    LoginForm,
    PasswordForm,
    ProfileForm,
    RegisterForm,
    ResetForm,
    ResetRequestForm,
)
from .models import User
from .rules import EMAIL_MAX, is_site_admin, normalise_email

log = logging.getLogger(__name__)

login_manager.login_view = "accounts.login"
login_manager.login_message = "Please sign in to see that page."
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """Sessions carry "<id>:<generation>:<key>": the key's session record must be open (a
    sign-out ends it) and the generation current (a password change bumps it)."""
    user_id, _, rest = session_id.partition(":")
    generation, _, key = rest.partition(":")
    user_id = as_id(user_id)
    if user_id is None or not key:
        return None
    return actions.signed_in(user_id, generation, key)


def _sign_in(user: User, *, remember: bool = False) -> bool:
    """Open a session record for this browser and sign it in (False: the account may not
    sign in: suspended, or waiting for an admin's approval)."""
    if not user.is_active:
        return False
    with atomic():
        user = db.session.merge(user)
        actions.start_session(user, request.user_agent.string)
    return login_user(user, remember=remember)


@bp.before_app_request
def _record_last_seen():
    # The endpoint first: static files and health checks never load the member.
    if request.endpoint in {"static", "health.healthz"} or not current_user.is_authenticated:
        return
    if actions.last_seen_is_stale(current_user):
        with atomic():
            actions.touch_last_seen(actor())


def _limit(name: str):
    return lambda: current_app.config["RATE_LIMITS"][name]


def _account_key() -> str:
    # Capped: the key is stored (in Redis when scaled out), and no address is that long.
    return "account:" + normalise_email(request.form.get("email", ""))[:EMAIL_MAX]


def _invalid(template: str, form, exc: DomainError, **context):
    attach_error(form, exc)
    return render_template(template, form=form, **context), exc.status


def _link_problem(exc: DomainError, kind: str):
    """The page for a mailed link that does not work; `kind` says how to get a new one."""
    return render_template("accounts/link_problem.html", message=exc.message, kind=kind), 400


# --- registration ---------------------------------------------------------------------------


@bp.route("/auth/register", methods=["GET", "POST"])
@limiter.limit(_limit("register_ip"), methods=["POST"])
@limiter.limit(_limit("register_account"), methods=["POST"], key_func=_account_key)
def register():
    if current_user.is_authenticated:
        return redirect(url_for("communities.home"))
    mode = current_settings().registration_mode
    if mode == "invitation":
        status = 403 if request.method == "POST" else 200
        return render_template("accounts/invitation_only.html"), status
    form = RegisterForm()
    form.fill()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("accounts/register.html", form=form, mode=mode), status
    email = normalise_email(form.email.data)
    if form.is_bot:
        log.info("registration: honeypot filled, nothing created")
        return render_template("accounts/check_inbox.html", email=email, mode=mode)
    try:
        with atomic():
            actions.register(
                email=form.email.data,
                display_name=form.display_name.data,
                password=form.password.data,
                organisation=form.organisation.data,
                organisation_other=form.organisation_other.data,
                email_choice=form.email_choice.data,
            )
    except DomainError as exc:
        return _invalid("accounts/register.html", form, exc, mode=mode)
    # The same page whether or not the address had an account: it never tells who has one.
    return render_template("accounts/check_inbox.html", email=email, mode=mode)


@bp.route("/auth/invitation/<token>", methods=["GET", "POST"])
@limiter.limit(_limit("register_ip"), methods=["POST"])
def invitation(token: str):
    """Register from an emailed invitation, whatever the registration mode: the address is
    the invitation's, confirmed by the link itself, so the new member is signed in at once."""
    if current_user.is_authenticated:
        flash("You are signed in already: sign out first to use an invitation.", "info")
        return redirect(url_for("communities.home"))
    try:
        invited = invitations.invitation_for_token(token)
    except DomainError as exc:
        return _invitation_problem(exc)
    form = InvitationForm()
    form.fill()
    context = {"invitation": invited, "token": token}
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("accounts/invitation.html", form=form, **context), status
    try:
        with atomic():
            user = invitations.accept(
                token,
                display_name=form.display_name.data,
                password=form.password.data,
                organisation=form.organisation.data,
                organisation_other=form.organisation_other.data,
                email_choice=form.email_choice.data,
            )
    except Invalid as exc:
        if exc.field:
            return _invalid("accounts/invitation.html", form, exc, **context)
        return _invitation_problem(exc)
    _sign_in(user)
    flash(f"Welcome to {current_settings().site_name}, {user.display_name}.", "success")
    return redirect(url_for("communities.home"))


def _invitation_problem(exc: DomainError):
    return render_template("accounts/link_problem.html", message=exc.message, kind="invite"), 400


@bp.route("/auth/verify/<token>", methods=["GET", "POST"])
def verify(token: str):
    """GET shows a button and POST confirms: mail scanners that follow links change nothing.

    The link signs the member in only while it confirms the address: once confirmed, it is
    no longer a way into the account.
    """
    try:
        user = actions.user_for_verify_token(token)
    except DomainError as exc:
        return _link_problem(exc, "verify")
    if user.is_verified:
        if current_user.is_authenticated and current_user.id == user.id:
            return redirect(url_for("communities.home"))
        flash("Your email address is already confirmed. Please sign in.", "info")
        return redirect(url_for("accounts.login"))
    form = ConfirmForm()
    if not form.validate_on_submit():
        return render_template("accounts/verify.html", form=form)
    try:
        with atomic():
            user = actions.verify_email(token)
    except DomainError as exc:
        return _link_problem(exc, "verify")
    if _sign_in(user):
        flash("Thank you: your email address is confirmed and you are signed in.", "success")
        return redirect(url_for("communities.home"))
    if user.is_awaiting_approval:
        flash(f"Thank you: your email address is confirmed. {actions.AWAITING_APPROVAL}", "info")
    else:
        flash("Your email address is confirmed, but this account is suspended.", "info")
    return redirect(url_for("accounts.login"))


# --- signing in and out ---------------------------------------------------------------------


@bp.route("/auth/login", methods=["GET", "POST"])
@limiter.limit(_limit("login_ip"), methods=["POST"])
@limiter.limit(
    _limit("login_account"),
    methods=["POST"],
    key_func=_account_key,
    deduct_when=lambda response: response.status_code != 302,
)
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    target = form.next.data if is_safe_next(form.next.data) else url_for("communities.home")
    if current_user.is_authenticated:
        return redirect(target)
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("accounts/login.html", form=form), status
    try:
        user = actions.authenticate(form.email.data, form.password.data)
    except actions.NotVerified as exc:
        with atomic():
            actions.resend_verification(exc.user_id)
        return _invalid("accounts/login.html", form, exc)
    except DomainError as exc:
        return _invalid("accounts/login.html", form, exc)
    if actions.needs_new_hash(user):
        with atomic():
            actions.upgrade_password_hash(user.id, form.password.data)
    _sign_in(user, remember=form.remember.data)
    return redirect(target)


@bp.route("/auth/logout", methods=["GET", "POST"])
def logout():
    form = ConfirmForm()
    if not current_user.is_authenticated:
        return redirect(url_for("communities.home"))
    if not form.validate_on_submit():
        return render_template("accounts/logout.html", form=form)
    with atomic():
        actions.end_session(actor())
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("communities.home"))


# --- password reset -------------------------------------------------------------------------


@bp.route("/auth/reset", methods=["GET", "POST"])
@limiter.limit(_limit("reset_ip"), methods=["POST"])
@limiter.limit(_limit("reset_account"), methods=["POST"], key_func=_account_key)
def reset_request():
    form = ResetRequestForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("accounts/reset_request.html", form=form), status
    with atomic():
        actions.request_password_reset(form.email.data)
    return render_template(
        "accounts/check_inbox.html",
        email=normalise_email(form.email.data),
        reset=True,
        valid_for=actions.link_lifetime(current_app.config["RESET_TOKEN_MAX_AGE"]),
    )


@bp.route("/auth/reset/<token>", methods=["GET", "POST"])
def reset(token: str):
    try:
        actions.user_for_reset_token(token)
    except DomainError as exc:
        return _link_problem(exc, "reset")
    form = ResetForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("accounts/reset.html", form=form), status
    try:
        with atomic():
            user = actions.reset_password(token, form.password.data)
    except DomainError as exc:
        return _invalid("accounts/reset.html", form, exc)
    if _sign_in(user):
        flash("Your password is changed and you are signed in.", "success")
        return redirect(url_for("communities.home"))
    flash("Your password is changed.", "success")
    return redirect(url_for("accounts.login"))


# --- settings -------------------------------------------------------------------------------


def _settings_forms(user: User, **bound) -> dict:
    profile = bound.get("profile") or ProfileForm(obj=user, formdata=None)
    profile.fill_organisations()
    if "profile" not in bound:
        profile.organisation.data = (
            str(user.organisation_id)
            if user.organisation_id
            else (actions.OTHER if user.organisation_other else "")
        )
    return {
        "profile": profile,
        "email_form": bound.get("email_form") or EmailForm(formdata=None),
        "password_form": bound.get("password_form") or PasswordForm(formdata=None),
        "email_choices": _email_choices_form(user, bound.get("email_choices")),
        "categories": CATEGORIES,
        "sessions_form": ConfirmForm(formdata=None),
        "avatar_form": bound.get("avatar_form") or AvatarForm(formdata=None),
        "avatar_remove_form": ConfirmForm(formdata=None),
        "avatar_limit": f"{media_actions.max_image_bytes() // media_actions.MB} MB",
        "calendar_feed_url": calendar_feeds.feed_url(user),  # the "Calendar feed" section
        "calendar_form": ConfirmForm(formdata=None),
    }


def _settings_page(status: int = 200, **bound):
    return render_template("accounts/settings.html", **_settings_forms(actor(), **bound)), status


@bp.get("/settings")
@login_required
def settings():
    return _settings_page()


@bp.post("/settings/email-confirm-working")
@login_required
def confirm_email_working():
    """The banner's "It is right, try again": optional mail goes to the address again."""
    with atomic():
        actions.confirm_email_working(actor())
    flash("Thank you: we will send mail to your address again.", "success")
    return redirect(url_for("accounts.settings", _anchor="email"))


@bp.post("/settings/profile")
@login_required
def update_profile():
    form = ProfileForm()
    form.fill_organisations()
    if not form.validate_on_submit():
        return _settings_page(400, profile=form)
    try:
        with atomic():
            actions.update_profile(
                actor(),
                current_user.id,
                display_name=form.display_name.data,
                organisation=form.organisation.data,
                organisation_other=form.organisation_other.data,
                bio=form.bio.data,
                timezone=form.timezone.data,
            )
    except DomainError as exc:
        attach_error(form, exc)
        return _settings_page(400, profile=form)
    flash("Your profile is saved.", "success")
    return redirect(url_for("accounts.settings"))


@bp.post("/settings/avatar")
@login_required
@limiter.limit(rate_limit("upload_requests"), key_func=member_key)
def upload_avatar():
    form = AvatarForm()
    sent = form.picture.data
    try:
        if not form.validate_on_submit() or not getattr(sent, "filename", ""):
            raise Invalid("Choose a picture to upload.", field="picture")
        with atomic():
            media_actions.set_avatar(
                actor(), sent.filename, media_actions.read_limited(sent.stream)
            )
    except DomainError as exc:
        if isinstance(exc, Invalid) and exc.field in (None, "file"):
            exc.field = "picture"  # the upload check names its field "file"
        attach_error(form, exc)
        return _settings_page(exc.status, avatar_form=form)
    flash("Your profile picture is saved.", "success")
    return redirect(url_for("accounts.settings"))


@bp.post("/settings/avatar/remove")
@login_required
def remove_avatar():
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _settings_page(400)
    with atomic():
        media_actions.remove_avatar(actor())
    flash("Your profile picture is removed: your initials show instead.", "success")
    return redirect(url_for("accounts.settings"))


@bp.post("/settings/email")
@login_required
def change_email():
    form = EmailForm()
    if not form.validate_on_submit():
        return _settings_page(400, email_form=form)
    try:
        with atomic():
            actions.request_email_change(
                actor(), new_email=form.new_email.data, current_password=form.current_password.data
            )
    except DomainError as exc:
        attach_error(form, exc)
        return _settings_page(400, email_form=form)
    flash(
        f"We have sent a link to {normalise_email(form.new_email.data)}. Your address changes "
        "when you open it.",
        "success",
    )
    return redirect(url_for("accounts.settings"))


@bp.route("/auth/email/<token>", methods=["GET", "POST"])
def confirm_email(token: str):
    try:
        pending = actions.user_for_email_token(token).pending_email
    except DomainError as exc:
        return _link_problem(exc, "email")
    form = ConfirmForm()
    if not form.validate_on_submit():
        return render_template("accounts/confirm_email.html", form=form, new_email=pending)
    try:
        with atomic():
            actions.confirm_email_change(token)
    except DomainError as exc:
        return _link_problem(exc, "email")
    flash("Your email address is changed.", "success")
    return redirect(
        url_for("accounts.settings" if current_user.is_authenticated else "accounts.login")
    )


def _email_choices_form(user: User, form: EmailChoicesForm | None) -> EmailChoicesForm:
    form = form or EmailChoicesForm(formdata=None)
    form.fill(user, email_settings.joined_communities(user))
    return form


@bp.post("/settings/email-choices")
@login_required
def update_email_choices():
    user = actor()
    form = _email_choices_form(user, EmailChoicesForm())
    if not form.validate_on_submit():
        return _settings_page(400, email_choices=form)
    try:
        with atomic():
            email_settings.save_email_choices(
                actor(),
                deliveries={name: form[f"delivery_{name}"].data for name in CATEGORIES},
                frequency=form.digest_frequency.data or "",
                day=int(form.digest_day.data),
                hour=int(form.digest_hour.data),
                included_ids={int(v) for v in form.included.data or [] if v.isdigit()},
                resume=form.resume.data,
            )
    except DomainError as exc:
        attach_error(form, exc)
        return _settings_page(400, email_choices=form)
    flash("Your email choices are saved.", "success")
    return redirect(url_for("accounts.settings", _anchor="email-choices"))


@bp.post("/settings/password")
@login_required
def change_password():
    form = PasswordForm()
    if not form.validate_on_submit():
        return _settings_page(400, password_form=form)
    try:
        with atomic():
            user = actions.change_password(
                actor(),
                current_password=form.current_password.data,
                new_password=form.new_password.data,
            )
    except DomainError as exc:
        attach_error(form, exc)
        return _settings_page(400, password_form=form)
    login_user(user, remember=_had_remember_cookie())
    flash("Your password is changed. Every other device has been signed out.", "success")
    return redirect(url_for("accounts.settings"))


@bp.post("/settings/sessions")
@login_required
def end_sessions():
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _settings_page(400)
    with atomic():
        user = actor()
        actions.end_other_sessions(user)
    login_user(user, remember=_had_remember_cookie())
    flash("Every other device has been signed out.", "success")
    return redirect(url_for("accounts.settings"))


def _had_remember_cookie() -> bool:
    return current_app.config["REMEMBER_COOKIE_NAME"] in request.cookies


# --- people and organisations ---------------------------------------------------------------


@bp.get("/u/<int:user_id>")
@login_required
def profile(user_id: int):
    from .flaggable import flag_state  # imported after this module: see __init__

    viewer = actor()
    user = actions.access_user(viewer, user_id)
    memberships = community_queries.memberships_visible_to(user, viewer)
    can_flag, flagged = flag_state(viewer, user)
    return render_template(
        "accounts/profile.html", user=user, memberships=memberships,
        can_administer=is_site_admin(viewer), can_flag=can_flag, flagged=flagged,
    )  # fmt: skip


@bp.get("/members")
@login_required
def members():
    q = request.args.get("q", "").strip()[:100]
    page = queries.member_directory(q=q, after=request.args.get("after"))
    return render_template("accounts/members.html", q=q, page=page)


@bp.get("/orgs")
def organisations():
    return render_template("accounts/organisations.html", rows=queries.organisations_with_counts())


@bp.get("/orgs/<slug>")
def organisation(slug: str):
    try:
        org = queries.organisation_by_slug(slug)
    except NotFound:
        from .organisations import survivor_of

        survivor = survivor_of(slug)  # merged away: its address leads to the one that stayed
        if survivor is None:
            raise
        return redirect(url_for("accounts.organisation", slug=survivor.slug))
    page = (
        queries.member_directory(organisation_id=org.id, after=request.args.get("after"))
        if current_user.is_authenticated
        else None
    )
    from ..resources.queries import of_organisation
    from ..threads.queries import started_by_organisation

    return render_template(
        "accounts/organisation.html",
        org=org,
        page=page,
        resources=of_organisation(current_user, org.id),
        threads=started_by_organisation(current_user, org.id),
    )
