"""Discussions: threads, their posts, revisions, reactions, tags, read state and watching."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..communities.models import Community
from ..db import utcnow
from ..extensions import db

HELD = "held"  # Post.hidden_reason of a new member's post waiting for approval (safeguards.py)

REACTIONS = {
    "thumbs_up": "👍",
    "heart": "❤️",
    "celebrate": "🎉",
    "insightful": "💡",
    "question": "❓",
}


class Thread(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), default="")
    pinned: Mapped[bool] = mapped_column(default=False)
    locked: Mapped[bool] = mapped_column(default=False)
    # Counters and last-activity fields kept by the actions, under the thread's row lock.
    post_count: Mapped[int] = mapped_column(default=0)
    last_number: Mapped[int] = mapped_column(default=0)  # the highest post number handed out
    last_post_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_post_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]
    # Its first post is hidden (see Post.hidden_at): the thread is out of members' view too.
    hidden_at: Mapped[datetime | None]
    # Merged into another thread by a moderator (its posts moved there; it is deleted and
    # its address redirects there).
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("thread.id", ondelete="SET NULL"))

    community: Mapped[Community] = relationship(lazy="joined", innerjoin=True)

    @classmethod
    def in_view(cls):
        """A WHERE clause: neither deleted nor hidden by moderation."""
        return cls.deleted_at.is_(None) & cls.hidden_at.is_(None)

    @property
    def is_in_view(self) -> bool:
        return self.deleted_at is None and self.hidden_at is None

    author: Mapped[User | None] = relationship(lazy="joined")
    tags: Mapped[list["Tag"]] = relationship(secondary="thread_tag", order_by="Tag.name")

    __table_args__ = (
        # The community page: pinned first, then latest activity (keyset on these columns).
        Index("ix_thread_listing", "community_id", "pinned", "last_post_at", "id"),
        Index("ix_thread_latest", "last_post_at", "id"),
    )


class Post(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("thread.id", ondelete="CASCADE"))
    # 1, 2, 3… within the thread, in order of posting: the thread page's keyset.
    number: Mapped[int]
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("post.id", ondelete="SET NULL"))
    # A token from the form, so a double-submitted reply makes one post, not two.
    client_token: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # Out of members' view until a moderator decides: "flags" (enough members flagged it)
    # or "moderator" (a moderator hid it). Moderators still see it, marked.
    hidden_at: Mapped[datetime | None]
    hidden_reason: Mapped[str] = mapped_column(String(20), default="")
    # A moderator's edit of someone else's words, with the reason members are shown beside it.
    moderator_edit_reason: Mapped[str] = mapped_column(String(300), default="")
    moderator_edited_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )

    thread: Mapped[Thread] = relationship(lazy="joined", innerjoin=True)

    @classmethod
    def in_view(cls):
        """A WHERE clause: neither deleted nor hidden by moderation."""
        return cls.deleted_at.is_(None) & cls.hidden_at.is_(None)

    @property
    def is_in_view(self) -> bool:
        return self.deleted_at is None and self.hidden_at is None

    @property
    def is_held(self) -> bool:
        return self.hidden_at is not None and self.hidden_reason == HELD

    def is_held_from(self, user, moderator: bool) -> bool:
        """A held post does not exist yet for anyone but its author and the moderators."""
        if not self.is_held or moderator:
            return False
        return user is None or not user.is_authenticated or user.id != self.author_id

    author: Mapped[User | None] = relationship(lazy="joined", foreign_keys=[author_id])

    __table_args__ = (
        UniqueConstraint("thread_id", "number"),
        UniqueConstraint("author_id", "client_token"),
        Index("ix_post_author_created", "author_id", "created_at"),
    )


class PostRevision(db.Model):
    """The text a post had before an edit: readers can open every earlier version."""

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"), index=True)
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    editor: Mapped[User | None] = relationship(lazy="joined")


class Reaction(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("post_id", "user_id", "kind"),)


class Tag(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(40))
    slug: Mapped[str] = mapped_column(String(40))

    __table_args__ = (UniqueConstraint("community_id", "slug"),)


class ThreadTag(db.Model):
    __tablename__ = "thread_tag"

    thread_id: Mapped[int] = mapped_column(
        ForeignKey("thread.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(
        ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class ThreadRead(db.Model):
    """How far a member has read a thread: unread posts are those numbered above it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    thread_id: Mapped[int] = mapped_column(ForeignKey("thread.id", ondelete="CASCADE"), index=True)
    last_read_number: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("user_id", "thread_id"),)


class CommunityRead(db.Model):
    """ "Mark all read" in a community: threads with no activity since then are read."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id", ondelete="CASCADE"))
    read_before: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("user_id", "community_id"),)


class Subscription(db.Model):
    """Watching a thread or a whole community (exactly one of the two is set)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    thread_id: Mapped[int | None] = mapped_column(
        ForeignKey("thread.id", ondelete="CASCADE"), index=True
    )
    community_id: Mapped[int | None] = mapped_column(
        ForeignKey("community.id", ondelete="CASCADE"), index=True
    )
    # False records "stop watching" so the automatic watch on reply does not come back.
    watching: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("user_id", "thread_id", name="uq_subscription_user_thread"),
        UniqueConstraint("user_id", "community_id", name="uq_subscription_user_community"),
    )


class PostLink(db.Model):
    """A post's link to something else on the site (`/resources/<id>` today): the target's
    page lists the threads that discuss it. Kept by the actions as posts are written."""

    __tablename__ = "post_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"), index=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("thread.id", ondelete="CASCADE"))
    target_kind: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[int]

    __table_args__ = (
        UniqueConstraint("post_id", "target_kind", "target_id"),
        Index("ix_post_link_target", "target_kind", "target_id", "thread_id"),
    )
