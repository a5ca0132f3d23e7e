"""Discussions: start threads, reply, edit, delete, react, moderate, watch, read and tag."""

import re

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from .. import realtime, signals
from ..accounts.models import User
from ..communities import access as community_access
from ..communities.models import Community
from ..db import utcnow
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..extensions import db
from ..ids import as_id
from ..moderation.audit import record
from ..rooms import thread_room
from ..rules import check_body, check_client_token, check_tags, tag_slug
from . import held, mentions, notices, rules, safeguards
from .models import (
    HELD,
    REACTIONS,
    CommunityRead,
    Post,
    PostRevision,
    Reaction,
    Subscription,
    Tag,
    Thread,
    ThreadRead,
    ThreadTag,
)

PAGE_SIZE = 20
LOCKED_MESSAGE = "This thread is locked: it takes no more replies."
DELETED_MESSAGE = "This thread has been deleted: it takes no more replies."
HIDDEN_MESSAGE = "This is hidden while a moderator reviews it."


# --- access ---------------------------------------------------------------------------------


def access_thread(user: User | None, thread_id: int, *, need: str = "read", lock: bool = False):
    """Load a thread and check `need`: "read", "reply", "edit" or "moderate".

    A thread the user may not read does not exist for them (404). Deleted threads exist only
    for moderators. `lock` takes the thread's row lock (PostgreSQL) for counter updates.
    """
    if as_id(thread_id) is None:
        raise NotFound()
    stmt = select(Thread).where(Thread.id == thread_id)
    if lock:
        # populate_existing: a thread loaded earlier in this transaction keeps the counters it
        # had then; the values read under the lock must be the current ones.
        stmt = stmt.with_for_update(of=Thread).execution_options(populate_existing=True)
    thread = db.session.scalar(stmt)
    if thread is None:
        raise NotFound()
    community = thread.community
    if not community_access.can_read(user, community):
        raise NotFound()
    moderator = community_access.is_moderator(user, community)
    if thread.deleted_at is not None:
        if not moderator:
            # Only someone who could read the community learns why: the thread was there.
            raise NotFound(DELETED_MESSAGE) if need == "reply" else NotFound()
        if need == "reply":
            raise Forbidden(DELETED_MESSAGE)
    hidden = thread.hidden_at is not None and not moderator
    if hidden and not (need == "read" and _awaits_its_author(user, thread)):
        raise NotFound(HIDDEN_MESSAGE)
    if need == "reply":
        community_access.check_can_post(user, community)
        if thread.locked and not moderator:
            raise Forbidden(LOCKED_MESSAGE)
    elif need == "moderate" and not moderator:
        raise Forbidden("Only this community's moderators can do that.")
    return thread


def _awaits_its_author(user: User | None, thread: Thread) -> bool:
    """A new member's thread held for approval: its author reads it meanwhile."""
    if user is None or not user.is_authenticated or thread.author_id != user.id:
        return False
    first = db.session.scalar(
        select(Post.hidden_reason).where(Post.thread_id == thread.id, Post.number == 1)
    )
    return first == HELD


def access_post(user: User | None, post_id: int, *, need: str = "read") -> Post:
    """Load a post through its thread (see access_thread); `need` is "read" or "edit"."""
    if as_id(post_id) is None:
        raise NotFound()
    post = db.session.get(Post, post_id)
    if post is None:
        raise NotFound()
    thread = access_thread(user, post.thread_id)
    moderator = community_access.is_moderator(user, thread.community)
    if post.is_held_from(user, moderator):
        raise NotFound()
    if need == "edit":
        if post.deleted_at is not None:
            raise Forbidden("This post was deleted.")
        own_held = post.is_held and post.author_id == user.id
        if post.hidden_at is not None and not moderator and not own_held:
            raise Forbidden(HIDDEN_MESSAGE)
        if not moderator:
            if user is None or post.author_id != user.id:
                raise Forbidden("You can only change your own posts.")
            community_access.check_can_post(user, thread.community)
            if thread.locked:
                raise Forbidden("This thread is locked: its posts can no longer be changed.")
    return post


