"""New members' posts held for a moderator (threads/safeguards.py decides which): their
section of the /mod queue, the header count, and what the author is told."""

from dataclasses import dataclass

from sqlalchemy import func, select, true

from ..db import utcnow
from ..extensions import db
from ..moderation import queue, sections
from ..notifications.targets import register_target, register_wording
from . import mentions
from .models import HELD, Post, Thread


@dataclass
class HeldPost:
    post: Post
    thread: Thread
    excerpt: str

    @property
    def title(self) -> str:
        if self.post.number == 1:
            return f"A new thread, “{self.thread.title}”"
        return f"A reply in “{self.thread.title}”"


def _waiting():
    return (
        select(Post, Thread)
        .join(Thread, Thread.id == Post.thread_id)
        .where(Post.hidden_reason == HELD, Post.deleted_at.is_(None), Thread.deleted_at.is_(None))
    )


def _in_scope(stmt, user, community_id: int | None):
    communities = queue.scope(user)
    if communities is not None:
        stmt = stmt.where(Thread.community_id.in_(communities))
    if community_id is not None:
        stmt = stmt.where(Thread.community_id == community_id)
    return stmt


def held_posts(user, community_id: int | None = None) -> list[HeldPost]:
    """The held posts waiting for this moderator, oldest first."""
    stmt = _in_scope(_waiting().order_by(Post.created_at, Post.id), user, community_id)
    return [HeldPost(p, t, mentions.excerpt(p.source)) for p, t in db.session.execute(stmt)]


def _count(user) -> int:
    waiting = _in_scope(_waiting(), user, None).subquery()
    return db.session.scalar(select(func.count()).select_from(waiting))


sections.register_section(
    "held",
    template="moderation/_held.html",
    context=lambda user, community_id: {"items": held_posts(user, community_id)},
    count=_count,
)


def post_held(post: Post) -> None:
    queue.publish_waiting([post.thread.community_id])


def post_decided(post: Post, moderator, *, approved: bool, reason: str = "") -> None:
    """Tell the author, and update the moderators' count."""
    from ..notifications import actions as notify

    thread = post.thread
    what = "your thread" if post.number == 1 else "your reply in"
    notify.notify(
        post.author_id, "post.approved" if approved else "post.declined", actor=moderator,
        community_id=thread.community_id,
        target=("post" if approved else "declined_post", post.id),
        subject=f"{what} “{thread.title}”", excerpt=reason.strip()[:500],
        occurrence=utcnow().isoformat(),
    )  # fmt: skip
    notify.publish_counts({post.author_id})
    queue.publish_waiting([thread.community_id])


def _declined_link(post_id: int) -> str:
    """A declined post is gone: its notice leads to its community."""
    from ..communities.models import Community

    slug = db.session.scalar(
        select(Community.slug)
        .join(Thread, Thread.community_id == Community.id)
        .join(Post, Post.thread_id == Thread.id)
        .where(Post.id == post_id)
    )
    return f"/c/{slug}" if slug else "/"


register_target("declined_post", link=_declined_link, visible=true)
register_wording("post.approved", "approved and published", email="moderation")
register_wording("post.declined", "did not publish", email="moderation")
