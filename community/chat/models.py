"""Live chat: one room per target (a community; later, an event), numbered messages, mutes
and read positions. Who may use a room is its kind's policy (access.py)."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..db import utcnow
from ..extensions import db


class ChatRoom(db.Model):
    __tablename__ = "chat_room"

    id: Mapped[int] = mapped_column(primary_key=True)
    # What the room belongs to: its kind ("community"; "event" later) and the target's id.
    # The name in URLs and in the protocol comes from the target (access.py).
    kind: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[int]
    # The number of the room's latest message: incremented under the room's row lock in the
    # transaction that inserts the message, so committed numbers have no gaps.
    last_number: Mapped[int] = mapped_column(default=0)
    last_message_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    # Not stored: the room's protocol name, set when access.standing() loads it.
    name = None

    __table_args__ = (UniqueConstraint("kind", "target_id"),)


class ChatMessage(db.Model):
    __tablename__ = "chat_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("chat_room.id", ondelete="CASCADE"))
    number: Mapped[int]  # the protocol's `id`: 1, 2, 3… within the room
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # The sending tab's id for this message: a resend after a reconnect finds the first one.
    client_id: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # Hidden by members' flags or a moderator until a moderator decides: out of the room.
    hidden_at: Mapped[datetime | None]
    hidden_reason: Mapped[str] = mapped_column(String(20), default="")

    author: Mapped[User | None] = relationship(lazy="joined", foreign_keys=[author_id])

    __table_args__ = (
        UniqueConstraint("room_id", "number"),
        UniqueConstraint("author_id", "client_id"),
    )


class ChatMute(db.Model):
    """A member muted in a room by a moderator until a time."""

    __tablename__ = "chat_mute"

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("chat_room.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    until: Mapped[datetime]
    muted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("room_id", "user_id"),)


class ChatRead(db.Model):
    """How far a member has read a room: rooms with later messages are marked unread."""

    __tablename__ = "chat_read"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    room_id: Mapped[int] = mapped_column(ForeignKey("chat_room.id", ondelete="CASCADE"))
    last_read_number: Mapped[int] = mapped_column(default=0)

    __table_args__ = (UniqueConstraint("user_id", "room_id"), Index("ix_chat_read_room", "room_id"))