# --- posting --------------------------------------------------------------------------------


def _previous_submission(author: User, client_token: str | None) -> Post | None:
    if not client_token:
        return None
    return db.session.scalar(
        select(Post).where(Post.author_id == author.id, Post.client_token == client_token)
    )


def _serialise_author(author: User) -> None:
    """Take the author's row lock, so two submissions of one form are handled one by one."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(select(User.id).where(User.id == author.id).with_for_update())


def start_thread(
    author: User,
    slug: str,
    *,
    title: str,
    body: str,
    tags: str | list[str] = "",
    client_token: str | None = None,
) -> Thread:
    """Start a thread with its first post. Members of the community who are not suspended."""
    community = community_access.access_community(author, slug, need="post")
    title = rules.check_title(title)
    body = check_body(body)
    tag_names = check_tags(tags)
    client_token = check_client_token(client_token)
    _serialise_author(author)
    if (earlier := _previous_submission(author, client_token)) is not None:
        return earlier.thread
    html, mentioned = mentions.render(body)
    safeguards.check_new_member_post(author, community, html)
    now = utcnow()
    thread = Thread(
        community=community, author=author, title=title, slug=_slugify(title), last_post_at=now,
        post_count=0, last_number=0, pinned=False, locked=False,
    )  # fmt: skip
    db.session.add(thread)
    _apply_tags(thread, community, tag_names)
    _add_post(thread, author, body, (html, mentioned), client_token=client_token, now=now)
    return thread


def post_reply(
    author: User,
    thread_id: int,
    *,
    body: str,
    reply_to_id: int | None = None,
    client_token: str | None = None,
) -> Post:
    """Reply to a thread. Community members, not suspended; not in a locked thread."""
    thread = access_thread(author, thread_id, need="reply", lock=True)
    body = check_body(body)
    client_token = check_client_token(client_token)
    if (earlier := _previous_submission(author, client_token)) is not None:
        return earlier
    html, mentioned = mentions.render(body)
    safeguards.check_new_member_post(author, thread.community, html)
    reply_to_id = as_id(reply_to_id)
    if reply_to_id is not None:
        target = db.session.get(Post, reply_to_id)
        if target is None or target.thread_id != thread.id:
            reply_to_id = None
    return _add_post(
        thread, author, body, (html, mentioned), reply_to_id=reply_to_id,
        client_token=client_token,
    )  # fmt: skip


def _add_post(
    thread: Thread,
    author: User,
    body: str,
    rendered: tuple[str, list[User]],
    *,
    reply_to_id: int | None = None,
    client_token: str | None = None,
    now=None,
) -> Post:
    """The post, numbered in its thread, then published, or held for a moderator when its
    author is new to a community that holds first posts. `rendered`: (html, mentioned)."""
    html, mentioned = rendered
    hold = safeguards.must_hold(author, thread.community)  # counted before this post is in
    thread.last_number += 1
    post = Post(
        thread=thread,
        number=thread.last_number,
        author=author,
        source=body,
        html=html,
        reply_to_id=reply_to_id,
        client_token=client_token or None,
        created_at=now or utcnow(),
    )
    db.session.add(post)
    db.session.flush()  # post.id: the thread's last post, the index, the events
    _auto_watch(author, thread)
    _record_read(author, thread, post.number)
    if hold:
        _hold(post)
    else:
        _publish(post, mentioned)
    return post


def _publish(post: Post, mentioned: list[User]) -> None:
    """The post counts, tells those it concerns, joins the index and reaches open pages."""
    thread, now = post.thread, utcnow()
    thread.post_count += 1
    thread.last_post_at, thread.last_post_id = now, post.id
    first = post.number == 1
    db.session.execute(
        update(Community)
        .where(Community.id == thread.community_id)
        .values(
            post_count=Community.post_count + 1,
            thread_count=Community.thread_count + (1 if first else 0),
            last_activity_at=now,
        )
    )
    signals.post_published.emit(post=post, mentioned=mentioned)
    realtime.publish("thread.reply", post_event(post), room=thread_room(thread.id))


def _hold(post: Post) -> None:
    """A new member's post waits for a moderator: only they and the moderators see it
    (a held first post holds its thread)."""
    post.hidden_at, post.hidden_reason = utcnow(), HELD
    if post.number == 1:
        post.thread.hidden_at = post.hidden_at
    held.post_held(post)


def approve_held(moderator: User, post_id) -> Post:
    """Publish a held post as if posted now: counted, told, indexed, live."""
    post = _held_post(moderator, post_id)
    post.hidden_at, post.hidden_reason = None, ""
    if post.number == 1:
        post.thread.hidden_at = None
    _, mentioned = mentions.render(post.source)
    _publish(post, mentioned)
    if post.number == 1:
        recheck_live_readers([post.thread_id])
    _audit(moderator, "post.approve", post.thread, post_id=post.id)
    held.post_decided(post, moderator, approved=True)
    return post


def reject_held(moderator: User, post_id, *, reason: str = "") -> Post:
    """Turn a held post down: deleted, never published; its author is told why."""
    post = _held_post(moderator, post_id)
    now = utcnow()
    post.deleted_at, post.deleted_by_id = now, moderator.id
    if post.number == 1:
        post.thread.deleted_at = now
    _audit(moderator, "post.reject", post.thread, post_id=post.id, reason=reason.strip()[:500])
    held.post_decided(post, moderator, approved=False, reason=reason)
    return post


def _held_post(moderator: User, post_id) -> Post:
    post = db.session.get(Post, as_id(post_id)) if as_id(post_id) is not None else None
    if post is None:
        raise NotFound()
    thread = access_thread(moderator, post.thread_id, need="moderate", lock=True)
    db.session.refresh(post)
    if post.deleted_at is not None or post.hidden_reason != HELD:
        raise Conflict("Already decided: this post is no longer waiting.")
    if thread.deleted_at is not None:
        raise Conflict("Already decided: its thread was deleted.")
    return post


def post_event(post: Post) -> dict:
    """The live payload of a new post: enough for an open thread page to show it."""
    author = post.author
    return {
        "thread_id": post.thread_id,
        "post_id": post.id,
        "number": post.number,
        "author": {"id": author.id, "name": author.display_name} if author else None,
        "html": post.html,
        "created_at": post.created_at.isoformat() + "Z",
    }


def _slugify(title: str) -> str:
    from ..accounts.actions import slugify

    return slugify(title)[:80]


# --- watching -------------------------------------------------------------------------------------


def is_watching(user: User | None, thread: Thread) -> bool:
    """Whether the member hears of new posts in the thread (see notices.watchers_of)."""
    if user is None:
        return False
    rows = db.session.execute(
        select(Subscription.thread_id, Subscription.watching).where(
            Subscription.user_id == user.id,
            (Subscription.thread_id == thread.id)
            | (Subscription.community_id == thread.community_id),
        )
    ).all()
    on_thread = [watching for thread_id, watching in rows if thread_id is not None]
    if on_thread:
        return on_thread[0]
    return any(watching for _thread_id, watching in rows)


def _auto_watch(user: User, thread: Thread) -> None:
    """Starting or replying to a thread watches it, unless the member chose not to."""
    existing = db.session.scalar(
        select(Subscription).where(
            Subscription.user_id == user.id, Subscription.thread_id == thread.id
        )
    )
    if existing is None:
        db.session.add(Subscription(user_id=user.id, thread_id=thread.id, watching=True))


def set_thread_watching(user: User, thread_id: int, *, watching: bool) -> Subscription:
    """Watch or stop watching a thread. Anyone who can read it."""
    thread = access_thread(user, thread_id)
    mine = select(Subscription).where(
        Subscription.user_id == user.id, Subscription.thread_id == thread.id
    )
    sub = db.session.scalar(mine)
    if sub is None:
        sub = _add_once(Subscription(user_id=user.id, thread_id=thread.id), mine)
    sub.watching = watching
    return sub


def _add_once(row, existing):
    """Insert `row`, or when a simultaneous request (a double click) inserted the same one
    first and the unique key refuses it, return that one (`existing` selects it)."""
    try:
        with db.session.begin_nested():
            db.session.add(row)
        return row
    except IntegrityError:
        return db.session.scalar(existing)


def watches_community(user: User | None, community: Community) -> bool:
    if user is None:
        return False
    return bool(
        db.session.scalar(
            select(Subscription.id).where(
                Subscription.user_id == user.id,
                Subscription.community_id == community.id,
                Subscription.watching,
            )
        )
    )


def set_community_watching(user: User, slug: str, *, watching: bool) -> None:
    """Watch every new post in a community, or stop. Anyone who can read it."""
    community = community_access.access_community(user, slug)
    mine = select(Subscription).where(
        Subscription.user_id == user.id, Subscription.community_id == community.id
    )
    sub = db.session.scalar(mine)
    if watching and sub is None:
        _add_once(Subscription(user_id=user.id, community_id=community.id, watching=True), mine)
    elif not watching and sub is not None:
        db.session.delete(sub)


# --- reading --------------------------------------------------------------------------------


def _record_read(user: User, thread: Thread, number: int) -> None:
    mine = select(ThreadRead).where(
        ThreadRead.user_id == user.id, ThreadRead.thread_id == thread.id
    )
    row = db.session.scalar(mine)
    if row is None:
        # Two tabs opening a thread for the first time at once would both insert: the one
        # that loses the race moves the other's marker instead of failing the page.
        new = ThreadRead(user_id=user.id, thread_id=thread.id, last_read_number=number)
        row = _add_once(new, mine)
    if number > row.last_read_number:
        row.last_read_number = number
        row.updated_at = utcnow()


def read_is_behind(user: User, thread: Thread, number: int) -> bool:
    """True when showing posts up to `number` moves the member's read marker forward."""
    current = db.session.scalar(
        select(ThreadRead.last_read_number).where(
            ThreadRead.user_id == user.id, ThreadRead.thread_id == thread.id
        )
    )
    return current is None or current < number


