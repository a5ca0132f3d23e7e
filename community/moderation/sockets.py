"""The moderators' header count, live: `moderation.count` {waiting} is pushed to a
moderator's `user:<id>` when their queue changes, and each tab asks for it once on every
(re)connection.

- `moderation.count` `{}` → ack `{ok: true, waiting}`, or `{ok: false, error}`.
"""

from flask_login import current_user

from ..auth import actor
from ..extensions import db, socketio
from . import queue


@socketio.on("moderation.count")
def on_count(data=None):
    if not current_user.is_authenticated:
        return {"ok": False, "error": "Please sign in."}
    try:
        user = actor()
        if not queue.may_moderate(user):
            return {"ok": False, "error": "Only moderators and admins have a queue."}
        return {"ok": True, "waiting": queue.waiting_count(user)}
    finally:
        db.session.rollback()  # a read: end its transaction before the connection idles
