"""What the rollup is told: a change to an older day moves `stale_from` back to it, and an
organisation merge asks for a full rebuild (every past day's figures per organisation
change). New content is today's, which every run recomputes: for it a receiver costs one
read of the state row, and writes nothing. Connected per app (signals.py)."""

from datetime import datetime

from flask import Flask
from sqlalchemy import func, select

from .. import signals
from ..chat.models import ChatMessage
from ..extensions import db
from ..resources.models import Resource
from ..threads.models import Post, Thread
from . import rollup


def _stale(when: datetime | None) -> None:
    if when is not None:
        rollup.mark_stale(when.date())


def organisation_merged(_app, **_) -> None:
    rollup.mark_all_stale()


def post_changed_view(_app, *, post: Post, **_) -> None:
    """A post published (a held one approved: it keeps its first day), hidden or restored."""
    _stale(post.created_at)


def thread_moved(_app, *, thread: Thread, **_) -> None:
    """Its posts' figures move to another community, from the thread's first day."""
    _stale(thread.created_at)


def thread_merged(_app, *, post_ids: list[int], **_) -> None:
    if post_ids:
        _stale(db.session.scalar(select(func.min(Post.created_at)).where(Post.id.in_(post_ids))))


def target_deleted(_app, *, kind: str, id: int, **_) -> None:  # noqa: A002 (the signal's name)
    if kind == "thread":
        _stale(db.session.scalar(select(Thread.created_at).where(Thread.id == id)))
    elif kind == "post":
        _stale(db.session.scalar(select(Post.created_at).where(Post.id == id)))
    elif kind == "chat_message":
        _stale(db.session.scalar(select(ChatMessage.created_at).where(ChatMessage.id == id)))
    elif kind == "resource":
        _stale(db.session.scalar(select(Resource.published_at).where(Resource.id == id)))


def resource_changed(_app, *, resource: Resource, **_) -> None:
    """Hidden, restored, archived or published: its day and its downloads' days."""
    _stale(resource.published_at or resource.created_at)


def event_changed_view(_app, *, event, **_) -> None:
    """An event hidden or restored: its attendance and feedback (its first day of them)."""
    _stale(min(event.created_at, event.ends_at))


def connect(app: Flask) -> None:
    signals.connect(
        app,
        (signals.organisation_merged, organisation_merged),
        (signals.post_published, post_changed_view),
        (signals.post_hidden, post_changed_view),
        (signals.post_restored, post_changed_view),
        (signals.thread_moved, thread_moved),
        (signals.thread_merged, thread_merged),
        (signals.target_deleted, target_deleted),
        (signals.resource_changed, resource_changed),
        (signals.event_hidden, event_changed_view),
        (signals.event_restored, event_changed_view),
    )
