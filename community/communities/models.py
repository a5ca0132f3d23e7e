"""The seven interest communities and who belongs to them."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..db import utcnow
from ..extensions import db

VISIBILITIES = ("public", "members")
ROLES = ("member", "moderator")


class Community(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    visibility: Mapped[str] = mapped_column(String(10), default="public")
    position: Mapped[int] = mapped_column(default=0)
    archived_at: Mapped[datetime | None]
    # How many members' flags hide an item until a moderator decides.
    flag_threshold: Mapped[int] = mapped_column(default=3)
    # New members: their first this-many posts wait for a moderator (0: none do); until
    # they have NEW_MEMBER_POSTS published here, a post holds at most this many links.
    hold_first_posts: Mapped[int] = mapped_column(default=0)
    new_member_links: Mapped[int] = mapped_column(default=2)
    # Counters kept by the actions that change them (joins, posts), read by the home page.
    member_count: Mapped[int] = mapped_column(default=0)
    thread_count: Mapped[int] = mapped_column(default=0)
    post_count: Mapped[int] = mapped_column(default=0)
    last_activity_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def is_public(self) -> bool:
        return self.visibility == "public"

    def __repr__(self) -> str:
        return f"<Community {self.slug}>"


class Membership(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    community_id: Mapped[int] = mapped_column(
        ForeignKey("community.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(20), default="member")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Suspended from this community by its moderators: read-only here until then.
    suspended_until: Mapped[datetime | None]
    suspended_reason: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)
    community: Mapped[Community] = relationship()

    @property
    def suspended(self) -> bool:
        return self.suspended_until is not None and self.suspended_until > utcnow()

    __table_args__ = (
        UniqueConstraint("user_id", "community_id"),
        Index("ix_membership_community_role", "community_id", "role"),
    )
