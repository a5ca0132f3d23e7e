"""Accounts: registration, verification, sign-in, password reset, profile and settings."""

import hashlib
import re
import secrets
import unicodedata
from datetime import date, datetime, time

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .. import markup, realtime, signals
from ..db import utcnow
from ..digests.choices import (
    REGISTRATION_DEFAULT,
    apply_registration_choice,
    check_registration_choice,
)
from ..errors import Forbidden, Invalid, NotFound
from ..extensions import db
from ..ids import as_id
from ..links import absolute_url
from ..mail import queue_mail
from ..sitesettings import current_settings, site_name
from . import passwords, rules
from .bounces import clear_bounces
from .models import Organisation, User, UserSession
from .tokens import BROKEN, make_token, read_token

OTHER = "other"
SIGN_IN_FAILED = "That email and password do not match an account."
INVITATION_ONLY = (
    "Joining is by invitation only: ask the site's admins for an invitation to your address."
)


AWAITING_APPROVAL = (
    "Your account is waiting for an admin's approval: we will email you as soon as it is approved."
)
CONFIRM_FIRST = (
    "Please confirm your email address first: we have sent you a new link. "
    "It can take a minute to arrive."
)


class NotVerified(Invalid):
    """The password was right but the address is not confirmed yet.

    The sign-in's transaction rolls back, so the caller sends the new link in a transaction
    of its own with `resend_verification(exc.user_id)`.
    """

    def __init__(self, user_id: int):
        super().__init__(CONFIRM_FIRST)
        self.user_id = user_id


# --- look-ups -------------------------------------------------------------------------------


def find_user_by_email(email: str) -> User | None:
    email = rules.normalise_email(email)
    if not email or len(email) > rules.EMAIL_MAX or not email.isprintable():
        return None  # no account has such an address (and PostgreSQL refuses NUL bytes)
    return db.session.scalar(select(User).where(User.email == email))


def access_user(viewer: User, user_id: int) -> User:
    """A member's profile: signed-in members see verified, active members; admins see all."""
    user_id = as_id(user_id)
    user = db.session.get(User, user_id) if user_id else None
    if user is None or not viewer.is_authenticated:
        raise NotFound()
    if not viewer.is_admin and not user.is_listed:
        raise NotFound()
    return user


def organisation_choices() -> list[Organisation]:
    return list(db.session.scalars(select(Organisation).order_by(func.lower(Organisation.name))))


def resolve_organisation(choice: str | None, other: str) -> tuple[int | None, str]:
    """The form's organisation choice: an organisation id, or OTHER with a typed name."""
    if choice == OTHER:
        return None, rules.check_organisation_other(other)
    if not choice:
        raise Invalid("Choose your organisation, or choose Other.", field="organisation")
    org_id = as_id(choice)
    org = db.session.get(Organisation, org_id) if org_id else None
    if org is None:
        raise Invalid("That organisation is not on the list.", field="organisation")
    return org.id, ""