def first_unread_number(user: User, thread: Thread) -> int:
    """The number of the first post the member has not seen (the last post when caught up)."""
    read = db.session.scalar(
        select(ThreadRead.last_read_number).where(
            ThreadRead.user_id == user.id, ThreadRead.thread_id == thread.id
        )
    )
    return min((read or 0) + 1, max(thread.last_number, 1))


def mark_read(user: User, thread_id: int, *, up_to: int) -> None:
    """Record that the member has seen the thread's posts up to number `up_to`."""
    thread = access_thread(user, thread_id)
    _record_read(user, thread, min(up_to, thread.last_number))


def mark_community_read(user: User, slug: str) -> None:
    """Mark every thread of a community read ("mark all read")."""
    community = community_access.access_community(user, slug)
    now = utcnow()
    existing = select(CommunityRead).where(
        CommunityRead.user_id == user.id, CommunityRead.community_id == community.id
    )
    row = db.session.scalar(existing) or _add_once(
        CommunityRead(user_id=user.id, community_id=community.id, read_before=now), existing
    )
    row.read_before = now
    # Threads the member has opened keep their markers, moved to the newest post: a later
    # reply then counts as one unread post, not as the whole thread.
    newest = select(Thread.last_number).where(Thread.id == ThreadRead.thread_id).scalar_subquery()
    in_community = select(Thread.id).where(Thread.community_id == community.id)
    db.session.execute(
        update(ThreadRead)
        .where(ThreadRead.user_id == user.id, ThreadRead.thread_id.in_(in_community))
        .values(last_read_number=newest, updated_at=now)
        .execution_options(synchronize_session=False)
    )


