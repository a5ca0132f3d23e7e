"""How chat rooms are named in the audit trail, and how moderating them reads."""

from sqlalchemy import select

from ..extensions import db
from ..moderation.wording import register_action, register_target


def _names(ids: set[int]) -> dict[int, str]:
    # Imported here: chat's models import accounts, whose package imports chat back.
    from . import access
    from .models import ChatRoom

    rooms = list(db.session.scalars(select(ChatRoom).where(ChatRoom.id.in_(ids))))
    names = access.room_names(rooms)
    return {room_id: f"the chat room “{name}”" for room_id, name in names.items()}


def _room(fields: dict) -> str:
    """A community's room reads by its community ("the Procurement chat")."""
    return f"the {fields['community']} chat" if fields.get("community") else fields["target"]


def _duration(minutes) -> str:
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        return "a while"
    for size, unit in ((1440, "day"), (60, "hour")):
        if minutes >= size and minutes % size == 0:
            count = minutes // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{minutes} minute{'' if minutes == 1 else 's'}"


MODERATION = "Chat moderation"

register_target("chat_room", names=_names, gone="a chat room since removed")
register_action(
    "chat.delete_message",
    lambda f: f"deleted a message by {f['author']} in {_room(f)}",
    refs={"author_id": "member"},
    in_community=False,
    label=MODERATION,
)
register_action(
    "chat.mute",
    lambda f: f"muted {f['user']} for {_duration(f.get('minutes'))} in {_room(f)}",
    refs={"user_id": "member"},
    in_community=False,
    label=MODERATION,
)
register_action(
    "chat.unmute",
    lambda f: f"unmuted {f['user']} in {_room(f)}",
    refs={"user_id": "member"},
    in_community=False,
    label=MODERATION,
)