def link_lifetime(seconds: int) -> str:
    """How long a mailed link works, in words: "48 hours", "an hour", "30 minutes"."""
    if seconds >= 3600 and seconds % 3600 == 0:
        hours = seconds // 3600
        return "an hour" if hours == 1 else f"{hours} hours"
    minutes = max(seconds // 60, 1)
    return "a minute" if minutes == 1 else f"{minutes} minutes"


# --- registration and verification ----------------------------------------------------------


def register(
    *,
    email: str,
    display_name: str,
    password: str,
    organisation: str | None,
    organisation_other: str = "",
    email_choice: str = REGISTRATION_DEFAULT,
) -> User | None:
    """Create an unverified account and mail a verification link. Anyone may register
    while registration is open; with "approval", the account also waits for an admin's
    approval before it may sign in; with "invitation", only invitations create accounts
    (invitations.accept).

    `email_choice` is the form's short version of the email choices (digests.choices'
    REGISTRATION_CHOICES); an existing account's choices are never changed by it.

    An address that already has an account gets a mail telling its owner, and the caller
    gets None: the response must look the same either way, so the form never reveals who is
    registered.
    """
    mode = current_settings().registration_mode
    if mode == "invitation":
        raise Forbidden(INVITATION_ONLY)
    email = rules.check_email(email)
    details = account_details(display_name, password, organisation, organisation_other,
                               email_choice)  # fmt: skip
    existing = find_user_by_email(email)
    if existing is not None:
        queue_mail(
            existing.email,
            "Someone tried to register with your address",
            "already_registered",
            user=existing,
            login_url=absolute_url("accounts.login"),
            reset_url=absolute_url("accounts.reset_request"),
        )
        return None
    user = new_account(email, details)
    if user is None:
        return None
    if mode == "approval":
        user.awaiting_approval_since = utcnow()
        signals.registration_awaits_approval.emit(user=user)
    send_verification(user)
    return user


def account_details(display_name, password, organisation, organisation_other, email_choice):
    """The checked fields of a new account, with its password hashed: a dict for
    `new_account`. (Hashed whether or not the address has an account, so the response
    takes as long either way: the hash is most of a registration's time.)"""
    display_name = rules.check_display_name(display_name)
    rules.check_password(password)
    org_id, org_other = resolve_organisation(organisation, organisation_other)
    check_registration_choice(email_choice)
    return dict(
        display_name=display_name,
        password_hash=passwords.hash_password(password),
        organisation_id=org_id,
        organisation_other=org_other,
        email_choice=email_choice,
    )


def new_account(email: str, details: dict, **columns) -> User | None:
    """Insert the account (None: the same address registered a moment ago, between the
    look-up and the insert — a double-clicked form, most likely)."""
    details = dict(details)
    email_choice = details.pop("email_choice")
    user = User(email=email, **details, **columns)
    try:
        with db.session.begin_nested():  # flushes: user.id goes into the token
            db.session.add(user)
    except IntegrityError:
        if find_user_by_email(email) is None:
            raise
        return None
    apply_registration_choice(user, email_choice)
    return user


def send_verification(user: User) -> None:
    token = make_token("verify", {"uid": user.id, "email": user.email})
    queue_mail(
        user.email,
        f"Confirm your email address for {site_name()}",
        "verify",
        user=user,
        verify_url=absolute_url("accounts.verify", token=token),
        valid_for=link_lifetime(current_app.config["VERIFY_TOKEN_MAX_AGE"]),
    )


def resend_verification(user_id: int) -> None:
    """Mail a fresh verification link to an account that is not confirmed yet."""
    user = db.session.get(User, user_id)
    if user is not None and user.verified_at is None and not user.is_suspended:
        send_verification(user)


def user_for_verify_token(token: str) -> User:
    """The account a verification link was sent for, or Invalid when the link is no good."""
    data = read_token("verify", token, current_app.config["VERIFY_TOKEN_MAX_AGE"])
    user_id = as_id(data.get("uid"))
    user = db.session.get(User, user_id) if user_id else None
    if user is None or user.email != data.get("email"):
        raise Invalid(BROKEN)
    return user


def verify_email(token: str) -> User:
    """Mark the account's address as confirmed. Anyone holding the mailed link may."""
    user = user_for_verify_token(token)
    if user.verified_at is None:
        user.verified_at = utcnow()
    return user


# --- signing in -----------------------------------------------------------------------------


def authenticate(email: str, password: str) -> User:
    """The account for these credentials, or Invalid with one message for every failure.

    Read-only: the slow password check runs before any write lock is taken. Call
    `upgrade_password_hash` afterwards, in a transaction, when `needs_new_hash` says so.
    """
    user = find_user_by_email(email)
    if user is None:
        passwords.burn_time(password or "")
        raise Invalid(SIGN_IN_FAILED)
    if not passwords.check_password(user.password_hash, password or ""):
        raise Invalid(SIGN_IN_FAILED)
    if user.is_suspended:
        raise Forbidden("This account is suspended. Please contact the site's administrators.")
    if user.verified_at is None:
        raise NotVerified(user.id)
    if user.is_awaiting_approval:
        raise Forbidden(AWAITING_APPROVAL)
    return user


def needs_new_hash(user: User) -> bool:
    return passwords.needs_rehash(user.password_hash)


def upgrade_password_hash(user_id: int, password: str) -> None:
    """Re-hash a just-verified password with the current parameters (on sign-in)."""
    user = db.session.get(User, user_id)
    if user is not None and passwords.check_password(user.password_hash, password):
        user.password_hash = passwords.hash_password(password)


# --- sessions -------------------------------------------------------------------------------


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start_session(user: User, user_agent: str = "") -> UserSession:
    """Open a session record for a sign-in; `login_user(user)` then stores its key."""
    key = secrets.token_urlsafe(32)
    record = UserSession(user_id=user.id, key_hash=_key_hash(key), user_agent=user_agent[:200])
    db.session.add(record)
    db.session.flush()  # the id names the session's Socket.IO room
    user.current_session, user.current_session_key = record, key
    return record


def signed_in(user_id: int, generation: str, key: str) -> User | None:
    """The member a session cookie names, with its open session record (one query: every
    signed-in page asks): None when the record has ended, the generation is old (a
    password change) or the account may not sign in now."""
    found = db.session.execute(
        select(User, UserSession)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            User.id == user_id,
            UserSession.key_hash == _key_hash(key),
            UserSession.ended_at.is_(None),
        )
    ).first()
    if found is None:
        return None
    user, record = found
    if str(user.session_generation) != generation or not user.is_active:
        return None
    user.current_session, user.current_session_key = record, key
    return user