# --- editing and deleting -------------------------------------------------------------------


def _post_for_change(actor: User, post_id: int) -> Post:
    """The post, re-read under its thread's row lock so that two changes at once (an edit
    beside a delete, a double-clicked delete) see each other, then checked for "edit"."""
    post = access_post(actor, post_id)
    access_thread(actor, post.thread_id, lock=True)
    db.session.refresh(post)
    return access_post(actor, post_id, need="edit")


EDIT_REASON_MAX = 300


def check_edit_reason(post: Post, editor: User, reason: str | None) -> str:
    """A moderator changing someone else's words says why: the author and every reader see
    it beside the post. (Authors editing their own posts give no reason.)"""
    reason = (reason or "").strip()
    if post.author_id == editor.id:
        return ""
    if not reason:
        raise Invalid(
            "Say why you are changing another member's words: they and the readers see it.",
            field="reason",
        )
    if len(reason) > EDIT_REASON_MAX:
        raise Invalid(f"Keep the reason under {EDIT_REASON_MAX} characters.", field="reason")
    return reason


def edit_post(actor: User, post_id: int, *, body: str, reason: str = "") -> Post:
    """Change a post's text, keeping the old text as a revision. Its author, or a moderator
    with a reason shown on the post (the author is told)."""
    body = check_body(body)
    post = _post_for_change(actor, post_id)
    if body == post.source:
        return post
    reason = check_edit_reason(post, actor, reason)
    if reason:
        post.moderator_edit_reason, post.moderator_edited_by_id = reason, actor.id
        record(actor, "post.edit", ("post", post.id), community=post.thread.community_id,
               reason=reason)  # fmt: skip
        notices.tell_of_moderator_edit(post, actor, reason)
    db.session.add(PostRevision(post_id=post.id, editor=actor, source=post.source, html=post.html))
    _, before = mentions.resolve(post.source)
    html, mentioned = mentions.render(body)
    post.source, post.html, post.edited_at = body, html, utcnow()
    already = {u.id for u in before}
    signals.post_changed.emit(post=post, mentioned=[u for u in mentioned if u.id not in already])
    if not post.is_in_view:
        return post  # a moderator's edit of a hidden post: members' open pages keep the note
    realtime.publish(
        "thread.edited",
        {"thread_id": post.thread_id, "post_id": post.id, "html": post.html,
         "moderator_edit_reason": post.moderator_edit_reason},
        room=thread_room(post.thread_id),
    )  # fmt: skip
    return post


