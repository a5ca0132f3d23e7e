"""Who may read a community: the rule in its Python form and its SQL form, side by side.

Public communities are open to everyone; members-only ones to their members and the site's
admins. `may_read` answers for one user and one community; `readable_filter` is the same rule
as a WHERE clause on Community for one user, and `readable_by_member_id` for many members at
once (a column holding their ids). Change one, change the others.
"""

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import aliased

from ..accounts.models import User
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


def may_read(user: User | None, community: Community, member: Membership | None) -> bool:
    """Whether `user` may read `community`, given their membership there (or None)."""
    if community.is_public:
        return True
    if user is None or not user.is_authenticated:
        return False
    return user.is_admin or member is not None


def can_read(user: User | None, community: Community) -> bool:
    """`may_read`, loading the membership only when the answer depends on it."""
    if community.is_public:
        return True
    return may_read(user, community, membership(user, community))


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