def _end_sessions(user: User, *, keep: UserSession | None = None) -> list[int]:
    """End the member's open sessions (but `keep`); after commit, their live connections
    are disconnected, in whichever process holds them."""
    query = select(UserSession).where(
        UserSession.user_id == user.id, UserSession.ended_at.is_(None)
    )
    if keep is not None:
        query = query.where(UserSession.id != keep.id)
    ended = list(db.session.scalars(query))
    now = utcnow()
    for record in ended:
        record.ended_at = now
        realtime.disconnect_session(record.id)
    return [record.id for record in ended]


def end_session(user: User) -> None:
    """Sign out: the session this member is signed in with ends, here and on every copy of
    its cookies, and its live connections close."""
    record = user.current_session
    if record is not None and record.ended_at is None:
        record.ended_at = utcnow()
        realtime.disconnect_session(record.id)


def end_other_sessions(user: User) -> None:
    """End every other session and remember-me cookie of this member; the one they are
    signed in with (if any) stays."""
    # The generation is in every session id: copies of this browser's cookies end too (the
    # caller signs this browser in again, with the new generation).
    user.session_generation += 1
    _end_sessions(user, keep=user.current_session)


def end_all_sessions(user: User) -> None:
    user.session_generation += 1
    _end_sessions(user)


# --- suspension -----------------------------------------------------------------------------

REASON_MAX = 2000


def suspend_member(actor: User | None, member: User, reason: str, until: date | None = None):
    """Suspend a member site-wide (an admin; None is the command line): they cannot sign in,
    every session of theirs ends and their live connections close. With `until`, the
    suspension lapses by itself at the start of that day (UTC). The member is told by mail.
    """
    from ..moderation.audit import record
    from .rules import require_admin

    if actor is not None:
        require_admin(actor)
        if actor.id == member.id:
            raise Forbidden("You cannot suspend yourself.")
    reason = (reason or "").strip()
    if not reason or len(reason) > REASON_MAX:
        raise Invalid(f"Give a reason of at most {REASON_MAX} characters.", field="reason")
    now = utcnow()
    ends = datetime.combine(until, time()) if until is not None else None
    if ends is not None and ends <= now:
        raise Invalid("The end of a suspension must be a day in the future.", field="until")
    from .administration import check_not_last_admin

    check_not_last_admin(member)  # (the command line could otherwise lock every admin out)
    member.suspended_at = now
    member.suspended_until = ends
    member.suspension_reason = reason
    end_all_sessions(member)
    record(
        actor,
        "member.suspend",
        ("member", member.id),
        reason=reason,
        until=until and until.isoformat(),
    )
    signals.member_suspended.emit(user=member)
    queue_mail(
        member.email,
        f"Your {site_name()} account is suspended",
        "suspended",
        user=member,
        reason=reason,
        until=until.isoformat() if until else None,
    )
    return member


def unsuspend_member(actor: User | None, member: User) -> User:
    """Lift a member's suspension (an admin; None is the command line or the lapse job)."""
    from ..moderation.audit import record
    from .rules import require_admin

    if actor is not None:
        require_admin(actor)
    if member.suspended_at is None:
        raise Invalid("That member is not suspended.")
    lapsed = member.suspension_lapsed()
    member.suspended_at = member.suspended_until = None
    member.suspension_reason = ""
    record(actor, "member.unsuspend", ("member", member.id), lapsed=lapsed)
    queue_mail(
        member.email,
        f"Your {site_name()} account is no longer suspended",
        "unsuspended",
        user=member,
    )
    return member


