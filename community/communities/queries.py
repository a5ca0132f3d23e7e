"""Reads for the home page and community pages."""

from sqlalchemy import case, select, tuple_

from ..accounts.models import User
from ..db import utcnow
from ..extensions import db
from ..pagination import Page, decode_cursor, page_of
from .access import readable_filter
from .models import Community, Membership

MEMBERS_PAGE_SIZE = 50


def communities_for(
    user: User | None, *, archived: bool = False
) -> list[tuple[Community, str | None]]:
    """Every open community the user may read, in order, with the user's role in it (with
    `archived`, the archived ones too, after the others: they are read-only)."""
    user_id = user.id if user is not None and user.is_authenticated else -1
    stmt = (
        select(Community, Membership.role)
        .outerjoin(
            Membership,
            (Membership.community_id == Community.id) & (Membership.user_id == user_id),
        )
        .where(readable_filter(user))
        .order_by(Community.archived_at.is_not(None), Community.position, Community.name)
    )
    if not archived:
        stmt = stmt.where(Community.archived_at.is_(None))
    return list(db.session.execute(stmt))


def _listed(stmt):
    """Only people whose profiles others can open: confirmed and not suspended."""
    return stmt.where(User.is_listed)


def moderators_of(community: Community, *, everyone: bool = False) -> list[User]:
    """A community's moderators by name (with `everyone`, suspended accounts too)."""
    return moderators_by_community([community.id], everyone=everyone).get(community.id, [])


def moderators_by_community(
    community_ids: list[int], *, everyone: bool = False
) -> dict[int, list[User]]:
    """The moderators of several communities in one query: {community id: [users by name]}.

    Public lists show only listed members; `everyone` (admin views, the CLI) shows all.
    """
    if not community_ids:
        return {}
    stmt = (
        select(Membership.community_id, User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.community_id.in_(community_ids), Membership.role == "moderator")
        .order_by(User.sort_name, User.id)
    )
    if not everyone:
        stmt = _listed(stmt)
    found: dict[int, list[User]] = {}
    for community_id, user in db.session.execute(stmt):
        found.setdefault(community_id, []).append(user)
    return found


def members_of(community: Community, *, after: str | None = None) -> Page:
    """Members, moderators first, then by name; keyset-paginated."""
    role_rank = case((Membership.role == "moderator", 0), else_=1)
    name = User.sort_name
    stmt = _listed(
        select(Membership).join(Membership.user).where(Membership.community_id == community.id)
    )
    cursor = decode_cursor(after, (int, str, int))
    if cursor is not None:
        stmt = stmt.where(tuple_(role_rank, name, User.id) > tuple_(*cursor))
    rows = list(
        db.session.scalars(stmt.order_by(role_rank, name, User.id).limit(MEMBERS_PAGE_SIZE + 1))
    )
    return page_of(
        rows,
        MEMBERS_PAGE_SIZE,
        lambda m: [0 if m.role == "moderator" else 1, m.user.sort_name, m.user.id],
    )


def memberships_visible_to(user: User, viewer: User) -> list[tuple[Community, str]]:
    """The communities `user` belongs to that `viewer` may read (for a profile page)."""
    stmt = (
        select(Community, Membership.role)
        .join(Membership, Membership.community_id == Community.id)
        .where(
            Membership.user_id == user.id,
            readable_filter(viewer),
        )
        .order_by(Community.position)
    )
    return list(db.session.execute(stmt))


def all_members(community: Community) -> list[User]:
    """Every member of a community, in the order they were created (demo loaders)."""
    stmt = (
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.community_id == community.id)
        .order_by(User.id)
    )
    return list(db.session.scalars(stmt))


def suspended_members(community: Community) -> list[Membership]:
    """The members suspended from a community now, the soonest back first."""
    return list(
        db.session.scalars(
            select(Membership)
            .where(Membership.community_id == community.id, Membership.suspended_until > utcnow())
            .order_by(Membership.suspended_until)
        )
    )
