"""Communities: who may read them, joining and leaving, and their moderators."""

import re

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from ..accounts.actions import find_user_by_email
from ..accounts.models import User
from ..admin.actions import record
from ..errors import Forbidden, Invalid, NotFound
from ..extensions import db
from .access import can_read, membership
from .models import VISIBILITIES, Community, Membership


def is_moderator(user: User | None, community: Community) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return user.is_admin or moderates(user, membership(user, community))


def moderates(user: User | None, member: Membership | None) -> bool:
    """`is_moderator`, for a caller that loaded the user's membership (or None) already."""
    if user is None or not user.is_authenticated:
        return False
    return user.is_admin or (member is not None and member.role == "moderator")


def access_community(user: User | None, slug: str, *, need: str = "read") -> Community:
    """Load a community by slug and check `need` ("read", "post" or "moderate").

    A community the user may not read does not exist for them (404), so members-only
    communities never leak their names.
    """
    community = db.session.scalar(
        select(Community).where(Community.slug == slug, Community.archived_at.is_(None))
    )
    if community is None or not can_read(user, community):
        raise NotFound(f"We could not find the community “{slug[:80]}”.")
    if need == "post":
        check_can_post(user, community)
    elif need == "moderate" and not is_moderator(user, community):
        raise Forbidden("Only this community's moderators can do that.")
    return community


def check_can_post(user: User | None, community: Community) -> None:
    """Raise Forbidden unless `user` may post in `community`: a member, not suspended."""
    check_may_post(user, community, membership(user, community))


def check_may_post(user: User | None, community: Community, member: Membership | None) -> None:
    """`check_can_post`, for a caller that loaded the user's membership (or None) already."""
    # Suspension first: a suspended User reports is_authenticated False (flask-login's
    # is_active), and "please sign in" would be the wrong answer for them.
    if user is not None and getattr(user, "suspended_at", None) is not None:
        raise Forbidden("Your account is suspended.")
    if user is None or not user.is_authenticated:
        raise Forbidden("Please sign in first.")
    if member is None:
        raise Forbidden(f"Join {community.name} to take part.")


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
    if not community.is_public:
        # Their open thread pages must stop receiving live posts of this community.
        from ..chat.actions import recheck_live_room
        from ..threads.actions import recheck_live_readers_of

        recheck_live_readers_of(community.id)
        recheck_live_room("community", community.id)
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


def add_member(actor: User, slug: str, *, email: str) -> Membership:
    """Add a member to a community. Its moderators and admins may."""
    community = access_community(actor, slug, need="moderate")
    user = _user_by_email(email)
    if membership(user, community) is not None:
        raise Invalid(f"{user.display_name} is already a member.", field="email")
    m = _add_membership(user, community, "member")
    record(actor, "community.add_member", community, user_id=user.id)
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
    user = _user_by_email(email)
    m = membership(user, community) or _add_membership(user, community, "member")
    if m.role == "moderator":
        raise Invalid(f"{user.display_name} is already a moderator.", field="email")
    m.role = "moderator"
    record(actor, "community.add_moderator", community, user_id=user.id)
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
    record(actor, "community.remove_moderator", community, user_id=user_id)
    return m


SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# Addresses no community may take: `/chat/<name>` names an event's room "event-<id>".
RESERVED_SLUG_PREFIXES = ("event-",)


def create_community(
    *, slug: str, name: str, description: str = "", visibility: str = "public", position: int = 0
) -> Community:
    """Create a community (the seed step and, later, admins), with its chat room."""
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
    db.session.flush()  # its id, for the room
    from ..chat.access import create_room

    create_room("community", community.id)
    return community