def lift_lapsed_suspensions() -> int:
    """Unsuspend members whose suspension's end date has come (a periodic job; the sign-in
    check already treats them as unsuspended); how many."""
    lapsed = list(
        db.session.scalars(
            select(User).where(User.suspended_until.is_not(None), User.suspended_until <= utcnow())
        )
    )
    for member in lapsed:
        unsuspend_member(None, member)
    return len(lapsed)


def parse_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid("Give the date as YYYY-MM-DD.", field="until") from None


# --- password reset -------------------------------------------------------------------------


def _password_fingerprint(user: User) -> str:
    # In the reset token so that a link stops working once the password has changed.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def request_password_reset(email: str) -> None:
    """Mail a reset link if the address has an account; say nothing either way."""
    email = rules.check_email(email)
    user = find_user_by_email(email)
    if user is None or user.is_suspended:
        return
    token = make_token("reset", {"uid": user.id, "pw": _password_fingerprint(user)})
    queue_mail(
        user.email,
        f"Reset your {site_name()} password",
        "reset",
        user=user,
        reset_url=absolute_url("accounts.reset", token=token),
        valid_for=link_lifetime(current_app.config["RESET_TOKEN_MAX_AGE"]),
    )


def user_for_reset_token(token: str) -> User:
    """The account a reset link was sent for, while the link is still good."""
    data = read_token("reset", token, current_app.config["RESET_TOKEN_MAX_AGE"])
    user_id = as_id(data.get("uid"))
    user = db.session.get(User, user_id) if user_id else None
    if user is None or user.is_suspended:
        raise Invalid(BROKEN)
    if data.get("pw") != _password_fingerprint(user):
        raise Invalid("This link has already been used or is no longer valid. Please ask again.")
    return user


def reset_password(token: str, new_password: str) -> User:
    """Set a new password from a mailed link; every other session ends."""
    user = user_for_reset_token(token)
    user.password_hash = passwords.hash_password(rules.check_password(new_password))
    if user.verified_at is None:
        user.verified_at = utcnow()  # the link proved they read mail at this address
    end_other_sessions(user)
    queue_mail(
        user.email, f"Your {site_name()} password was changed", "password_changed", user=user
    )
    return user


# --- profile and settings -------------------------------------------------------------------


def update_profile(
    actor: User,
    user_id: int,
    *,
    display_name: str,
    organisation: str | None,
    organisation_other: str = "",
    bio: str = "",
    timezone: str,
) -> User:
    """Change a member's profile. The member themself, or an admin."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound()
    if actor.id != user.id and not actor.is_admin:
        raise Forbidden("You can only change your own profile.")
    user.display_name = rules.check_display_name(display_name)
    user.organisation_id, user.organisation_other = resolve_organisation(
        organisation, organisation_other
    )
    user.bio = rules.check_bio(bio)
    user.bio_html = markup.render(user.bio)
    user.timezone = rules.check_timezone(timezone)
    return user


def _tell_password_changed(user: User) -> None:
    queue_mail(
        user.email, f"Your {site_name()} password was changed", "password_changed", user=user
    )


def _check_current_password(user: User, password: str) -> None:
    if not passwords.check_password(user.password_hash, password or ""):
        raise Invalid("That is not your current password.", field="current_password")


def change_password(actor: User, *, current_password: str, new_password: str) -> User:
    """Change one's own password; every other session and remember-me cookie ends."""
    _check_current_password(actor, current_password)
    actor.password_hash = passwords.hash_password(
        rules.check_password(new_password, field="new_password")
    )
    end_other_sessions(actor)
    queue_mail(
        actor.email, f"Your {site_name()} password was changed", "password_changed", user=actor
    )
    return actor