def revisions_of(viewer: User | None, post_id: int) -> tuple[Post, list[PostRevision]]:
    """A post and its earlier versions, newest first. Anyone who can read the post."""
    post = access_post(viewer, post_id)
    if post.deleted_at is not None and not community_access.is_moderator(
        viewer, post.thread.community
    ):
        raise NotFound()
    rows = db.session.scalars(
        select(PostRevision).where(PostRevision.post_id == post.id).order_by(PostRevision.id.desc())
    )
    return post, list(rows)


def delete_post(actor: User, post_id: int) -> Post:
    """Soft-delete a post: a "post deleted" line keeps the thread readable. Author or moderator."""
    post = _post_for_change(actor, post_id)
    thread = post.thread
    post.deleted_at = utcnow()
    post.deleted_by_id = actor.id
    thread.post_count -= 1
    if thread.deleted_at is None:  # a deleted thread's posts already left the community count
        db.session.execute(
            update(Community)
            .where(Community.id == thread.community_id)
            .values(post_count=Community.post_count - 1)
        )
    signals.post_hidden.emit(post=post, reason="deleted")
    signals.target_deleted.emit(kind="post", id=post.id, by=actor)
    if post.author_id != actor.id:
        record(actor, "post.delete", ("post", post.id), community=thread.community_id,
               thread_id=thread.id)  # fmt: skip
    realtime.publish(
        "thread.deleted", {"thread_id": thread.id, "post_id": post.id}, room=thread_room(thread.id)
    )
    return post


