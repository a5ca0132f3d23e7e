"""Reads for profiles and the member and organisation directories."""

import re

from sqlalchemy import func, or_, select, true, tuple_
from sqlalchemy.orm import contains_eager

from ..errors import NotFound
from ..extensions import db
from ..ids import is_id
from ..pagination import Page, decode_cursor, page_of
from .models import Organisation, User
from .rules import one_line

SLUG = re.compile(r"[a-z0-9-]{1,120}")

PAGE_SIZE = 50


def listed_members():
    """Members who appear in directories (User.is_listed)."""
    return select(User).where(User.is_listed)


def _like(q: str) -> str:
    return "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


# What an admin may filter the member list by, with its label and condition.
ADMIN_FILTERS = {
    "all": ("Everyone", true),
    "awaiting": ("Waiting for approval", lambda: User.awaiting_approval_since.is_not(None)),
    "unverified": ("Address not confirmed", lambda: User.verified_at.is_(None)),
    "suspended": ("Suspended", lambda: User.is_suspended),
    "admins": ("Admins", lambda: User.site_role == "admin"),
}


def admin_member_list(*, q: str = "", state: str = "all", after: str | None = None) -> Page:
    """Every account, for admins: by name, matching `q` against name, email or
    organisation, filtered by `state` (ADMIN_FILTERS)."""
    _label, condition = ADMIN_FILTERS.get(state, ADMIN_FILTERS["all"])
    stmt = (
        select(User)
        .outerjoin(User.organisation)
        .options(contains_eager(User.organisation))
        .where(condition())
    )
    q = one_line(q)
    if q:
        pattern = _like(q)
        stmt = stmt.where(
            or_(
                User.sort_name.like(pattern, escape="\\"),
                User.email.like(pattern, escape="\\"),
                func.lower(Organisation.name).like(pattern, escape="\\"),
                func.lower(User.organisation_other).like(pattern, escape="\\"),
            )
        )
    cursor = decode_cursor(after, (str, int))
    if cursor is not None and _cursor_is_sane(*cursor):
        stmt = stmt.where(tuple_(User.sort_name, User.id) > tuple_(*cursor))
    rows = list(db.session.scalars(stmt.order_by(User.sort_name, User.id).limit(PAGE_SIZE + 1)))
    return page_of(rows, PAGE_SIZE, lambda u: [u.sort_name, u.id])


def member_directory(
    *, q: str = "", organisation_id: int | None = None, after: str | None = None
) -> Page:
    """Members by name, optionally matching `q` against name or organisation."""
    stmt = (
        listed_members()
        .outerjoin(User.organisation)
        .options(contains_eager(User.organisation))  # one join, not a second eager one
    )
    if organisation_id is not None:
        stmt = stmt.where(User.organisation_id == organisation_id)
    q = one_line(q)
    if q:
        pattern = _like(q)
        stmt = stmt.where(
            or_(
                # sort_name is lower-cased by Python: SQLite's lower() knows only ASCII.
                User.sort_name.like(pattern, escape="\\"),
                func.lower(Organisation.name).like(pattern, escape="\\"),
                func.lower(User.organisation_other).like(pattern, escape="\\"),
            )
        )
    sort_key = User.sort_name
    cursor = decode_cursor(after, (str, int))
    if cursor is not None and _cursor_is_sane(*cursor):
        stmt = stmt.where(tuple_(sort_key, User.id) > tuple_(*cursor))
    rows = list(db.session.scalars(stmt.order_by(sort_key, User.id).limit(PAGE_SIZE + 1)))
    return page_of(rows, PAGE_SIZE, lambda u: [u.sort_name, u.id])


def _cursor_is_sane(name: str, user_id: int) -> bool:
    """A cursor from a URL could hold anything: ours never hold NUL bytes (PostgreSQL refuses
    them) or ids beyond the integer column's range."""
    return "\x00" not in name and len(name) <= 80 and is_id(user_id)


def organisations_with_counts() -> list:
    members = (
        select(User.organisation_id, func.count().label("n"))
        .where(User.is_listed)
        .group_by(User.organisation_id)
        .subquery()
    )
    return list(
        db.session.execute(
            select(Organisation, func.coalesce(members.c.n, 0))
            .outerjoin(members, members.c.organisation_id == Organisation.id)
            .order_by(func.lower(Organisation.name))
        )
    )


def organisation_by_slug(slug: str) -> Organisation:
    if not SLUG.fullmatch(slug):
        raise NotFound()
    org = db.session.scalar(select(Organisation).where(Organisation.slug == slug))
    if org is None:
        raise NotFound()
    return org
