"""Reads for the community page, the thread page and the home page."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select, tuple_
from sqlalchemy.orm import selectinload

from ..accounts.models import User
from ..communities.access import readable_filter
from ..communities.models import Community
from ..db import utcnow
from ..extensions import db
from ..ids import as_id
from ..pagination import Page, decode_cursor, page_of
from .models import REACTIONS, CommunityRead, Post, Reaction, Tag, Thread, ThreadRead, ThreadTag

THREADS_PAGE_SIZE = 30
POSTS_PAGE_SIZE = 20


@dataclass
class ThreadRow:
    thread: Thread
    unread: int  # posts the reader has not seen (0 when read or signed out)
    new: bool  # never opened and active since the reader's baseline


NEW_FOR_DAYS = 14


def _floor(user: User):
    """Threads last active before this are never "new": the member's arrival, or two weeks."""
    return max(user.created_at, utcnow() - timedelta(days=NEW_FOR_DAYS))


def _baseline(user: User, community_id_col):
    """The member's "everything before this is read" line in a community."""
    marked = (
        select(CommunityRead.read_before)
        .where(CommunityRead.user_id == user.id, CommunityRead.community_id == community_id_col)
        .scalar_subquery()
    )
    floor = _floor(user)
    return case((marked > floor, marked), else_=floor)


def _read_number(user: User):
    return (
        select(ThreadRead.last_read_number)
        .where(ThreadRead.user_id == user.id, ThreadRead.thread_id == Thread.id)
        .scalar_subquery()
    )


def community_threads(
    community: Community, user: User | None, *, tag: Tag | None = None, after: str | None = None
) -> Page:
    """Pinned threads first, then by latest activity; keyset-paginated."""
    signed_in = user is not None and user.is_authenticated
    read_number = _read_number(user) if signed_in else None
    columns = [Thread]
    if signed_in:
        columns += [
            read_number.label("read_number"),
            _baseline(user, Thread.community_id).label("baseline"),
        ]
    stmt = (
        select(*columns)
        .options(selectinload(Thread.tags))
        .where(Thread.community_id == community.id, Thread.in_view())
    )
    if tag is not None:
        stmt = stmt.where(
            Thread.id.in_(select(ThreadTag.thread_id).where(ThreadTag.tag_id == tag.id))
        )
    cursor = decode_cursor(after, (bool, str, int))
    if cursor is not None and as_id(cursor[2]) is not None:
        pinned, at, thread_id = cursor
        stmt = stmt.where(
            tuple_(Thread.pinned, Thread.last_post_at, Thread.id)
            < tuple_(pinned, _parse(at), thread_id)
        )
    stmt = stmt.order_by(Thread.pinned.desc(), Thread.last_post_at.desc(), Thread.id.desc())
    rows = db.session.execute(stmt.limit(THREADS_PAGE_SIZE + 1)).all()
    items = [_thread_row(row, signed_in) for row in rows]
    page = page_of(
        items,
        THREADS_PAGE_SIZE,
        lambda r: [r.thread.pinned, r.thread.last_post_at.isoformat(), r.thread.id],
    )
    return page


