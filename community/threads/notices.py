"""What thread notifications point at (posts) and how they read; who hears of a post."""

from sqlalchemy import select

from ..accounts.models import User
from ..communities.access import readable_by_member_id
from ..communities.models import Community
from ..db import utcnow
from ..extensions import db
from ..notifications import actions as notify
from ..notifications.models import Notification
from ..notifications.targets import register_target, register_wording
from . import mentions
from .models import Post, Subscription, Thread


def _post_visible():
    """The post and its thread are still there (the community check is the notification's)."""
    return (
        select(Post.id)
        .join(Thread, Thread.id == Post.thread_id)
        .where(
            Post.id == Notification.target_id,
            Post.in_view(),
            Thread.in_view(),
        )
        .exists()
    )


register_target("post", link=lambda post_id: f"/p/{post_id}", visible=_post_visible)
register_wording("mention", "mentioned you in", email="mentions")
register_wording("thread", "started a thread:", email="replies")
register_wording("reply", "replied in", email="replies")
register_wording("moderator.edited", "edited", email="moderation")


def tell_of_moderator_edit(post: Post, moderator: User, reason: str) -> None:
    """The author hears that a moderator changed their words, and why."""
    if post.author_id is None:
        return
    thread = post.thread
    what = "your thread" if post.number == 1 else "your reply in"
    notify.notify(
        post.author_id, "moderator.edited", actor=moderator, community_id=thread.community_id,
        target=("moderated_post", post.id), subject=f"{what} “{thread.title}”", excerpt=reason,
        occurrence=utcnow().isoformat(),
    )  # fmt: skip
    notify.publish_counts({post.author_id})


# --- receivers (connected in threads/receivers.py) ------------------------------------------


def tell_readers_of_new_post(_app, *, post: Post, mentioned: list[User], **_) -> None:
    """post_published: the mentioned, then the watchers (a thread's first post tells the
    community's watchers that it started)."""
    thread = post.thread
    author_id = post.author_id
    readers = [u for u in mentioned if u.id != author_id]
    mentioned_ids = set(_readers_among(thread.community, [u.id for u in readers]))
    excerpt = mentions.excerpt(post.source)
    for user_id in sorted(mentioned_ids):
        notify.notify(
            user_id, "mention", actor=post.author, community_id=thread.community_id,
            target=("post", post.id), subject=thread.title, excerpt=excerpt,
        )  # fmt: skip
    kind = "thread" if post.number == 1 else "reply"
    watcher_ids = set(watchers_of(thread)) - mentioned_ids - {author_id}
    for user_id in sorted(watcher_ids):
        notify.notify(
            user_id, kind, actor=post.author, community_id=thread.community_id,
            target=("post", post.id), subject=thread.title, excerpt=excerpt,
        )  # fmt: skip
    notify.publish_counts(mentioned_ids | watcher_ids)


def tell_newly_mentioned(_app, *, post: Post, mentioned: list[User], **_) -> None:
    """post_changed: those the edit mentions for the first time."""
    thread = post.thread
    wanted = [u.id for u in mentioned if u.id != post.author_id]
    ids = _readers_among(thread.community, wanted)
    for user_id in ids:
        notify.notify(
            user_id, "mention", actor=post.author, community_id=thread.community_id,
            target=("post", post.id), subject=thread.title, excerpt=mentions.excerpt(post.source),
        )  # fmt: skip
    notify.publish_counts(set(ids))


def move_notifications(_app, *, thread: Thread, **_) -> None:
    """thread_moved: its notifications follow it, so readers who cannot see the new
    community no longer see them."""
    notify.move_to_community(
        "post", select(Post.id).where(Post.thread_id == thread.id), community_id=thread.community_id
    )


# --- who hears of a post --------------------------------------------------------------------


def watchers_of(thread: Thread) -> list[int]:
    """Members watching the thread, or its community without having unwatched the thread."""
    thread_rows = db.session.execute(
        select(Subscription.user_id, Subscription.watching).where(
            Subscription.thread_id == thread.id
        )
    ).all()
    unwatched = {uid for uid, watching in thread_rows if not watching}
    watching = {uid for uid, w in thread_rows if w}
    watching |= set(
        db.session.scalars(
            select(Subscription.user_id).where(
                Subscription.community_id == thread.community_id, Subscription.watching
            )
        )
    )
    return _readers_among(thread.community, watching - unwatched)


def _readers_among(community: Community, user_ids) -> list[int]:
    """Those of `user_ids` who may read `community` (and are not suspended), in one query."""
    if not user_ids:
        return []
    stmt = select(User.id).where(User.id.in_(sorted(user_ids)), User.suspended_at.is_(None))
    if not community.is_public:
        readable = select(Community.id).where(
            Community.id == community.id, readable_by_member_id(User.id)
        )
        stmt = stmt.where(readable.exists())
    return sorted(db.session.scalars(stmt))
