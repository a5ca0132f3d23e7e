"""People and the organisations they come from."""

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..db import utcnow
from ..extensions import db

SITE_ROLES = ("member", "admin")
DIGEST_FREQUENCIES = ("off", "daily", "weekly")


class Organisation(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(60), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    region: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<Organisation {self.slug}>"


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased by the actions; the unique index makes it case-insensitive.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    # Lower-cased display name: the directory's sort and keyset key, kept by `_set_sort_name`.
    sort_name: Mapped[str] = mapped_column(String(80), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="SET NULL"), index=True
    )
    organisation_other: Mapped[str] = mapped_column(String(200), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    bio_html: Mapped[str] = mapped_column(Text, default="")
    # An uploaded profile picture (a media file's hash), or None for the initials.
    avatar_sha256: Mapped[str | None] = mapped_column(String(64))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/London")
    site_role: Mapped[str] = mapped_column(String(20), default="member")
    verified_at: Mapped[datetime | None]
    suspended_at: Mapped[datetime | None]
    digest_frequency: Mapped[str] = mapped_column(String(10), default="weekly")
    # Bumped to end every session and remember-me cookie (password change, log out everywhere).
    session_generation: Mapped[int] = mapped_column(default=1)
    pending_email: Mapped[str | None] = mapped_column(String(254))
    last_seen_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation | None] = relationship(lazy="joined")

    __table_args__ = (Index("ix_user_sort_name_id", "sort_name", "id"),)

    @validates("display_name")
    def _set_sort_name(self, _key: str, value: str) -> str:
        self.sort_name = value.lower()
        return value

    def get_id(self) -> str:
        return f"{self.id}:{self.session_generation}"

    @property
    def is_active(self) -> bool:
        return self.suspended_at is None

    @property
    def is_admin(self) -> bool:
        return self.site_role == "admin"

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    @property
    def organisation_name(self) -> str:
        return self.organisation.name if self.organisation else self.organisation_other

    @property
    def initials(self) -> str:
        words = [w for w in self.display_name.split() if w[:1].isalnum()]
        letters = "".join(w[0] for w in words[:2]) or self.display_name[:1] or "?"
        return letters.upper()

    def __repr__(self) -> str:
        return f"<User {self.id}>"
