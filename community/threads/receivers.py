"""What threads do when told: their posts' search entries, their notifications, and live
readers rechecked when who may read a community changes. Connected per app (signals.py)."""

from flask import Flask
from sqlalchemy import select

from .. import signals
from ..communities.models import Community
from ..extensions import db
from ..search import actions as search
from . import notices
from .actions import recheck_live_readers_of
from .models import Post, Thread


def index_post(post: Post) -> None:
    """Put a post (the thread itself, for its first post) in the search index."""
    thread = post.thread
    if not thread.is_in_view or not post.is_in_view:
        return  # out of the index for good (a moderator may still edit inside a deleted thread)
    first = post.number == 1
    search.index_document(
        "thread" if first else "post",
        thread.id if first else post.id,
        title=thread.title,
        body=post.source,
        url=f"/t/{thread.id}" if first else f"/p/{post.id}",
        community_id=thread.community_id,
        author_id=post.author_id,
        created_at=post.created_at,
        thread_id=thread.id,
    )


def _index(_app, *, post: Post, **_) -> None:
    index_post(post)


def _unindex(_app, *, post: Post, reason: str, **_) -> None:
    if post.number != 1:
        search.remove_document("post", post.id)
    elif reason == "deleted":
        search.remove_document("thread", post.thread_id)
    else:  # a hidden first post hides the thread, its replies with it
        search.remove_thread_documents(post.thread_id)


def _reindex(_app, *, post: Post, **_) -> None:
    """post_restored: back in the index (with its replies, for a thread's first post)."""
    if post.number != 1:
        index_post(post)
        return
    for reply in db.session.scalars(select(Post).where(Post.thread_id == post.thread_id)):
        index_post(reply)


def _move_documents(_app, *, thread: Thread, **_) -> None:
    search.move_thread_documents(thread.id, thread.community_id)


def _index_merged(_app, *, thread: Thread, post_ids: list[int], **_) -> None:
    """thread_merged: the moved posts are replies of the other thread now, in its community."""
    for post in db.session.scalars(select(Post).where(Post.id.in_(post_ids))):
        index_post(post)
    notices.move_notifications(_app, thread=thread)


def _unindex_thread(_app, *, kind: str, id: int, **_) -> None:
    if kind == "thread":
        search.remove_thread_documents(id)


def _recheck_community(_app, *, community: Community, **_) -> None:
    recheck_live_readers_of(community.id)


def _recheck_after_leaving(app, *, community: Community, **_) -> None:
    # Leaving a public community changes nothing anyone may read.
    if not community.is_public:
        _recheck_community(app, community=community)


def connect(app: Flask) -> None:
    signals.connect(
        app,
        (signals.post_published, _index),
        (signals.post_published, notices.tell_readers_of_new_post),
        (signals.post_changed, _index),
        (signals.post_changed, notices.tell_newly_mentioned),
        (signals.post_hidden, _unindex),
        (signals.post_restored, _reindex),
        (signals.thread_moved, _move_documents),
        (signals.thread_moved, notices.move_notifications),
        (signals.thread_merged, _index_merged),
        (signals.target_deleted, _unindex_thread),
        (signals.membership_lost, _recheck_after_leaving),
        (signals.community_access_changed, _recheck_community),
    )
