"""Who may read, post in and moderate a community: the rules every domain asks.

Reads only (no writes), so any domain's actions may ask them. Who may read is here in its
Python form (`may_read`, `can_read`) and, side by side, its SQL form (`readable_filter` for one
user, `readable_by_member_id` for many members at once): change one, change the others.
"""

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import aliased

from ..accounts.models import User
from ..db import remembered
from ..errors import Forbidden, NotFound
from ..extensions import db
from .models import Community, Membership


def membership(user: User | None, community: Community) -> Membership | None:
    if user is None or not user.is_authenticated:
        return None
    query = select(Membership).where(
        Membership.user_id == user.id, Membership.community_id == community.id
    )
    return remembered("membership", (user.id, community.id), lambda: db.session.scalar(query))


def can_read(user: User | None, community: Community) -> bool:
    """Public communities are open to everyone; members-only ones to members and admins."""
    if community.is_public:
        return True
    return may_read(user, community, membership(user, community))


def may_read(user: User | None, community: Community, member: Membership | None) -> bool:
    """`can_read`, for a caller that loaded the user's membership (or None) already."""
    if community.is_public:
        return True
    if user is None or not user.is_authenticated:
        return False
    return user.is_admin or member is not None


def readable_filter(user: User | None):
    """`may_read` as a WHERE clause on Community: the communities `user` may read."""
    public = Community.visibility == "public"
    if user is None or not user.is_authenticated:
        return public
    if user.is_admin:
        return Community.id.is_not(None)
    # Correlate only Community: callers may join Membership in the outer query too.
    is_member = (
        exists()
        .where(Membership.community_id == Community.id, Membership.user_id == user.id)
        .correlate(Community)
    )
    return or_(public, is_member)


def readable_by_member_id(user_id):
    """`may_read` as a WHERE clause on Community for the member whose id is `user_id`, a
    column (a notification's recipient, or User.id itself): many members at once."""
    member = aliased(Membership)
    admin = aliased(User)
    return or_(
        Community.visibility == "public",
        # Correlate all but the alias, at whatever depth the member's id column comes from.
        exists()
        .where(member.community_id == Community.id, member.user_id == user_id)
        .correlate_except(member),
        exists().where(admin.id == user_id, admin.is_admin).correlate_except(admin),
    )


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
    community = db.session.scalar(select(Community).where(Community.slug == slug))
    if community is None or not can_read(user, community):
        raise NotFound(f"We could not find the community “{slug[:80]}”.")
    if need == "post":
        check_can_post(user, community)
    elif need == "moderate" and not is_moderator(user, community):
        raise Forbidden("Only this community's moderators can do that.")
    return community


def check_open(community: Community) -> None:
    """Raise Forbidden if `community` is archived: read-only, for everyone (admins too):
    no threads, replies, chat messages, resources or new members until it is reopened."""
    if community.archived_at is not None:
        raise Forbidden(f"{community.name} is archived: it is read-only.")


def check_can_post(user: User | None, community: Community) -> None:
    """Raise Forbidden unless `user` may post in `community`: open, a member, not
    suspended."""
    check_may_post(user, community, membership(user, community))


def check_may_post(user: User | None, community: Community, member: Membership | None) -> None:
    """`check_can_post`, for a caller that loaded the user's membership (or None) already."""
    check_open(community)
    # Suspension next: a suspended User reports is_authenticated False (flask-login's
    # is_active), and "please sign in" would be the wrong answer for them.
    if user is not None and getattr(user, "suspended_at", None) is not None:
        raise Forbidden("Your account is suspended.")
    if user is None or not user.is_authenticated:
        raise Forbidden("Please sign in first.")
    if member is None:
        raise Forbidden(f"Join {community.name} to take part.")
    if member.suspended:
        raise Forbidden(suspension_notice(member, community))
    # Imported here: moderation's flags import notifications, which import this module.
    from ..moderation.warnings import check_no_open_warning

    check_no_open_warning(user)


def suspension_notice(member: Membership, community: Community) -> str:
    """What a member suspended from a community is told wherever they would take part."""
    until = member.suspended_until.strftime("%-d %B %Y, %H:%M UTC")
    why = f" The moderators said: “{member.suspended_reason}”" if member.suspended_reason else ""
    return f"You are suspended from {community.name} until {until}: you can read, not post.{why}"
