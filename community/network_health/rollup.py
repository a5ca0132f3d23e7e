"""The network health rollup: the figures of each day, counted from the tables with one
set-based INSERT … SELECT per figure (delete the days, then insert them again), so the health
pages read the small tables of models.py and never the posts themselves.

What is counted (every day is a UTC day; `organisation` is the member's organisation *now*,
0 for none; content out of view — deleted, hidden by moderation or held for approval, and
anything in a deleted or hidden thread — never counts):

- new_members: accounts made that day (community 0: accounts belong to no community).
- threads: threads started (their first post), in the thread's community.
- posts: replies, i.e. every post but a thread's first (that one is the thread): threads +
  posts is every post written.
- chat_messages: chat messages, in the room's community (an event's room: the event's, 0 for
  a network-wide event).
- resources_published / resource_downloads: by the resource's organisation (else its
  submitter's); a resource in several communities counts once, in the first of them (the
  lowest id), so that the figures add up to the network's total.
- event_attendance: "going" answers to events that ended that day (not cancelled nor hidden).
- event_feedback / event_rating_sum: feedback given that day and the sum of its ratings,
  so that an average over any range is exact (sum / count).

HealthActive: a member who posted, chatted, reacted, answered an event's RSVP or gave
feedback that day, in that community. HealthPair: "reply", a reply whose author's
organisation differs from that of the post it answers (its reply_to, else the thread's first
post); "chat", a chat message that follows the room's previous message within
CHAT_EXCHANGE_WINDOW, written by a member of another organisation.

Bookkeeping (HealthState, one row): `stale_from` is the first day to recompute; each run
recomputes from it to today, then sets it to today (today is still filling). A change to an
older day (a held post approved, a post hidden or deleted, a thread moved…) moves it back
(receivers.py); an organisation merge sets it to None: the next run rebuilds everything.
"""

import logging
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as dtime

from sqlalchemy import (
    and_,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    literal_column,
    select,
    union,
)
from sqlalchemy.orm import aliased

from ..accounts.models import User
from ..chat.models import ChatMessage, ChatRoom
from ..db import atomic, utcnow
from ..events.models import Event, EventFeedback, EventRsvp
from ..extensions import db
from ..resources.models import Resource, ResourceCommunity, ResourceDownloadDay
from ..threads.models import Post, Reaction, Thread
from .models import HealthActive, HealthDay, HealthPair, HealthState

log = logging.getLogger(__name__)

STATE_ID = 1
CHUNK_DAYS = 92  # days recomputed per write transaction (a full rebuild takes several)
CHAT_EXCHANGE_WINDOW = timedelta(minutes=10)

METRICS = (
    "new_members",
    "threads",
    "posts",
    "chat_messages",
    "resources_published",
    "resource_downloads",
    "event_attendance",
    "event_feedback",
    "event_rating_sum",
)
PAIR_KINDS = ("reply", "chat")
# Active members of whole weeks (Monday to Sunday), counted once per week from HealthActive
# and kept in health_day on the week's Monday: not additive, so never summed with the
# figures above. "active_week" per community (ALL_COMMUNITIES: the network's, each member
# once), "active_week_org" per organisation. The pages read these for the weeks wholly in
# their range, and HealthActive itself only for the cut weeks at its ends.
ACTIVE_WEEK, ACTIVE_WEEK_ORG = "active_week", "active_week_org"
ALL_COMMUNITIES = -1
# Constants written into the SQL itself, not bound: PostgreSQL must see the same expression
# in a query's columns and in its GROUP BY, and two bound parameters are two expressions.
ZERO = literal_column("0")


@dataclass
class RollupResult:
    first_day: date | None  # None: nothing to count
    last_day: date
    full: bool
    seconds: float

    def line(self) -> str:
        if self.first_day is None:
            return "Nothing to count yet."
        kind = "Rebuilt" if self.full else "Refreshed"
        return (
            f"{kind} {(self.last_day - self.first_day).days + 1} days "
            f"({self.first_day} to {self.last_day}) in {self.seconds:.2f} s."
        )


# --- the state ----------------------------------------------------------------------------


def state() -> HealthState | None:
    return db.session.get(HealthState, STATE_ID)


def _state_for_update() -> HealthState:
    row = db.session.get(HealthState, STATE_ID, with_for_update=True)
    if row is None:
        row = HealthState(id=STATE_ID, refreshed_at=None, stale_from=None)
        db.session.add(row)
    return row


