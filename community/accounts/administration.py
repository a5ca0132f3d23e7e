"""What admins do to members' accounts: site roles, approving registrations, resending a
verification link. Every action is checked here and written to the audit log."""

from sqlalchemy import func, select

from ..errors import Invalid
from ..extensions import db
from ..links import absolute_url
from ..mail import queue_mail
from ..moderation.audit import record
from ..notifications.actions import notify
from ..notifications.targets import register_target, register_wording
from ..sitesettings import site_name
from .actions import send_verification
from .models import SITE_ROLES, User
from .rules import require_admin

LAST_ADMIN = (
    "is the site's only admin: make someone else an admin first, so that the site is never "
    "left without one."
)


def _target(member: User) -> tuple[str, int]:
    return ("member", member.id)


def active_admin_count(*, lock: bool = False) -> int:
    """Admins who can act: not suspended. With `lock`, their rows stay locked until commit,
    so two admins demoting each other at once cannot both succeed (PostgreSQL; SQLite has
    one writer at a time anyway)."""
    query = select(User.id).where(User.site_role == "admin", ~User.is_suspended)
    if lock:
        query = query.with_for_update()
    return len(db.session.scalars(query).all())


def check_not_last_admin(member: User) -> None:
    """Refuse what would leave the site with no admin who can act."""
    if member.is_admin and not member.is_suspended and active_admin_count(lock=True) <= 1:
        raise Invalid(f"{member.display_name} {LAST_ADMIN}", field="role")


def set_site_role(actor: User, member: User, role: str) -> User:
    """Make a member an admin or take the role back (never from the last admin)."""
    require_admin(actor)
    if role not in SITE_ROLES:
        raise Invalid("A site role is member or admin.", field="role")
    if role == member.site_role:
        return member
    if role != "admin":
        check_not_last_admin(member)
    if member.is_awaiting_approval or not member.is_verified:
        raise Invalid("Only a confirmed, approved account can be made an admin.", field="role")
    member.site_role = role
    record(actor, "member.role", _target(member), role=role)
    return member


def approve_registration(actor: User, member: User) -> User:
    """Let an account waiting for approval sign in, and tell its owner by mail."""
    require_admin(actor)
    if not member.is_awaiting_approval:
        raise Invalid(f"{member.display_name}'s account is not waiting for approval.")
    member.awaiting_approval_since = None
    record(actor, "member.approve", _target(member))
    queue_mail(
        member.email,
        "Your account is approved",
        "registration_approved",
        user=member,
        login_url=absolute_url("accounts.login"),
        confirm_first=not member.is_verified,
    )
    return member


def decline_registration(actor: User, member: User) -> str:
    """Refuse an account waiting for approval: it is deleted (it has never signed in, so it
    holds nothing but its registration) and its owner told by mail. Returns the name."""
    require_admin(actor)
    if not member.is_awaiting_approval:
        raise Invalid(f"{member.display_name}'s account is not waiting for approval.")
    name, email = member.display_name, member.email
    record(actor, "member.decline", _target(member), name=name)
    queue_mail(
        email, "Your registration was not approved", "registration_declined", member_name=name
    )
    db.session.delete(member)
    return name


def resend_verification(actor: User, member: User) -> None:
    require_admin(actor)
    if member.is_verified:
        raise Invalid(f"{member.display_name}'s address is confirmed already.")
    send_verification(member)
    record(actor, "member.resend_verification", _target(member))


def awaiting_approval_count() -> int:
    return db.session.scalar(
        select(func.count()).select_from(User).where(User.awaiting_approval_since.is_not(None))
    )


def tell_admins_of_registration(_app, *, user: User) -> None:
    """Each admin gets a notice that someone waits for approval (the signal's receiver)."""
    admins = db.session.scalars(
        select(User.id).where(User.site_role == "admin", ~User.is_suspended)
    ).all()
    for admin_id in admins:
        notify(
            admin_id, "registration.pending", actor=user, community_id=None,
            target=("registration", user.id), subject=site_name(),
        )  # fmt: skip


def _still_waiting():
    from ..notifications.models import Notification

    return (
        select(User.id)
        .where(User.id == Notification.target_id, User.awaiting_approval_since.is_not(None))
        .exists()
    )


register_target(
    "registration", link=lambda user_id: f"/admin/members/{user_id}", visible=_still_waiting
)
register_wording("registration.pending", "asked to join", email=None)
