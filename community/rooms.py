"""Socket.IO room names: the one place they are spelled. Every publish and join uses these.

- `user:<id>`: every tab of one member (notification counts, their own live updates).
- `session:<id>`: every tab of one sign-in session (closed when the session ends).
- `thread:<id>`: open pages of one thread (live replies, edits, deletions).
- `chat:<id>`: the members who joined a chat room (by the room row's id, not its name).
"""


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


def session_room(session_id: int) -> str:
    return f"session:{session_id}"


def thread_room(thread_id: int) -> str:
    return f"thread:{thread_id}"


def chat_room(room_id: int) -> str:
    return f"chat:{room_id}"
