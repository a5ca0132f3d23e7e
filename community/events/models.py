"""Events: meetings of the network (networking days, working groups, conferences), their
RSVPs and waiting list, the reminders sent for them, attendees' feedback and members'
private calendar feeds.

Times are stored in UTC (naive, like every datetime here); `timezone` is the zone the
organiser typed the times in, so an edit keeps the wall-clock time across a change of
daylight saving and feeds can name it.
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..communities.models import Community
from ..db import utcnow
from ..extensions import db

# The room's life, moved on by a registered job on the database clock (never by a visit):
# scheduled → open (15 minutes before the start) → closed (at the end; read-only).
ROOM_STATES = ("scheduled", "open", "closed")
# An RSVP's answer. "waiting": said going when the event was full, in line by `waiting_since`.
RSVP_STATUSES = ("going", "maybe", "not_going", "waiting")
RSVP_LABELS = {
    "going": "Going",
    "maybe": "Maybe",
    "not_going": "Not going",
    "waiting": "On the waiting list",
}
# The answers of a member who means to come or is in line to: the event is theirs (their
# list and private calendar feed) and they hear of its changes.
ATTENDING = ("going", "maybe", "waiting")


class Event(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")  # Markdown, as typed
    description_html: Mapped[str] = mapped_column(Text, default="")
    # None: network-wide (any signed-in member; anonymous readers see it when public).
    community_id: Mapped[int | None] = mapped_column(
        ForeignKey("community.id", ondelete="CASCADE"), index=True
    )
    organiser_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    starts_at: Mapped[datetime]  # UTC
    ends_at: Mapped[datetime]  # UTC
    timezone: Mapped[str] = mapped_column(String(64))  # the organiser's zone, e.g. Europe/London
    location: Mapped[str] = mapped_column(String(300), default="")  # a place ("" when online)
    join_url: Mapped[str | None] = mapped_column(String(500))  # online: the join link
    capacity: Mapped[int | None]  # places for "going"; None: no limit
    rsvp_deadline: Mapped[datetime | None]  # UTC; None: until the start
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str] = mapped_column(String(500), default="")
    # RFC 5545 SEQUENCE: raised on every change a calendar should pick up.
    sequence: Mapped[int] = mapped_column(default=0)
    room_state: Mapped[str] = mapped_column(String(10), default="scheduled")
    # The published "event record" resource made from the transcript when the room closed.
    # Indexed: a record's resource page asks which event it is the record of.
    record_id: Mapped[int | None] = mapped_column(
        ForeignKey("resource.id", ondelete="SET NULL"), index=True
    )
    # Out of members' view until a moderator decides: "flags" (enough members flagged it)
    # or "moderator" (a moderator hid it); for good: "removed" (a moderator deleted it from
    # the queue: it was cancelled, if it was still to come). Moderators still see it, marked.
    hidden_at: Mapped[datetime | None]
    hidden_reason: Mapped[str] = mapped_column(String(20), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    community: Mapped[Community | None] = relationship(lazy="joined")
    organiser: Mapped[User | None] = relationship(lazy="joined")

    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        Index("ix_event_starts", "starts_at", "id"),
        Index("ix_event_room_state", "room_state", "starts_at"),
    )

    @classmethod
    def in_view(cls):
        """A WHERE clause: not hidden by moderation (the one rule every list, feed, search,
        digest, reminder and notice of events keeps to, through access.py)."""
        return cls.hidden_at.is_(None)

    @property
    def is_in_view(self) -> bool:
        return self.hidden_at is None

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def where(self) -> str:
        """The place as told to anyone (never the join link): the location, else "Online"
        for an online event ("" when neither is given)."""
        return self.location or ("Online" if self.join_url else "")


class EventRsvp(db.Model):
    """One member's answer for one event (changed in place until the deadline)."""

    __tablename__ = "event_rsvp"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10))
    waiting_since: Mapped[datetime | None]  # the place in line while status is "waiting"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)  # when this answer was given

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)

    __table_args__ = (
        UniqueConstraint("event_id", "user_id"),
        Index("ix_event_rsvp_status", "event_id", "status", "waiting_since", "id"),
    )


class EventReminder(db.Model):
    """A reminder or change notice sent once: the row is claimed (INSERT … ON CONFLICT DO
    NOTHING) before anything is sent, so two runs or a rerun after a crash never send twice.
    `kind`: "day-before@<start>" (email), "hour-before@<start>" (in-app), the start as
    YYYYMMDDTHHMM (UTC) so a moved event is reminded of again; "changed-<sequence>",
    "cancelled"."""

    __tablename__ = "event_reminder"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("user_id", "event_id", "kind"),)


class EventFeedback(db.Model):
    """An attendee's word on an event once it ended: useful 1–5 and a comment."""

    __tablename__ = "event_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    rating: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("event_id", "user_id"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
    )


class CalendarFeed(db.Model):
    """A member's private calendar feed: the secret in its URL. Revoking deletes the row
    (the old URL then answers 404); a new link makes a new secret."""

    __tablename__ = "calendar_feed"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
