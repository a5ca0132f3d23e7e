"""Socket.IO connections: authenticated by the page's session cookie, one per browser tab.

Each connection joins `user:<id>`, the room for events meant for one member (notification
counts, live updates of their own tabs). Domain handlers live in each domain's sockets.py.
"""

from flask_login import current_user
from flask_socketio import join_room

from .extensions import socketio


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


@socketio.on("connect")
def on_connect(auth=None):
    """A browser tab connects; anonymous and suspended visitors are refused."""
    if not current_user.is_authenticated:
        return False
    join_room(user_room(current_user.id))
    return True