def _parse(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return datetime.max  # noqa: DTZ901 (stored times are naive UTC; this sorts after all)


def _thread_row(row, signed_in: bool) -> ThreadRow:
    thread = row[0]
    if not signed_in:
        return ThreadRow(thread, 0, False)
    read_number, baseline = row[1], row[2]
    if read_number is None:
        new = thread.last_post_at > baseline
        return ThreadRow(thread, thread.post_count if new else 0, new)
    return ThreadRow(thread, max(thread.last_number - read_number, 0), False)


def page_count(thread: Thread) -> int:
    return max(1, -(-thread.last_number // POSTS_PAGE_SIZE))


def last_number_on_page(thread: Thread, page: int) -> int:
    """The highest post number page `page` (clamped like thread_page) shows."""
    page = min(max(page, 1), page_count(thread))
    return min(page * POSTS_PAGE_SIZE, thread.last_number)


def thread_page(thread: Thread, *, page: int) -> tuple[list[Post], int]:
    """Posts `page` of a thread (1-based): numbers (page-1)*N+1 … page*N. No OFFSET: the
    numbers are dense, so a page is a range of the (thread_id, number) index. Pages past
    either end are clamped to the first or the last."""
    pages = page_count(thread)
    page = min(max(page, 1), pages)
    low = (page - 1) * POSTS_PAGE_SIZE
    posts = list(
        db.session.scalars(
            select(Post)
            .where(
                Post.thread_id == thread.id,
                Post.number > low,
                Post.number <= low + POSTS_PAGE_SIZE,
            )
            .order_by(Post.number)
        )
    )
    return posts, pages


def posts_after(thread: Thread, number: int, limit: int = 50) -> list[Post]:
    return list(
        db.session.scalars(
            select(Post)
            .where(Post.thread_id == thread.id, Post.number > number)
            .order_by(Post.number)
            .limit(limit)
        )
    )


def page_of_number(number: int) -> int:
    return (number - 1) // POSTS_PAGE_SIZE + 1


def reactions_for(posts: list[Post], user: User | None) -> dict[int, dict]:
    """{post_id: {kind: (count, mine)}} for the posts on a page, in one query."""
    if not posts:
        return {}
    user_id = user.id if user is not None and user.is_authenticated else -1
    rows = db.session.execute(
        select(
            Reaction.post_id,
            Reaction.kind,
            func.count(),
            func.max(func.cast(Reaction.user_id == user_id, db.Integer)),
        )
        .where(Reaction.post_id.in_([p.id for p in posts]))
        .group_by(Reaction.post_id, Reaction.kind)
    )
    result: dict[int, dict] = {}
    for post_id, kind, count, mine in rows:
        result.setdefault(post_id, {})[kind] = (count, bool(mine))
    return {pid: {k: v[k] for k in REACTIONS if k in v} for pid, v in result.items()}


def reactors(post_id: int) -> dict[str, list[User]]:
    rows = db.session.execute(
        select(Reaction.kind, User)
        .join(User, User.id == Reaction.user_id)
        .where(Reaction.post_id == post_id)
        .order_by(Reaction.kind, User.sort_name)
    )
    result: dict[str, list[User]] = {}
    for kind, user in rows:
        result.setdefault(kind, []).append(user)
    return result


def latest_threads(user: User | None, limit: int = 8) -> list[Thread]:
    """The most recently active threads the user may read (home page, feeds)."""
    stmt = (
        select(Thread)
        .join(Community, Community.id == Thread.community_id)
        .where(Thread.in_view(), readable_filter(user))
        .order_by(Thread.last_post_at.desc(), Thread.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def unread_by_community(user: User | None) -> dict[int, int]:
    """Threads with unread posts per community, for the home page.

    Two bounded reads: threads the member has opened and not caught up with (as many as they
    have opened), and threads never opened that were active since their baseline (at most two
    weeks back), so the cost never grows with the size of the whole database.
    """
    if user is None or not user.is_authenticated:
        return {}
    behind = db.session.execute(
        select(Thread.community_id, func.count())
        .join(ThreadRead, ThreadRead.thread_id == Thread.id)
        .where(
            ThreadRead.user_id == user.id,
            ThreadRead.last_read_number < Thread.last_number,
            Thread.in_view(),
        )
        .group_by(Thread.community_id)
    ).all()
    opened = select(ThreadRead.thread_id).where(ThreadRead.user_id == user.id)
    new = db.session.execute(
        select(Thread.community_id, func.count())
        .where(
            Thread.last_post_at > _floor(user),
            Thread.last_post_at > _baseline(user, Thread.community_id),
            Thread.in_view(),
            Thread.id.not_in(opened),
        )
        .group_by(Thread.community_id)
    ).all()
    counts: dict[int, int] = {}
    for community_id, n in [*behind, *new]:
        counts[community_id] = counts.get(community_id, 0) + n
    return counts


def tags_of(community: Community) -> list[tuple[Tag, int]]:
    """A community's tags by name, each with how many of its live threads carry it."""
    stmt = (
        select(Tag, func.count(Thread.id))
        .outerjoin(ThreadTag, ThreadTag.tag_id == Tag.id)
        .outerjoin(
            Thread,
            (Thread.id == ThreadTag.thread_id)
            & Thread.in_view()
            & (Thread.community_id == community.id),
        )
        .where(Tag.community_id == community.id)
        .group_by(Tag.id)
        .order_by(Tag.name)
    )
    return list(db.session.execute(stmt).all())


def tag_by_slug(community: Community, slug: str) -> Tag | None:
    return db.session.scalar(select(Tag).where(Tag.community_id == community.id, Tag.slug == slug))


def started_by_organisation(
    user: User | None, organisation_id: int, limit: int = 10
) -> list[Thread]:
    """The organisation page: the most recently active threads its members started, of those
    the user may read (the same filter as `latest_threads`)."""
    members = select(User.id).where(User.organisation_id == organisation_id)
    stmt = (
        select(Thread)
        .join(Community, Community.id == Thread.community_id)
        .where(
            Thread.author_id.in_(members),
            Thread.in_view(),
            readable_filter(user),
        )
        .order_by(Thread.last_post_at.desc(), Thread.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))
