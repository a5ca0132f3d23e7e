"""What chat notifications point at (messages) and how they read."""

from sqlalchemy import select

from ..extensions import db
from ..notifications.models import Notification
from ..notifications.targets import register_target, register_wording
from . import access
from .models import ChatMessage, ChatRoom


def _message_link(message_id: int) -> str | None:
    row = db.session.execute(
        select(ChatRoom.kind, ChatRoom.target_id, ChatMessage.number)
        .join(ChatRoom, ChatRoom.id == ChatMessage.room_id)
        .where(ChatMessage.id == message_id)
    ).first()
    if row is None:
        return None
    name = access.policy(row.kind).names([row.target_id]).get(row.target_id)
    return f"/chat/{name}#m{row.number}" if name else None


def _message_visible():
    """The message is still there and not deleted (the community check is the
    notification's: a room's notifications belong to its community)."""
    return (
        select(ChatMessage.id)
        .where(ChatMessage.id == Notification.target_id, ChatMessage.deleted_at.is_(None))
        .exists()
    )


register_target("chat_message", link=_message_link, visible=_message_visible)
register_wording("chat_mention", "mentioned you in the chat of")