def mark_stale(day: date) -> None:
    """Recompute from `day` at the next run (inside the caller's transaction). Writes only
    when that moves `stale_from` back, so new content (today's) costs one read."""
    row = state()
    if row is None or row.stale_from is None:
        return  # never built, or a full rebuild is due anyway
    if day < row.stale_from:
        row = _state_for_update()
        if row.stale_from is not None and day < row.stale_from:
            row.stale_from = day


def mark_all_stale() -> None:
    """Rebuild everything at the next run (an organisation merge changes every past day)."""
    row = _state_for_update()
    row.stale_from = None


# --- running ------------------------------------------------------------------------------


def run_job() -> None:
    """The registered job: the incremental rollup."""
    result = refresh()
    log.info("network health: %s", result.line())


def refresh(*, rebuild: bool = False, today: date | None = None) -> RollupResult:
    """Recompute the stale days: from `stale_from` to today, or everything when `rebuild`,
    when never built or when told to rebuild (stale_from None). One write transaction per
    CHUNK_DAYS; the edge calls this outside a transaction (each chunk commits on its own).

    The run first claims the days (stale_from = today, in its own transaction): a change to
    an older day committed while it counts moves stale_from back again, so the next run
    recomputes that day; a merge sets it to None. If the run fails, what it claimed is
    given back."""
    started = time.perf_counter()
    today = today or utcnow().date()
    db.session.rollback()  # end any read transaction: each step is its own
    with atomic():
        row = _state_for_update()
        full = rebuild or row.refreshed_at is None or row.stale_from is None
        before = None if full else row.stale_from
        row.stale_from = today
        if full:
            row.refreshed_at = None  # until the rebuild is through: the next run rebuilds
            _clear_all()
    try:
        first = _earliest_day() if full else min(before, today)
        db.session.rollback()
        day = min(first, today) if first else None
        while day is not None and day <= today:
            last = min(day + timedelta(days=CHUNK_DAYS - 1), today)
            with atomic():
                _state_for_update()  # one runner's chunk at a time (the job, the button, the CLI)
                recompute(day, last, incremental=not full)
            day = last + timedelta(days=1)
    except BaseException:
        with atomic():
            row = _state_for_update()
            if full or row.stale_from is None:
                row.stale_from = None
            else:
                row.stale_from = min(row.stale_from, before)
        raise
    with atomic():
        _state_for_update().refreshed_at = utcnow()
    return RollupResult(first, today, full, time.perf_counter() - started)


def _clear_all() -> None:
    for model in (HealthDay, HealthActive, HealthPair):
        db.session.execute(delete(model))


def _earliest_day() -> date | None:
    """The first day with anything to count."""
    candidates = [
        select(func.min(User.created_at)),
        select(func.min(Thread.created_at)),
        select(func.min(Post.created_at)),
        select(func.min(ChatMessage.created_at)),
        select(func.min(Resource.published_at)),
        select(func.min(ResourceDownloadDay.day)),
        select(func.min(Event.ends_at)),
        select(func.min(EventRsvp.updated_at)),
        select(func.min(EventFeedback.created_at)),
        select(func.min(Reaction.created_at)),
    ]
    days = []
    for query in candidates:
        value = db.session.scalar(query)
        if value is None:
            continue
        if isinstance(value, str):  # SQLite hands back min() of a column as stored text
            value = date.fromisoformat(value[:10])
        days.append(value.date() if isinstance(value, datetime) else value)
    return min(days) if days else None


# --- the figures --------------------------------------------------------------------------


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _day(column):
    """The UTC day of a stored (naive UTC) time, as the Date the rollup tables hold."""
    if _dialect() == "postgresql":
        return cast(column, db.Date)
    return func.date(column)  # 'YYYY-MM-DD': SQLAlchemy's own text form of a Date on SQLite


def _seconds_between(earlier, later):
    if _dialect() == "postgresql":
        return func.extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def _org(user_alias):
    return func.coalesce(user_alias.organisation_id, ZERO)


def _post_in_view(post=Post, thread=Thread):
    return and_(
        post.deleted_at.is_(None),
        post.hidden_at.is_(None),
        thread.deleted_at.is_(None),
        thread.hidden_at.is_(None),
    )


def _room_community():
    return case(
        (ChatRoom.kind == literal_column("'community'"), ChatRoom.target_id),
        else_=func.coalesce(Event.community_id, ZERO),
    )