# --- reactions ------------------------------------------------------------------------------


def toggle_reaction(user: User, post_id: int, kind: str) -> dict[str, int]:
    """Add the member's reaction, or take it back. Members who can post in the community."""
    if kind not in REACTIONS:
        raise Invalid("That reaction is not one of the choices.")
    post = access_post(user, post_id)
    community_access.check_can_post(user, post.thread.community)
    if post.deleted_at is not None:
        raise Forbidden("This post was deleted.")
    existing = db.session.scalar(
        select(Reaction).where(
            Reaction.post_id == post.id, Reaction.user_id == user.id, Reaction.kind == kind
        )
    )
    if existing is None:
        # A double click can send the same reaction twice at once: the second insert loses
        # the race on the unique key, and the reaction is there either way.
        try:
            with db.session.begin_nested():
                db.session.add(Reaction(post_id=post.id, user_id=user.id, kind=kind))
        except IntegrityError:
            pass
    else:
        db.session.delete(existing)
        db.session.flush()
    counts = dict(
        db.session.execute(
            select(Reaction.kind, func.count())
            .where(Reaction.post_id == post.id)
            .group_by(Reaction.kind)
        ).all()
    )
    realtime.publish(
        "thread.reactions",
        {"thread_id": post.thread_id, "post_id": post.id, "counts": counts},
        room=thread_room(post.thread_id),
    )
    return counts


# --- moderation -----------------------------------------------------------------------------


def _audit(actor: User, action: str, thread: Thread, **detail) -> None:
    record(actor, action, ("thread", thread.id), community=thread.community_id, **detail)


def set_pinned(actor: User, thread_id: int, *, pinned: bool) -> Thread:
    """Pin a thread to the top of its community, or unpin it. Moderators."""
    thread = access_thread(actor, thread_id, need="moderate")
    thread.pinned = pinned
    _audit(actor, "thread.pin" if pinned else "thread.unpin", thread)
    return thread


def set_locked(actor: User, thread_id: int, *, locked: bool) -> Thread:
    """Lock a thread (no more replies) or reopen it. Moderators."""
    thread = access_thread(actor, thread_id, need="moderate")
    thread.locked = locked
    _audit(actor, "thread.lock" if locked else "thread.unlock", thread)
    return thread


def move_thread(actor: User, thread_id: int, *, to_slug: str) -> Thread:
    """Move a thread to another community. Moderators of both communities."""
    thread = access_thread(actor, thread_id, need="moderate", lock=True)
    if thread.deleted_at is not None:
        raise Invalid("This thread is deleted: it cannot be moved.", field="community")
    target = community_access.access_community(actor, to_slug, need="moderate")
    if target.id == thread.community_id:
        raise Invalid("The thread is already in that community.", field="community")
    source_id = thread.community_id
    posts = thread.post_count
    db.session.execute(
        update(Community)
        .where(Community.id == source_id)
        .values(thread_count=Community.thread_count - 1, post_count=Community.post_count - posts)
    )
    db.session.execute(
        update(Community)
        .where(Community.id == target.id)
        .values(thread_count=Community.thread_count + 1, post_count=Community.post_count + posts)
    )
    thread.community = target
    # Tags belong to a community: carry them over by name.
    names = [t.name for t in thread.tags]
    thread.tags = []
    db.session.flush()
    _apply_tags(thread, target, names)
    signals.thread_moved.emit(thread=thread, from_community_id=source_id)
    _audit(actor, "thread.move", thread, from_community=source_id, to_community=target.id)
    recheck_live_readers([thread.id])
    return thread