def request_email_change(actor: User, *, new_email: str, current_password: str) -> None:
    """Start changing one's address: the new address must confirm through a mailed link."""
    _check_current_password(actor, current_password)
    new_email = rules.check_email(new_email, field="new_email")
    if new_email == actor.email:
        raise Invalid("That is already your address.", field="new_email")
    owner = find_user_by_email(new_email)
    if owner is not None:
        # Tell the address's owner, not the requester, as registration does.
        queue_mail(
            new_email,
            f"Someone tried to use your address on {site_name()}",
            "already_registered",
            user=owner,
            email_change=True,
            login_url=absolute_url("accounts.login"),
            reset_url=absolute_url("accounts.reset_request"),
        )
        return
    actor.pending_email = new_email
    token = make_token("email", {"uid": actor.id, "email": new_email})
    queue_mail(
        new_email,
        f"Confirm your new email address for {site_name()}",
        "email_change",
        user=actor,
        confirm_url=absolute_url("accounts.confirm_email", token=token),
        valid_for=link_lifetime(current_app.config["VERIFY_TOKEN_MAX_AGE"]),
    )
    queue_mail(
        actor.email,
        f"Your {site_name()} email address is changing",
        "email_change_notice",
        user=actor,
        new_email=new_email,
    )


def user_for_email_token(token: str) -> User:
    """The account whose change of address a mailed link confirms, while it is still good."""
    data = read_token("email", token, current_app.config["VERIFY_TOKEN_MAX_AGE"])
    user_id = as_id(data.get("uid"))
    user = db.session.get(User, user_id) if user_id else None
    if user is None or user.pending_email is None or user.pending_email != data.get("email"):
        raise Invalid("This link has already been used or is no longer valid.")
    return user


def confirm_email_change(token: str) -> User:
    """Switch to the new address once its owner clicks the mailed link."""
    user = user_for_email_token(token)
    if find_user_by_email(user.pending_email) is not None:
        raise Invalid("Another account now uses that address.")
    user.email = user.pending_email
    user.pending_email = None
    clear_bounces(user)
    user.verified_at = user.verified_at or utcnow()
    return user


LAST_SEEN_RESOLUTION_SECONDS = 300


def last_seen_is_stale(user: User) -> bool:
    """True when `last_seen_at` (the member's, or their session's) is old enough to be worth
    a write (at most one per 5 min each)."""
    seen = [user.last_seen_at]
    if user.current_session is not None:
        seen.append(user.current_session.last_seen_at)
    now = utcnow()
    return any(s is None or (now - s).total_seconds() > LAST_SEEN_RESOLUTION_SECONDS for s in seen)


def touch_last_seen(user: User) -> None:
    """Record that the member is using the site now, on this session too."""
    user.last_seen_at = utcnow()
    if user.current_session is not None:
        user.current_session.last_seen_at = user.last_seen_at


# --- admins and organisations ---------------------------------------------------------------


def create_admin(email: str, password: str | None, display_name: str | None = None) -> User:
    """Make (or promote) a site admin, verified. Used by `flask users create-admin`."""
    email = rules.check_email(email)
    user = find_user_by_email(email)
    if user is None:
        if password is None:
            raise Invalid("A new admin needs a password.")
        user = User(
            email=email,
            display_name=rules.check_display_name(display_name or email.split("@")[0]),
            password_hash=passwords.hash_password(rules.check_password(password)),
        )
        db.session.add(user)
    elif password is not None:
        user.password_hash = passwords.hash_password(rules.check_password(password))
        end_other_sessions(user)
    user.site_role = "admin"
    user.verified_at = user.verified_at or utcnow()
    return user


def slugify(value: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:120] or "org"


def create_organisation(
    *, name: str, kind: str = "", description: str = "", website: str = "", region: str = ""
) -> Organisation:
    """Add an organisation to the list members choose from (admins, the seed and the CLI)."""
    name = rules.one_line(name)
    if not name or len(name) > rules.ORGANISATION_MAX:
        raise Invalid("An organisation needs a name of at most 200 characters.", field="name")
    if website and not website.startswith(("http://", "https://")):
        raise Invalid("A website address starts with http:// or https://.", field="website")
    # Compared in Python: SQLite's lower() knows only ASCII. The list has hundreds at most.
    folded = name.casefold()
    if any(n.casefold() == folded for n in db.session.scalars(select(Organisation.name))):
        raise Invalid("An organisation of that name is already listed.", field="name")
    slug = base = slugify(name)
    n = 2
    while db.session.scalar(select(Organisation.id).where(Organisation.slug == slug)):
        slug, n = f"{base}-{n}", n + 1
    org = Organisation(
        name=name, slug=slug, kind=kind, description=description, website=website, region=region
    )
    db.session.add(org)
    return org


def confirm_email_working(actor: User) -> User:
    """The member says their address is right: try optional mail to it again."""
    clear_bounces(actor)
    return actor