def _chat_rooms(query):
    return query.join(ChatRoom, ChatRoom.id == ChatMessage.room_id).outerjoin(
        Event, and_(ChatRoom.kind == literal_column("'event'"), Event.id == ChatRoom.target_id)
    )


def _chat_in_view():
    return and_(ChatMessage.deleted_at.is_(None), ChatMessage.hidden_at.is_(None))


def _first_community():
    """A resource's first community (the lowest id): where its figures go."""
    return (
        select(func.min(ResourceCommunity.community_id))
        .where(ResourceCommunity.resource_id == Resource.id)
        .scalar_subquery()
    )


def _resource_org(submitter):
    return func.coalesce(Resource.organisation_id, submitter.organisation_id, ZERO)


def _resource_listed():
    return and_(Resource.status.in_(("published", "archived")), Resource.hidden_at.is_(None))


def recompute(first: date, last: date, *, incremental: bool = True) -> None:
    """Delete the figures of the days first..last and count them again (in the caller's
    transaction). `incremental`: a short range near today, where an index on the threads'
    latest activity finds the few threads with new posts (a full rebuild reads them all)."""
    since = datetime.combine(first, dtime())
    until = datetime.combine(last + timedelta(days=1), dtime())
    for model in (HealthDay, HealthActive, HealthPair):
        db.session.execute(delete(model).where(model.day >= first, model.day <= last))
    author = aliased(User, name="author")

    def window(column):
        return and_(column >= since, column < until)

    def recent_threads():
        if not incremental:
            return literal(True)
        return Post.thread_id.in_(select(Thread.id).where(Thread.last_post_at >= since))

    day_rows = []
    day_rows.append(
        select(_day(User.created_at), literal("new_members"), literal(0), _org(User), func.count())
        .where(window(User.created_at))
        .group_by(_day(User.created_at), _org(User))
    )
    day_rows.append(
        select(
            _day(Thread.created_at),
            literal("threads"),
            Thread.community_id,
            _org(author),
            func.count(),
        )
        .join(author, author.id == Thread.author_id, isouter=True)
        .where(window(Thread.created_at), Thread.deleted_at.is_(None), Thread.hidden_at.is_(None))
        .group_by(_day(Thread.created_at), Thread.community_id, _org(author))
    )
    day_rows.append(
        select(
            _day(Post.created_at), literal("posts"), Thread.community_id, _org(author), func.count()
        )
        .join(Thread, Thread.id == Post.thread_id)
        .join(author, author.id == Post.author_id, isouter=True)
        .where(window(Post.created_at), recent_threads(), Post.number > 1, _post_in_view())
        .group_by(_day(Post.created_at), Thread.community_id, _org(author))
    )
    day_rows.append(
        _chat_rooms(
            select(
                _day(ChatMessage.created_at),
                literal("chat_messages"),
                _room_community(),
                _org(author),
                func.count(),
            ).select_from(ChatMessage)
        )
        .join(author, author.id == ChatMessage.author_id, isouter=True)
        .where(window(ChatMessage.created_at), _chat_in_view())
        .group_by(_day(ChatMessage.created_at), _room_community(), _org(author))
    )
    submitter = aliased(User, name="submitter")
    first_community = func.coalesce(_first_community(), ZERO)
    day_rows.append(
        select(
            _day(Resource.published_at),
            literal("resources_published"),
            first_community,
            _resource_org(submitter),
            func.count(),
        )
        .join(submitter, submitter.id == Resource.submitter_id, isouter=True)
        .where(window(Resource.published_at), _resource_listed())
        .group_by(_day(Resource.published_at), first_community, _resource_org(submitter))
    )
    day_rows.append(
        select(
            ResourceDownloadDay.day,
            literal("resource_downloads"),
            first_community,
            _resource_org(submitter),
            func.sum(ResourceDownloadDay.count),
        )
        .join(Resource, Resource.id == ResourceDownloadDay.resource_id)
        .join(submitter, submitter.id == Resource.submitter_id, isouter=True)
        .where(
            ResourceDownloadDay.day >= first, ResourceDownloadDay.day <= last, _resource_listed()
        )
        .group_by(ResourceDownloadDay.day, first_community, _resource_org(submitter))
    )
    event_community = func.coalesce(Event.community_id, ZERO)
    event_shown = and_(Event.cancelled_at.is_(None), Event.hidden_at.is_(None))
    day_rows.append(
        select(
            _day(Event.ends_at),
            literal("event_attendance"),
            event_community,
            _org(author),
            func.count(),
        )
        .select_from(EventRsvp)
        .join(Event, Event.id == EventRsvp.event_id)
        .join(author, author.id == EventRsvp.user_id)
        .where(window(Event.ends_at), event_shown, EventRsvp.status == "going")
        .group_by(_day(Event.ends_at), event_community, _org(author))
    )
    for metric, value in (
        ("event_feedback", func.count()),
        ("event_rating_sum", func.sum(EventFeedback.rating)),
    ):
        day_rows.append(
            select(
                _day(EventFeedback.created_at),
                literal(metric),
                event_community,
                _org(author),
                value,
            )
            .select_from(EventFeedback)
            .join(Event, Event.id == EventFeedback.event_id)
            .join(author, author.id == EventFeedback.user_id, isouter=True)
            .where(window(EventFeedback.created_at), event_shown)
            .group_by(_day(EventFeedback.created_at), event_community, _org(author))
        )
    columns = [
        HealthDay.day,
        HealthDay.metric,
        HealthDay.community_id,
        HealthDay.organisation_id,
        HealthDay.value,
    ]
    for query in day_rows:
        db.session.execute(insert(HealthDay).from_select(columns, query))

    _insert_active(window, recent_threads, event_shown)
    _insert_active_weeks(first, last)
    _insert_reply_pairs(window, recent_threads)
    _insert_chat_pairs(since, until)


