"""People and the organisations they come from."""

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..config import default_timezone
from ..db import utcnow
from ..extensions import db

SITE_ROLES = ("member", "admin")
DIGEST_FREQUENCIES = ("off", "daily", "weekly")
BOUNCE_LIMIT = 3


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
    timezone: Mapped[str] = mapped_column(String(64), default=default_timezone)
    site_role: Mapped[str] = mapped_column(String(20), default="member")
    verified_at: Mapped[datetime | None]
    suspended_at: Mapped[datetime | None]
    # A suspension's end (None: until an admin lifts it) and the reason the member was told.
    suspended_until: Mapped[datetime | None]
    suspension_reason: Mapped[str] = mapped_column(Text, default="")
    digest_frequency: Mapped[str] = mapped_column(String(10), default="weekly")
    # When the digest arrives, in the member's zone: weekday (0 Monday) and hour.
    digest_day: Mapped[int] = mapped_column(default=0)
    digest_hour: Mapped[int] = mapped_column(default=8)
    # "Stop all email" (an unsubscribe link or the settings): only account mail still goes.
    email_stopped_at: Mapped[datetime | None]
    # Consecutive permanent refusals of mail to this address; at BOUNCE_LIMIT it is marked
    # and skipped until the member changes or confirms it.
    bounce_count: Mapped[int] = mapped_column(default=0)
    email_bounced_at: Mapped[datetime | None]
    # Bumped to end every session and remember-me cookie (password change, log out everywhere).
    session_generation: Mapped[int] = mapped_column(default=1)
    pending_email: Mapped[str | None] = mapped_column(String(254))
    last_seen_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The profile (picture and bio) is out of view until an admin decides: "flags" or
    # "moderator", as for a post. The name stays: it signs the member's posts.
    profile_hidden_at: Mapped[datetime | None]
    profile_hidden_reason: Mapped[str] = mapped_column(String(20), default="")
    # Registered while the site asked for an admin's approval: may not sign in until approved.
    awaiting_approval_since: Mapped[datetime | None]

    organisation: Mapped[Organisation | None] = relationship(lazy="joined")

    __table_args__ = (Index("ix_user_sort_name_id", "sort_name", "id"),)

    @validates("display_name")
    def _set_sort_name(self, _key: str, value: str) -> str:
        self.sort_name = value.lower()
        return value

    # The signed-in session this object was loaded for (or just started): set by
    # `start_session` and the user_loader, never stored on the row.
    # (Plain attributes, unannotated so the ORM leaves them unmapped.)
    current_session = None  # a UserSession
    current_session_key = None  # its key, a str

    # Flask-Login's UserMixin compares members by get_id(), which names a session: compare
    # the rows instead (one object per row in a database session).
    __eq__ = object.__eq__
    __ne__ = object.__ne__
    __hash__ = object.__hash__

    def get_id(self) -> str:
        """ "<id>:<generation>:<session key>": the session's record must still be open."""
        if self.current_session_key is None:
            raise RuntimeError("sign members in with accounts.actions.start_session first")
        return f"{self.id}:{self.session_generation}:{self.current_session_key}"

    def suspension_lapsed(self, now: datetime | None = None) -> bool:
        return self.suspended_until is not None and self.suspended_until <= (now or utcnow())

    # Each rule below is a hybrid: `user.is_listed` answers for one member, `User.is_listed`
    # is the same rule as SQL (a WHERE clause over many). Change both halves together.

    @hybrid_property
    def is_suspended(self) -> bool:
        """Suspended now: a suspension with an end date lapses by itself at that date."""
        return self.suspended_at is not None and not self.suspension_lapsed()

    @is_suspended.inplace.expression
    @classmethod
    def _is_suspended_sql(cls):
        return cls.suspended_at.is_not(None) & (
            cls.suspended_until.is_(None) | (cls.suspended_until > utcnow())
        )

    @hybrid_property
    def is_listed(self) -> bool:
        """Shown to other members (directories, member lists, mentions, profiles):
        confirmed, approved and not suspended."""
        return (
            self.verified_at is not None
            and self.awaiting_approval_since is None
            and not self.is_suspended
        )

    @is_listed.inplace.expression
    @classmethod
    def _is_listed_sql(cls):
        return (
            cls.verified_at.is_not(None) & cls.awaiting_approval_since.is_(None) & ~cls.is_suspended
        )

    @property
    def is_awaiting_approval(self) -> bool:
        return self.awaiting_approval_since is not None

    @property
    def is_active(self) -> bool:
        """May be signed in (Flask-Login's word): not suspended, not waiting for approval."""
        return not self.is_suspended and self.awaiting_approval_since is None

    @hybrid_property
    def is_admin(self) -> bool:
        return self.site_role == "admin"

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    @property
    def organisation_name(self) -> str:
        return self.organisation.name if self.organisation else self.organisation_other

    @property
    def shown_avatar(self) -> str | None:
        """The picture (a media hash) pages show beside the member's name: none while
        moderation hides the profile, so their initials show instead."""
        return self.avatar_sha256 if self.profile_hidden_at is None else None

    def profile_shown_to(self, viewer) -> bool:
        """Whether `viewer` (a User, the anonymous user or None) sees this profile's bio and
        picture: everyone, unless moderation hid them; then the admins, who decide, and the
        member themself, marked as hidden. Pages that list many members use `shown_avatar`.
        """
        if self.profile_hidden_at is None:
            return True
        signed_in = viewer is not None and viewer.is_authenticated
        return signed_in and (viewer.is_admin or viewer.id == self.id)

    @property
    def initials(self) -> str:
        words = [w for w in self.display_name.split() if w[:1].isalnum()]
        letters = "".join(w[0] for w in words[:2]) or self.display_name[:1] or "?"
        return letters.upper()

    def __repr__(self) -> str:
        return f"<User {self.id}>"


class UserSession(db.Model):
    """One signed-in browser: created at sign-in, ended by signing out, a password change,
    "sign out other devices" or a suspension. Its key (only its hash is stored) is in the
    Flask session and the remember-me cookie; a copy of either is worth nothing once ended.
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<UserSession {self.id} of {self.user_id}>"


class Invitation(db.Model):
    """An admin's emailed invitation to register (the registration mode "invitation"): its
    link carries a token of which only the hash is kept. Open until it expires, is revoked,
    or is used."""

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)  # normalised
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    message: Mapped[str] = mapped_column(Text, default="")
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    accepted_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])

    sent_token = None  # the link's token, on the object that just sent it (never stored)
