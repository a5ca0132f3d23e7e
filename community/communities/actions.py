"""Communities: joining and leaving, their moderators, creating them (who may read, post
and moderate: access.py)."""

import re
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from .. import signals
from ..accounts.actions import find_user_by_email
from ..accounts.models import User
from ..accounts.rules import require_admin
from ..db import utcnow
from ..errors import Forbidden, Invalid, NotFound
from ..extensions import db
from ..ids import as_id
from ..moderation.audit import record
from . import notices
from .access import access_community, check_open, membership
from .models import VISIBILITIES, Community, Membership


def _check_can_join(user: User) -> None:
    if user.suspended_at is not None:
        raise Forbidden("Your account is suspended, so you cannot join communities.")
    if not user.is_verified:
        raise Forbidden("Confirm your email address before joining communities.")


def join_community(user: User, slug: str) -> Membership:
    """Join a public community. Any confirmed member may; members-only ones are by invitation.

    Joining a community one already belongs to changes nothing.
    """
    community = access_community(user, slug)
    check_open(community)
    _check_can_join(user)
    existing = membership(user, community)
    if existing is not None:
        return existing
    if not community.is_public:
        raise Forbidden("Members join this community when a moderator adds them.")
    return _add_membership(user, community, "member")


def _count_members(community: Community, delta: int) -> None:
    # One atomic UPDATE: a read-modify-write of the loaded value would lose concurrent joins.
    db.session.execute(
        update(Community)
        .where(Community.id == community.id)
        .values(member_count=Community.member_count + delta)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(community, ["member_count"])


def _add_membership(user: User, community: Community, role: str) -> Membership:
    """Insert the membership and count it. If the same membership was committed a moment
    ago by a concurrent request (a double click), that one stands and nothing is counted."""
    m = Membership(user_id=user.id, community_id=community.id, role=role)
    try:
        with db.session.begin_nested():
            db.session.add(m)
    except IntegrityError:
        existing = membership(user, community)
        if existing is None:
            raise
        return existing
    _count_members(community, +1)
    return m


def leave_community(user: User, slug: str) -> Community:
    """Leave a community one belongs to (a moderator leaving gives up the role too)."""
    community = access_community(user, slug)
    removed = db.session.execute(
        delete(Membership).where(
            Membership.user_id == user.id, Membership.community_id == community.id
        )
    ).rowcount
    if not removed:
        raise Invalid(f"You are not a member of {community.name}.")
    _count_members(community, -1)
    # Their open thread pages and chat must stop receiving live posts of a members-only one.
    signals.membership_lost.emit(user=user, community=community)
    return community


def _user_by_email(email: str) -> User:
    """The account to add to a community: it must exist, be confirmed and not suspended."""
    if not (email or "").strip():
        raise Invalid("Enter an email address.", field="email")
    user = find_user_by_email(email)
    if user is None:
        raise Invalid("No account uses that email address.", field="email")
    if user.suspended_at is not None:
        raise Invalid(f"{user.display_name}'s account is suspended.", field="email")
    if not user.is_verified:
        raise Invalid(
            f"{user.display_name} has not confirmed their email address yet. "
            "Add them once they have.",
            field="email",
        )
    return user


def _target(community: Community) -> tuple[str, int]:
    return ("community", community.id)


def add_member(actor: User, slug: str, *, email: str) -> Membership:
    """Add a member to a community. Its moderators and admins may."""
    community = access_community(actor, slug, need="moderate")
    check_open(community)
    user = _user_by_email(email)
    if membership(user, community) is not None:
        raise Invalid(f"{user.display_name} is already a member.", field="email")
    m = _add_membership(user, community, "member")
    record(actor, "community.add_member", _target(community), community=community, user_id=user.id)
    return m


def assigns_moderators(actor: User | None) -> bool:
    """Only the site's admins assign and remove moderators (and see the emails they go by)."""
    return actor is not None and actor.is_authenticated and actor.is_admin


def check_assigns_moderators(actor: User | None) -> None:
    if not assigns_moderators(actor):
        raise Forbidden("Only the site's admins assign and remove moderators.")


def add_moderator(actor: User, slug: str, *, email: str) -> Membership:
    """Make a member (joining them if needed) a moderator of a community. Admins only."""
    check_assigns_moderators(actor)
    community = access_community(actor, slug)
    check_open(community)
    user = _user_by_email(email)
    m = membership(user, community) or _add_membership(user, community, "member")
    if m.role == "moderator":
        raise Invalid(f"{user.display_name} is already a moderator.", field="email")
    m.role = "moderator"
    record(
        actor, "community.add_moderator", _target(community), community=community, user_id=user.id
    )
    return m


def remove_moderator(actor: User, slug: str, *, user_id: int) -> Membership:
    """Take the moderator role away (they stay a member). Admins only."""
    check_assigns_moderators(actor)
    community = access_community(actor, slug)
    m = db.session.scalar(
        select(Membership).where(
            Membership.community_id == community.id, Membership.user_id == user_id
        )
    )
    if m is None or m.role != "moderator":
        raise NotFound("That member is not a moderator here.")
    m.role = "member"
    record(
        actor,
        "community.remove_moderator",
        _target(community),
        community=community,
        user_id=user_id,
    )
    return m


SUSPENSION_DAYS = (1, 365)


def suspend_in_community(actor: User, slug: str, *, user_id, days, reason: str) -> Membership:
    """Make a member read-only in one community for `days`, with a reason they see. Its
    moderators and admins; never oneself, a moderator (remove the role first) or an admin."""
    community = access_community(actor, slug, need="moderate")
    member = _member_to_suspend(actor, community, user_id)
    low, high = SUSPENSION_DAYS
    if isinstance(days, bool) or not isinstance(days, int) or not low <= days <= high:
        raise Invalid(f"Suspend for {low} to {high} days.", field="days")
    reason = (reason or "").strip()
    if not reason or len(reason) > 500:
        raise Invalid("Say why, in 500 characters at most: the member sees it.", field="reason")
    member.suspended_until = utcnow() + timedelta(days=days)
    member.suspended_reason = reason
    record(actor, "community.suspend_member", _target(community), community=community,
           user_id=member.user_id, days=days, reason=reason)  # fmt: skip
    notices.tell_suspended(member, community, actor)
    signals.community_access_changed.emit(community=community)  # open composers close
    return member


def lift_community_suspension(actor: User, slug: str, *, user_id) -> Membership:
    community = access_community(actor, slug, need="moderate")
    member = _member_to_suspend(actor, community, user_id)
    if member.suspended_until is not None:
        member.suspended_until, member.suspended_reason = None, ""
        record(actor, "community.unsuspend_member", _target(community), community=community,
               user_id=member.user_id)  # fmt: skip
        signals.community_access_changed.emit(community=community)
    return member


def _member_to_suspend(actor: User, community: Community, user_id) -> Membership:
    user = db.session.get(User, user_id) if as_id(user_id) is not None else None
    member = membership(user, community) if user is not None else None
    if member is None:
        raise NotFound(f"That person is not a member of {community.name}.")
    if user.id == actor.id:
        raise Forbidden("You cannot suspend yourself.")
    if user.is_admin:
        raise Forbidden("Admins cannot be suspended from a community.")
    if member.role == "moderator":
        raise Forbidden("Remove their moderator role first.")
    return member


SAFEGUARD_LIMITS = {
    "flag_threshold": (1, 50),
    "hold_first_posts": (0, 20),
    "new_member_links": (0, 20),
}


def set_safeguards(actor: User, slug: str, **values: int) -> Community:
    """A community's moderation settings: how many flags hide an item, how many of a new
    member's first posts are held, how many links a new member's post may carry. Its
    moderators and admins."""
    community = access_community(actor, slug, need="moderate")
    changed = {}
    for name, value in values.items():
        low, high = SAFEGUARD_LIMITS[name]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise Invalid(f"Choose a number from {low} to {high}.", field=name)
        if getattr(community, name) != value:
            setattr(community, name, value)
            changed[name] = value
    if changed:
        record(actor, "community.safeguards", _target(community), community=community, **changed)
    return community


# --- the community's state: admins -----------------------------------------------------------


def change_visibility(actor: User, slug: str, visibility: str) -> Community:
    """Make a community public or members-only. Admins only. Made members-only, its open
    pages and live rooms are checked again, so readers who are not members stop receiving
    its posts and chat at once."""
    require_admin(actor)
    community = access_community(actor, slug)
    if visibility not in VISIBILITIES:
        raise Invalid("Visibility is public or members.", field="visibility")
    if visibility == community.visibility:
        return community
    community.visibility = visibility
    record(actor, "community.visibility", _target(community), community=community,
           visibility=visibility)  # fmt: skip
    if not community.is_public:
        signals.community_access_changed.emit(community=community)
    return community


def archive_community(actor: User, slug: str, *, archived: bool = True) -> Community:
    """Archive a community (read-only: it stays readable, nothing new can be added) or
    reopen it. Admins only. Its open pages are checked again, so composers close at once."""
    require_admin(actor)
    community = access_community(actor, slug)
    if archived == (community.archived_at is not None):
        return community
    community.archived_at = utcnow() if archived else None
    action = "community.archive" if archived else "community.unarchive"
    record(actor, action, _target(community), community=community)
    signals.community_access_changed.emit(community=community)
    return community


SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# Addresses no community may take: `/chat/<name>` names an event's room "event-<id>".
RESERVED_SLUG_PREFIXES = ("event-",)


def create_community(
    *, slug: str, name: str, description: str = "", visibility: str = "public", position: int = 0
) -> Community:
    """Create a community (the seed step and, later, admins); its chat room is made by the
    community_created receiver (rooms.py), in this transaction."""
    if visibility not in VISIBILITIES:
        raise Invalid("Visibility is public or members.", field="visibility")
    if len(slug) > 80 or not SLUG_RE.fullmatch(slug):
        raise Invalid(
            "An address uses lower-case letters, digits and hyphens (at most 80).", field="slug"
        )
    reserved = next((p for p in RESERVED_SLUG_PREFIXES if slug.startswith(p)), None)
    if reserved is not None:
        raise Invalid(
            f"Addresses starting with “{reserved}” are reserved for the site "
            "(event chat rooms use them). Choose another address.",
            field="slug",
        )
    name = " ".join((name or "").split())
    if not name or len(name) > 120:
        raise Invalid("A community needs a name of at most 120 characters.", field="name")
    if db.session.scalar(select(Community.id).where(Community.slug == slug)):
        raise Invalid("A community with that address exists.", field="slug")
    community = Community(
        slug=slug, name=name, description=description, visibility=visibility, position=position
    )
    db.session.add(community)
    db.session.flush()  # its id, for its room and whatever else receivers make with it
    signals.community_created.emit(community=community)
    return community