def _insert_active(window, recent_threads, event_shown) -> None:
    event_community = func.coalesce(Event.community_id, ZERO)
    posted = (
        select(_day(Post.created_at).label("day"), Post.author_id, Thread.community_id)
        .join(Thread, Thread.id == Post.thread_id)
        .where(window(Post.created_at), recent_threads(), Post.author_id.is_not(None))
        .where(_post_in_view())
    )
    chatted = _chat_rooms(
        select(_day(ChatMessage.created_at), ChatMessage.author_id, _room_community()).select_from(
            ChatMessage
        )
    ).where(window(ChatMessage.created_at), _chat_in_view(), ChatMessage.author_id.is_not(None))
    reacted = (
        select(_day(Reaction.created_at), Reaction.user_id, Thread.community_id)
        .join(Post, Post.id == Reaction.post_id)
        .join(Thread, Thread.id == Post.thread_id)
        .where(window(Reaction.created_at), _post_in_view())
    )
    answered = (
        select(_day(EventRsvp.updated_at), EventRsvp.user_id, event_community)
        .join(Event, Event.id == EventRsvp.event_id)
        .where(window(EventRsvp.updated_at), event_shown)
    )
    gave_feedback = (
        select(_day(EventFeedback.created_at), EventFeedback.user_id, event_community)
        .join(Event, Event.id == EventFeedback.event_id)
        .where(window(EventFeedback.created_at), EventFeedback.user_id.is_not(None), event_shown)
    )
    everyone = union(posted, chatted, reacted, answered, gave_feedback)  # UNION: distinct rows
    db.session.execute(
        insert(HealthActive).from_select(
            [HealthActive.day, HealthActive.user_id, HealthActive.community_id],
            select(everyone.subquery()),
        )
    )


def monday_of(column):
    """The Monday (a Date) of the week of a day column."""
    if _dialect() == "postgresql":
        return cast(func.date_trunc(literal_column("'week'"), column), db.Date)
    # The next Sunday (the day itself on a Sunday), then six days back.
    return func.date(column, literal_column("'weekday 0'"), literal_column("'-6 days'"))


