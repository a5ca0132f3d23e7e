"""The header's live count: every signed-in tab listens for `notification.count` {unread}
(sent to `user:<id>` by the actions after commit) and, on each (re)connection, asks for the
count once, since what was sent while it was not connected is gone.

- `notification.count` `{}` → ack `{ok: true, unread}`, or `{ok: false, error}` signed out.
"""

from flask_login import current_user

from ..auth import actor
from ..extensions import db, socketio
from . import actions


@socketio.on("notification.count")
def on_count(data=None):
    """Sent by a tab when it connects; the ack carries the member's unread count now."""
    if not current_user.is_authenticated:
        return {"ok": False, "error": "Please sign in."}
    try:
        return {"ok": True, "unread": actions.unread_count(actor())}
    finally:
        db.session.rollback()  # a read: end its transaction before the connection idles
