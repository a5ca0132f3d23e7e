"""Chat messages as moderation sees them (community/moderation/flags.py): flagged, hidden
from the room while a moderator looks, restored or deleted. Open rooms change at once: the
room hears `chat.edited` with the message's new state (hidden: only its place)."""

from sqlalchemy import select

from .. import realtime
from ..db import utcnow
from ..errors import allowed
from ..extensions import db
from ..moderation.flags import FlaggableKind, Flagged, register_flaggable
from ..moderation.wording import register_target as register_audit_target
from ..notifications.models import Notification
from ..notifications.targets import register_target
from ..threads import mentions
from . import access, actions
from .models import ChatMessage, ChatRoom

KIND = "chat_message"


def _message_in_room(message_id: int) -> tuple[ChatMessage, ChatRoom] | None:
    message = db.session.get(ChatMessage, message_id)
    if message is None:
        return None
    room = db.session.get(ChatRoom, message.room_id)
    room.name = access.room_name(room)
    return (message, room) if room.name else None


def _link(message: ChatMessage, room: ChatRoom) -> str:
    """The room's page ending at the message (the page shows the 50 before `before`)."""
    return f"/chat/{room.name}?before={message.number + 1}#m{message.number}"


def _load(message_id: int) -> Flagged | None:
    found = _message_in_room(message_id)
    if found is None:
        return None
    message, room = found
    author = message.author.display_name if message.author else "a former member"
    return Flagged(
        kind=KIND,
        id=message.id,
        community_id=access.community_of(room),
        author_id=message.author_id,
        title=f"a chat message by {author} in “{room.name}”",
        own_title=f"your chat message in “{room.name}”",
        excerpt=mentions.excerpt(message.body),
        url=_link(message, room),
        hidden=message.hidden_at is not None,
        deleted=message.deleted_at is not None,
    )


def _can_see(user, message_id: int) -> bool:
    found = _message_in_room(message_id)
    if found is None:
        return False
    message, room = found
    visible = message.deleted_at is None and message.hidden_at is None
    return visible and allowed(lambda: actions.access_room(user, room.name))


def _publish(message: ChatMessage, room: ChatRoom) -> None:
    realtime.publish(
        "chat.edited", actions.message_payload(message, room), room=access.socket_room(room)
    )


def hide(message_id: int, _moderator, why: str) -> None:
    message, room = _message_in_room(message_id)
    if message.hidden_at is None:
        message.hidden_at, message.hidden_reason = utcnow(), why
        _publish(message, room)


def restore(message_id: int, _moderator) -> None:
    message, room = _message_in_room(message_id)
    if message.hidden_at is not None:
        message.hidden_at, message.hidden_reason = None, ""
        _publish(message, room)


def delete(message_id: int, moderator) -> None:
    message, room = _message_in_room(message_id)
    message.hidden_at, message.hidden_reason = None, ""  # deleted now: no longer hidden
    actions.delete_message(moderator, room.name, message.number)


register_flaggable(
    KIND,
    FlaggableKind(
        label="chat message", load=_load, can_see=_can_see, hide=hide, restore=restore,
        delete=delete, notice_target="moderated_chat",
    ),
)  # fmt: skip


def _message_link(message_id: int) -> str:
    found = _message_in_room(message_id)
    return _link(*found) if found else "/chat"


def _message_still_there():
    """A moderation notice stays while its message is not deleted (hidden is the point)."""
    return (
        select(ChatMessage.id)
        .where(ChatMessage.id == Notification.target_id, ChatMessage.deleted_at.is_(None))
        .exists()
    )


def _audit_names(ids: set[int]) -> dict[int, str]:
    return {i: item.title for i in ids if (item := _load(i)) is not None}


register_target("moderated_chat", link=_message_link, visible=_message_still_there)
register_audit_target(KIND, names=_audit_names, gone="a chat message since removed")