def _insert_active_weeks(first: date, last: date) -> None:
    """Count again the weeks that days first..last touch, from HealthActive (those of their
    days outside the range are counted already, or will be by the next chunk)."""
    monday = first - timedelta(days=first.weekday())
    sunday = last + timedelta(days=6 - last.weekday())
    db.session.execute(
        delete(HealthDay).where(
            HealthDay.metric.in_((ACTIVE_WEEK, ACTIVE_WEEK_ORG)),
            HealthDay.day >= monday,
            HealthDay.day <= sunday,
        )
    )
    week = monday_of(HealthActive.day)
    distinct = func.count(HealthActive.user_id.distinct())
    in_weeks = (HealthActive.day >= monday, HealthActive.day <= sunday)
    member = aliased(User, name="member")
    columns = [HealthDay.day, HealthDay.metric, HealthDay.community_id,
               HealthDay.organisation_id, HealthDay.value]  # fmt: skip
    everyone = literal_column(str(ALL_COMMUNITIES))
    for query in (
        select(week, literal_column(f"'{ACTIVE_WEEK}'"), HealthActive.community_id, ZERO, distinct)
        .where(*in_weeks)
        .group_by(week, HealthActive.community_id),
        select(week, literal_column(f"'{ACTIVE_WEEK}'"), everyone, ZERO, distinct)
        .where(*in_weeks)
        .group_by(week),
        select(week, literal_column(f"'{ACTIVE_WEEK_ORG}'"), everyone, _org(member), distinct)
        .join(member, member.id == HealthActive.user_id)
        .where(*in_weeks)
        .group_by(week, _org(member)),
    ):
        db.session.execute(insert(HealthDay).from_select(columns, query))


def _pair_columns(org_a, org_b):
    low = case((org_a < org_b, org_a), else_=org_b)
    high = case((org_a < org_b, org_b), else_=org_a)
    return low, high


def _insert_reply_pairs(window, recent_threads) -> None:
    replier = aliased(User, name="replier")
    answered = aliased(User, name="answered")
    target = aliased(Post, name="target")
    first = aliased(Post, name="first_post")
    target_author = case((Post.reply_to_id.is_not(None), target.author_id), else_=first.author_id)
    low, high = _pair_columns(replier.organisation_id, answered.organisation_id)
    query = (
        select(_day(Post.created_at), literal("reply"), low, high, func.count())
        .join(Thread, Thread.id == Post.thread_id)
        .join(first, and_(first.thread_id == Post.thread_id, first.number == 1))
        .join(target, target.id == Post.reply_to_id, isouter=True)
        .join(replier, replier.id == Post.author_id)
        .join(answered, answered.id == target_author)
        .where(window(Post.created_at), recent_threads(), Post.number > 1, _post_in_view())
        .where(
            replier.organisation_id.is_not(None),
            answered.organisation_id.is_not(None),
            replier.organisation_id != answered.organisation_id,
        )
        .group_by(_day(Post.created_at), low, high)
    )
    _insert_pairs(query)


def _insert_chat_pairs(since: datetime, until: datetime) -> None:
    """Each message with the room's previous one (LAG over the room's messages in view,
    from a window before the range so the first message of the range has its predecessor)."""
    room_order = {"partition_by": ChatMessage.room_id, "order_by": ChatMessage.number}
    ordered = (
        select(
            ChatMessage.created_at.label("created_at"),
            ChatMessage.author_id.label("author_id"),
            func.lag(ChatMessage.author_id).over(**room_order).label("prev_author_id"),
            func.lag(ChatMessage.created_at).over(**room_order).label("prev_created_at"),
        )
        .where(
            ChatMessage.created_at >= since - CHAT_EXCHANGE_WINDOW,
            ChatMessage.created_at < until,
            _chat_in_view(),
        )
        .subquery("ordered")
    )
    speaker = aliased(User, name="speaker")
    previous = aliased(User, name="previous")
    low, high = _pair_columns(speaker.organisation_id, previous.organisation_id)
    query = (
        select(_day(ordered.c.created_at), literal("chat"), low, high, func.count())
        .select_from(ordered)
        .join(speaker, speaker.id == ordered.c.author_id)
        .join(previous, previous.id == ordered.c.prev_author_id)
        .where(
            ordered.c.created_at >= since,
            _seconds_between(ordered.c.prev_created_at, ordered.c.created_at)
            <= CHAT_EXCHANGE_WINDOW.total_seconds(),
            speaker.organisation_id.is_not(None),
            previous.organisation_id.is_not(None),
            speaker.organisation_id != previous.organisation_id,
        )
        .group_by(_day(ordered.c.created_at), low, high)
    )
    _insert_pairs(query)


def _insert_pairs(query) -> None:
    db.session.execute(
        insert(HealthPair).from_select(
            [
                HealthPair.day,
                HealthPair.kind,
                HealthPair.org_low,
                HealthPair.org_high,
                HealthPair.value,
            ],
            query,
        )  # fmt: skip
    )


__all__ = [
    "METRICS",
    "PAIR_KINDS",
    "RollupResult",
    "mark_all_stale",
    "mark_stale",
    "recompute",
    "refresh",
    "state",
]
