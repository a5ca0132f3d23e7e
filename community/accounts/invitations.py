"""Invitations to register: an admin invites an address, the mailed link lets its owner
create an account (confirmed at once: the link reached the address) whatever the
registration mode. An invitation is open until it expires, is revoked, or is used."""

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from ..db import utcnow
from ..errors import Invalid, NotFound
from ..extensions import db
from ..ids import as_id
from ..links import absolute_url
from ..mail import queue_mail
from ..moderation.audit import record
from . import rules
from .actions import account_details, find_user_by_email, new_account
from .models import Invitation, User
from .rules import require_admin

INVITATION_DAYS = 14
MESSAGE_MAX = 1000
USED = "This invitation has been used already. If it was you, sign in."
REVOKED = "This invitation was withdrawn by the site's admins. Ask them for a new one."
EXPIRED = "This invitation has expired. Ask the site's admins for a new one."
BROKEN = "This invitation link is not valid. Please check that you copied all of it."


def state(invitation: Invitation) -> str:
    """open, accepted, revoked or expired."""
    if invitation.accepted_at is not None:
        return "accepted"
    if invitation.revoked_at is not None:
        return "revoked"
    if invitation.expires_at <= utcnow():
        return "expired"
    return "open"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _open_invitation(email: str) -> Invitation | None:
    return db.session.scalar(
        select(Invitation).where(
            Invitation.email == email,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > utcnow(),
        )
    )


def _send(actor: User, invitation: Invitation) -> None:
    """Give the invitation a new token and expiry, and mail its link. The token itself is
    never stored: only on the object that sent it, as `sent_token` (for tests and tools)."""
    token = secrets.token_urlsafe(32)
    invitation.sent_token = token
    invitation.token_hash = _hash(token)
    invitation.expires_at = utcnow() + timedelta(days=INVITATION_DAYS)
    from ..sitesettings import site_name

    queue_mail(
        invitation.email,
        f"{actor.display_name} invites you to join {site_name()}",
        "invitation",
        inviter=actor,
        message=invitation.message,
        accept_url=absolute_url("accounts.invitation", token=token),
        expires_at=invitation.expires_at,
    )


def invite(actor: User, email: str, message: str = "") -> Invitation:
    require_admin(actor)
    email = rules.check_email(email)
    message = (message or "").strip()
    if len(message) > MESSAGE_MAX:
        raise Invalid(f"A message has at most {MESSAGE_MAX} characters.", field="message")
    if find_user_by_email(email) is not None:
        raise Invalid("Someone has registered with that address already.", field="email")
    if _open_invitation(email) is not None:
        raise Invalid(
            "That address has an open invitation already: resend it from the list below.",
            field="email",
        )
    invitation = Invitation(email=email, message=message, invited_by_id=actor.id)
    _send(actor, invitation)
    db.session.add(invitation)
    db.session.flush()
    record(actor, "invitation.send", ("invitation", invitation.id), email=email)
    return invitation


def _for_admin(actor: User, invitation_id) -> Invitation:
    require_admin(actor)
    invitation_id = as_id(invitation_id)
    invitation = db.session.get(Invitation, invitation_id) if invitation_id else None
    if invitation is None:
        raise NotFound()
    return invitation


def resend(actor: User, invitation_id) -> Invitation:
    """Mail a fresh link (the old one stops working) valid for another INVITATION_DAYS."""
    invitation = _for_admin(actor, invitation_id)
    if state(invitation) in ("accepted", "revoked"):
        raise Invalid("Only an open or expired invitation can be sent again.")
    if find_user_by_email(invitation.email) is not None:
        raise Invalid("Someone has registered with that address already.")
    _send(actor, invitation)
    record(actor, "invitation.resend", ("invitation", invitation.id), email=invitation.email)
    return invitation


def revoke(actor: User, invitation_id) -> Invitation:
    invitation = _for_admin(actor, invitation_id)
    if state(invitation) != "open":
        raise Invalid("Only an open invitation can be withdrawn.")
    invitation.revoked_at = utcnow()
    record(actor, "invitation.revoke", ("invitation", invitation.id), email=invitation.email)
    return invitation


def invitation_for_token(token: str) -> Invitation:
    """The open invitation a link names, or Invalid saying why it cannot be used."""
    invitation = None
    if token and len(token) <= 100:
        invitation = db.session.scalar(
            select(Invitation).where(Invitation.token_hash == _hash(token))
        )
    if invitation is None:
        raise Invalid(BROKEN)
    problem = {"accepted": USED, "revoked": REVOKED, "expired": EXPIRED}.get(state(invitation))
    if problem:
        raise Invalid(problem)
    return invitation


def accept(
    token: str, *, display_name, password, organisation, organisation_other="", email_choice
) -> User:
    """Create the invited account, confirmed and approved, and use up the invitation."""
    invitation = invitation_for_token(token)
    details = account_details(display_name, password, organisation, organisation_other,
                               email_choice)  # fmt: skip
    if find_user_by_email(invitation.email) is not None:
        raise Invalid(f"{invitation.email} has an account already: sign in.")
    now = utcnow()
    # Used once, even when the form is sent twice at the same moment.
    claimed = db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.accepted_at.is_(None),
               Invitation.revoked_at.is_(None), Invitation.expires_at > now)
        .values(accepted_at=now)
    ).rowcount  # fmt: skip
    user = new_account(invitation.email, details, verified_at=now) if claimed else None
    if user is None:
        raise Invalid(USED)
    invitation.accepted_user_id = user.id
    return user


def invitations(limit: int = 200) -> list[Invitation]:
    """The most recent invitations first."""
    return list(
        db.session.scalars(
            select(Invitation).options(joinedload(Invitation.invited_by))
            .order_by(Invitation.created_at.desc(), Invitation.id.desc())
            .limit(limit)
        )
    )  # fmt: skip