def merge_thread(actor: User, thread_id: int, *, into) -> Thread:
    """Merge a duplicate thread into another: its posts move there after the others,
    keeping their authors and times; its watchers watch the other; it is deleted and its
    address leads there. Moderators of both threads' communities."""
    into_id = _thread_id_in(into)
    if into_id is None:
        raise Invalid("Give the thread to merge into: its address or number.", field="into")
    if into_id == as_id(thread_id):
        raise Invalid("A thread cannot be merged into itself.", field="into")
    first, second = sorted([as_id(thread_id) or 0, into_id])  # row locks in one order
    locked = {t: access_thread(actor, t, need="moderate", lock=True) for t in (first, second)}
    source, target = locked[as_id(thread_id)], locked[into_id]
    if source.deleted_at is not None or target.deleted_at is not None:
        raise Invalid("A deleted thread cannot be merged.", field="into")
    moved = list(db.session.scalars(
        select(Post).where(Post.thread_id == source.id).order_by(Post.number)
    ))  # fmt: skip
    for post in moved:
        target.last_number += 1
        post.thread, post.number = target, target.last_number
    counted = sum(1 for p in moved if p.is_in_view)
    target.post_count += counted
    target.last_post_at = max(target.last_post_at, source.last_post_at)
    _move_counts(source, target, counted)
    _carry_watchers(source, target)
    source.deleted_at, source.merged_into_id, source.post_count = utcnow(), target.id, 0
    db.session.flush()
    signals.target_deleted.emit(kind="thread", id=source.id, by=actor)
    signals.thread_merged.emit(thread=target, source_id=source.id, post_ids=[p.id for p in moved])
    _audit(actor, "thread.merge", target, source=source.title, posts=len(moved))
    recheck_live_readers([source.id, target.id])
    return target


def _thread_id_in(value) -> int | None:
    """A thread's number from what a moderator typed: "42", "/t/42" or its whole address."""
    value = str(value or "").strip()
    match = re.fullmatch(r"(\d+)", value) or re.search(r"/t/(\d+)(?:[/?#]|$)", value)
    return as_id(match.group(1)) if match else None


def _move_counts(source: Thread, target: Thread, posts: int) -> None:
    db.session.execute(
        update(Community)
        .where(Community.id == source.community_id)
        .values(thread_count=Community.thread_count - 1, post_count=Community.post_count - posts)
    )
    db.session.execute(
        update(Community)
        .where(Community.id == target.community_id)
        .values(post_count=Community.post_count + posts)
    )


def _carry_watchers(source: Thread, target: Thread) -> None:
    already = select(Subscription.user_id).where(Subscription.thread_id == target.id)
    for user_id in db.session.scalars(
        select(Subscription.user_id).where(
            Subscription.thread_id == source.id,
            Subscription.watching.is_(True),
            Subscription.user_id.not_in(already),
        )
    ):
        db.session.add(Subscription(user_id=user_id, thread_id=target.id, watching=True))


def merged_into(thread_id) -> int | None:
    """Where a merged thread's address leads (None: it was not merged)."""
    if as_id(thread_id) is None:
        return None
    return db.session.scalar(select(Thread.merged_into_id).where(Thread.id == thread_id))


def recheck_live_readers(thread_ids: list[int]) -> None:
    """Who may read these threads changed: after commit, empty their live rooms and tell the
    open pages to ask again, so access is checked anew (and refused to outsiders)."""
    for thread_id in thread_ids:
        realtime.close_room(
            thread_room(thread_id), notice="thread.recheck", payload={"thread_id": thread_id}
        )


def recheck_live_readers_of(community_id: int) -> None:
    """Every thread room of a community (a member left a members-only community)."""
    ids = db.session.scalars(
        select(Thread.id).where(Thread.community_id == community_id, Thread.deleted_at.is_(None))
    )
    recheck_live_readers(list(ids))


