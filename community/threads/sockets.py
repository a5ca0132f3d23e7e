"""Live thread pages: an open thread page joins `thread:<id>` and receives new posts."""

from flask_login import current_user
from flask_socketio import join_room, leave_room

from ..auth import actor
from ..errors import DomainError
from ..extensions import socketio
from . import actions


@socketio.on("thread.open")
def on_thread_open(data):
    """Sent by an open thread page; the reply broadcasts of that thread then reach it."""
    if not current_user.is_authenticated:
        return {"ok": False, "error": "Please sign in."}
    try:
        thread_id = int(data["thread_id"])
        actions.access_thread(actor(), thread_id)
    except (KeyError, TypeError, ValueError):
        return {"ok": False, "error": "Malformed request."}
    except DomainError as exc:
        return {"ok": False, "error": exc.message}
    join_room(f"thread:{thread_id}")
    return {"ok": True}


@socketio.on("thread.close")
def on_thread_close(data):
    """Sent when a thread page is left without closing the connection."""
    try:
        leave_room(f"thread:{int(data['thread_id'])}")
    except (KeyError, TypeError, ValueError):
        return {"ok": False, "error": "Malformed request."}
    return {"ok": True}
