"""A member's private calendar feed: the secret link that calendar programs subscribe to
(`/events/feed/<token>.ics`), made, replaced and revoked from the settings page.

The token is the only credential of the feed, so it is long and random, looked up as a
whole (no comparison that ends early on its length or prefix), and revoking it deletes the
row: the old link then answers 404 like any wrong one.
"""

import secrets

from sqlalchemy import delete, select

from ..accounts.models import User
from ..db import utcnow
from ..errors import NotFound
from ..extensions import db
from ..links import absolute_url
from .models import CalendarFeed

NOT_FOUND = "We could not find that calendar feed: its link may have been revoked."


def feed_url(user: User) -> str | None:
    """The absolute address of `user`'s private feed (from SITE_URL), or None without one."""
    token = db.session.scalar(select(CalendarFeed.token).where(CalendarFeed.user_id == user.id))
    return absolute_url("events.member_feed", token=token) if token else None


def make_feed(user: User) -> CalendarFeed:
    """Give `user` a private feed link, or a new one in place of the old (which then stops
    working). One row per member, written as an upsert so a double click cannot fail."""
    token = secrets.token_urlsafe(32)
    values = {"user_id": user.id, "token": token, "created_at": utcnow()}
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(CalendarFeed).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["user_id"], set_={"token": token, "created_at": values["created_at"]}
    )
    db.session.execute(stmt)
    return db.session.get(CalendarFeed, user.id, populate_existing=True)


def revoke_feed(user: User) -> bool:
    """Stop `user`'s private feed link (False: they had none)."""
    result = db.session.execute(delete(CalendarFeed).where(CalendarFeed.user_id == user.id))
    return result.rowcount > 0


def member_for_token(token: str) -> User:
    """The member whose feed `token` is; NotFound for a wrong or revoked token, and for a
    suspended member (whose feed stops while the suspension lasts)."""
    user = db.session.scalar(
        select(User)
        .join(CalendarFeed, CalendarFeed.user_id == User.id)
        .where(CalendarFeed.token == token)
    )
    if user is None or user.is_suspended:
        raise NotFound(NOT_FOUND)
    return user