def delete_thread(actor: User, thread_id: int) -> Thread:
    """Remove a whole thread from view (kept for the record). Moderators."""
    thread = access_thread(actor, thread_id, need="moderate", lock=True)
    if thread.deleted_at is None:
        thread.deleted_at = utcnow()
        db.session.execute(
            update(Community)
            .where(Community.id == thread.community_id)
            .values(
                thread_count=Community.thread_count - 1,
                post_count=Community.post_count - thread.post_count,
            )
        )
        signals.target_deleted.emit(kind="thread", id=thread.id, by=actor)
        _audit(actor, "thread.delete", thread)
        recheck_live_readers([thread.id])
    return thread


# --- tags -----------------------------------------------------------------------------------


def _apply_tags(thread: Thread, community: Community, names: list[str]) -> None:
    if not names:
        return
    slugs = {tag_slug(n): n for n in names}
    existing = {
        t.slug: t
        for t in db.session.scalars(
            select(Tag).where(Tag.community_id == community.id, Tag.slug.in_(slugs))
        )
    }
    tags = []
    for slug, name in slugs.items():
        tag = existing.get(slug) or _add_once(
            Tag(community_id=community.id, name=name, slug=slug),
            select(Tag).where(Tag.community_id == community.id, Tag.slug == slug),
        )
        tags.append(tag)
    thread.tags = tags


def check_can_tag(actor: User | None, thread: Thread) -> None:
    """Raise Forbidden unless `actor` may change the thread's tags: its author (who may
    post there) or a moderator."""
    if community_access.is_moderator(actor, thread.community):
        return
    if actor is None or thread.author_id != actor.id:
        raise Forbidden("Only the thread's author or a moderator can change its tags.")
    community_access.check_can_post(actor, thread.community)


def set_tags(actor: User, thread_id: int, *, tags: str | list[str]) -> Thread:
    """Replace a thread's tags. Its author or a moderator."""
    thread = access_thread(actor, thread_id)
    check_can_tag(actor, thread)
    names = check_tags(tags)
    thread.tags = []
    db.session.flush()
    _apply_tags(thread, thread.community, names)
    return thread


def rename_tag(actor: User, slug: str, tag_id: int, *, name: str) -> Tag:
    """Rename a community's tag. Moderators; use merge_tags when the name is taken."""
    community = community_access.access_community(actor, slug, need="moderate")
    tag = _community_tag(community, tag_id)
    names = check_tags([name])
    if not names:
        raise Invalid("Give the tag a new name.", field="name")
    new_name = names[0]
    new_slug = tag_slug(new_name)
    clash = db.session.scalar(
        select(Tag).where(Tag.community_id == community.id, Tag.slug == new_slug, Tag.id != tag.id)
    )
    if clash is not None:
        raise Invalid(f"The tag “{clash.name}” exists: merge into it instead.", field="name")
    old = tag.name
    tag.name, tag.slug = new_name, new_slug
    record(actor, "tag.rename", ("tag", tag.id), community=community, old=old, new=new_name)
    return tag


def merge_tags(actor: User, slug: str, *, source_id: int, target_id: int) -> Tag:
    """Fold one tag into another: its threads get the other tag. Moderators."""
    community = community_access.access_community(actor, slug, need="moderate")
    source, target = _community_tag(community, source_id), _community_tag(community, target_id)
    if source.id == target.id:
        raise Invalid("Choose two different tags.", field="target")
    already = select(ThreadTag.thread_id).where(ThreadTag.tag_id == target.id)
    db.session.execute(
        update(ThreadTag)
        .where(ThreadTag.tag_id == source.id, ThreadTag.thread_id.not_in(already))
        .values(tag_id=target.id)
    )
    db.session.execute(delete(ThreadTag).where(ThreadTag.tag_id == source.id))
    record(actor, "tag.merge", ("tag", target.id), community=community, merged=source.name)
    db.session.delete(source)
    return target


def _community_tag(community: Community, tag_id: int) -> Tag:
    tag = db.session.get(Tag, tag_id) if as_id(tag_id) else None
    if tag is None or tag.community_id != community.id:
        raise NotFound("That tag is not in this community.")
    return tag
