"""Posts as moderation sees them (community/moderation/flags.py): flagged, hidden while a
moderator looks, restored or deleted. Hiding a thread's first post hides the thread."""

from sqlalchemy import select

from .. import realtime, signals
from ..db import utcnow
from ..errors import allowed
from ..extensions import db
from ..moderation.flags import FlaggableKind, Flagged, register_flaggable
from ..notifications.models import Notification
from ..notifications.targets import register_target, register_wording
from ..rooms import thread_room
from . import actions, mentions
from .models import Post, Thread


def _load(post_id: int) -> Flagged | None:
    post = db.session.get(Post, post_id)
    if post is None:
        return None
    thread = post.thread
    first = post.number == 1
    return Flagged(
        kind="post",
        id=post.id,
        community_id=thread.community_id,
        author_id=post.author_id,
        title=f"the thread “{thread.title}”" if first else f"a reply in “{thread.title}”",
        own_title=f"your thread “{thread.title}”" if first else f"your reply in “{thread.title}”",
        excerpt=mentions.excerpt(post.source),
        url=f"/p/{post.id}",
        hidden=post.hidden_at is not None,
        deleted=post.deleted_at is not None or thread.deleted_at is not None,
    )


def _can_see(user, post_id: int) -> bool:
    if not allowed(lambda: actions.access_post(user, post_id)):
        return False
    post = db.session.get(Post, post_id)
    return post.is_in_view and post.thread.is_in_view


def _locked_post(post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    stmt = select(Thread).where(Thread.id == post.thread_id)
    if db.engine.dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=Thread)
    db.session.scalar(stmt)
    db.session.refresh(post)
    return post


def hide(post_id: int, _moderator, why: str) -> None:
    """Out of members' view at once: the open pages replace it with a note, search forgets
    it, its notifications stop showing; moderators still read it, marked."""
    post = _locked_post(post_id)
    if post.hidden_at is not None:
        return
    now = utcnow()
    post.hidden_at, post.hidden_reason = now, why
    if post.number == 1:
        post.thread.hidden_at = now
    signals.post_hidden.emit(post=post, reason=why)
    realtime.publish(
        "thread.hidden", {"thread_id": post.thread_id, "post_id": post.id},
        room=thread_room(post.thread_id),
    )  # fmt: skip
    if post.number == 1:
        actions.recheck_live_readers([post.thread_id])


def restore(post_id: int, _moderator) -> None:
    post = _locked_post(post_id)
    if post.hidden_at is None:
        return
    post.hidden_at, post.hidden_reason = None, ""
    if post.number == 1:
        post.thread.hidden_at = None
    signals.post_restored.emit(post=post)
    realtime.publish(
        "thread.restored",
        {"thread_id": post.thread_id, "post_id": post.id, "html": post.html},
        room=thread_room(post.thread_id),
    )
    if post.number == 1:
        actions.recheck_live_readers([post.thread_id])


def delete(post_id: int, moderator) -> None:
    post = db.session.get(Post, post_id)
    if post.number == 1:
        actions.delete_thread(moderator, post.thread_id)
    else:
        actions.delete_post(moderator, post_id)


register_flaggable(
    "post",
    FlaggableKind(
        label="post",
        load=_load,
        can_see=_can_see,
        hide=hide,
        restore=restore,
        delete=delete,
        notice_target="moderated_post",
        parts_of={"thread": lambda thread_id: select(Post.id).where(Post.thread_id == thread_id)},
    ),
)


def _post_still_there():
    """A moderation notice stays while its post is not deleted (hidden is the point)."""
    return (
        select(Post.id)
        .join(Thread, Thread.id == Post.thread_id)
        .where(
            Post.id == Notification.target_id,
            Post.deleted_at.is_(None),
            Thread.deleted_at.is_(None),
        )
        .exists()
    )


register_target("moderated_post", link=lambda post_id: f"/p/{post_id}", visible=_post_still_there)
register_wording(
    "flag.hidden", "hid, until a moderator reviews it,", email="moderation",
    system_actor="Members' flags",
)  # fmt: skip
register_wording("moderator.hidden", "hid", email="moderation")
register_wording("flag.decided.keep", "reviewed your flag and kept up", email="moderation")
register_wording("flag.decided.hide", "reviewed your flag and hid", email="moderation")
register_wording("flag.decided.delete", "reviewed your flag and deleted", email="moderation")
