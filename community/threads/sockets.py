"""Live thread pages: an open thread page joins `thread:<id>` and receives new posts.

Events (README, "Socket.IO protocol"):
- `thread.open` `{thread_id}` → ack `{ok: true}` and the connection joins `thread:<id>`, or
  `{ok: false, error}` when the payload is malformed or the thread is not readable (a
  members-only thread of another community answers exactly like a missing one);
- `thread.close` `{thread_id}` → ack `{ok: true}`, leaves the room;
- then `thread.reply` / `thread.edited` / `thread.deleted` / `thread.reactions` arrive, sent by
  the actions after their transaction commits (community/realtime.py).
"""

from flask_login import current_user
from flask_socketio import join_room, leave_room

from ..auth import actor
from ..errors import DomainError
from ..extensions import db, socketio
from ..ids import as_id
from ..rooms import thread_room
from . import actions

MALFORMED = {"ok": False, "error": "Malformed request: send {thread_id: <number>}."}


def thread_id_of(data) -> int | None:
    """The thread id of a payload, or None when the payload is not `{thread_id: <id>}`.

    A positive integer, or its decimal text (what a page's data attribute holds); never a
    bool, a float, a list or a number no id column could hold (ids.as_id).
    """
    if not isinstance(data, dict):
        return None
    return as_id(data.get("thread_id"))


@socketio.on("thread.open")
def on_thread_open(data=None):
    """Sent by an open thread page; the thread's live events then reach it."""
    if not current_user.is_authenticated:
        return {"ok": False, "error": "Please sign in."}
    thread_id = thread_id_of(data)
    if thread_id is None:
        return MALFORMED
    try:
        actions.access_thread(actor(), thread_id)
    except DomainError as exc:
        return {"ok": False, "error": exc.message}
    finally:
        db.session.rollback()  # a read: end its transaction before the connection idles
    try:
        join_room(thread_room(thread_id))
    except (KeyError, ValueError):
        # The tab went away while its access was checked (events run in their own greenlet):
        # nothing to join, and nobody left to tell.
        return {"ok": False, "error": "Not connected."}
    return {"ok": True}


@socketio.on("thread.close")
def on_thread_close(data=None):
    """Sent when a thread page is left without closing the connection."""
    thread_id = thread_id_of(data)
    if thread_id is None:
        return MALFORMED
    leave_room(thread_room(thread_id))
    return {"ok": True}
