"""Communities: who may read them, joining and leaving, and their moderators."""

from sqlalchemy import select

from ..accounts.actions import find_user_by_email
from ..accounts.models import User
from ..admin.actions import record
from ..errors import Forbidden, Invalid, NotFound
from ..extensions import db
from .models import Community, Membership


def membership(user: User | None, community: Community) -> Membership | None:
    if user is None or not user.is_authenticated:
        return None
    return db.session.scalar(
        select(Membership).where(
            Membership.user_id == user.id, Membership.community_id == community.id
        )
    )


def can_read(user: User | None, community: Community) -> bool:
    """Public communities are open to everyone; members-only ones to members and admins."""
    if community.is_public:
        return True
    if user is None or not user.is_authenticated:
        return False
    return user.is_admin or membership(user, community) is not None


def is_moderator(user: User | None, community: Community) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if user.is_admin:
        return True
    m = membership(user, community)
    return m is not None and m.role == "moderator"


def access_community(user: User | None, slug: str, *, need: str = "read") -> Community:
    """Load a community by slug and check `need` ("read", "post" or "moderate").

    A community the user may not read does not exist for them (404), so members-only
    communities never leak their names.
    """
    community = db.session.scalar(
        select(Community).where(Community.slug == slug, Community.archived_at.is_(None))
    )
    if community is None or not can_read(user, community):
        raise NotFound()
    if need == "post":
        _check_can_post(user, community)
    elif need == "moderate" and not is_moderator(user, community):
        raise Forbidden("Only this community's moderators can do that.")
    return community


def _check_can_post(user: User | None, community: Community) -> None:
    if user is None or not user.is_authenticated:
        raise Forbidden("Please sign in first.")
    if user.suspended_at is not None:
        raise Forbidden("Your account is suspended.")
    if membership(user, community) is None:
        raise Forbidden(f"Join {community.name} to take part.")


def join_community(user: User, slug: str) -> Membership:
    """Join a public community. Any confirmed member may; members-only ones are by invitation."""
    community = access_community(user, slug)
    if user.suspended_at is not None or not user.is_verified:
        raise Forbidden("Confirm your email address before joining communities.")
    existing = membership(user, community)
    if existing is not None:
        return existing
    if not community.is_public:
        raise Forbidden("Members join this community when a moderator adds them.")
    return _add_membership(user, community, "member")


def _add_membership(user: User, community: Community, role: str) -> Membership:
    m = Membership(user=user, community=community, role=role)
    db.session.add(m)
    community.member_count += 1
    return m


def leave_community(user: User, slug: str) -> None:
    """Leave a community one belongs to (a moderator leaving gives up the role too)."""
    community = access_community(user, slug)
    m = membership(user, community)
    if m is None:
        raise Invalid(f"You are not a member of {community.name}.")
    db.session.delete(m)
    community.member_count -= 1


def _user_by_email(email: str) -> User:
    user = find_user_by_email(email)
    if user is None:
        raise Invalid("No account uses that email address.", field="email")
    return user


def add_member(actor: User, slug: str, *, email: str) -> Membership:
    """Add a member to a community. Its moderators and admins."""
    community = access_community(actor, slug, need="moderate")
    user = _user_by_email(email)
    if membership(user, community) is not None:
        raise Invalid(f"{user.display_name} is already a member.", field="email")
    m = _add_membership(user, community, "member")
    record(actor, "community.add_member", community, user_id=user.id)
    return m


def add_moderator(actor: User, slug: str, *, email: str) -> Membership:
    """Make a member (joining them if needed) a moderator of a community. Admins only."""
    if not actor.is_admin:
        raise Forbidden("Only admins assign moderators.")
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
    if not actor.is_admin:
        raise Forbidden("Only admins remove moderators.")
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


def create_community(
    *, slug: str, name: str, description: str = "", visibility: str = "public", position: int = 0
) -> Community:
    """Create a community (the seed step and, later, admins)."""
    if visibility not in ("public", "members"):
        raise Invalid("Visibility is public or members.", field="visibility")
    if db.session.scalar(select(Community.id).where(Community.slug == slug)):
        raise Invalid("A community with that address exists.", field="slug")
    community = Community(
        slug=slug, name=name, description=description, visibility=visibility, position=position
    )
    db.session.add(community)
    return community
