"""What chat notifications point at (messages) and how they read; who hears of a mention."""

from sqlalchemy import select

from ..accounts.models import User
from ..extensions import db
from ..notifications import actions as notify
from ..notifications.models import Notification
from ..notifications.targets import register_target, register_wording
from ..threads import mentions
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
    """The message is still there, not deleted nor hidden (the community check is the
    notification's: a room's notifications belong to its community)."""
    return (
        select(ChatMessage.id)
        .where(
            ChatMessage.id == Notification.target_id,
            ChatMessage.deleted_at.is_(None),
            ChatMessage.hidden_at.is_(None),
        )
        .exists()
    )


register_target("chat_message", link=_message_link, visible=_message_visible)
register_wording("chat_mention", "mentioned you in the chat of", email="mentions")


def tell_mentioned(_app, *, message: ChatMessage, room: ChatRoom, mentioned: list[User], **_):
    """chat_message_posted, chat_message_edited: tell the mentioned who may read the room;
    an edit that mentions them again (or removes and re-adds a mention) never notifies twice
    (the notification's dedupe key)."""
    readers = access.readers(mentioned, room.name)
    for user, standing in readers:
        notify.notify(
            user.id, "chat_mention", actor=message.author,
            community_id=standing.decision.community_id,
            target=("chat_message", message.id),
            subject=access.policy(standing.kind).title(standing.target),
            excerpt=mentions.excerpt(message.body),
        )  # fmt: skip
    notify.publish_counts({user.id for user, _ in readers})
