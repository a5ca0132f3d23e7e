"""The baseline for the chat benchmark: a bare python-socketio server doing the same fan-out
as Commons' chat (join a room on `chat.join`, broadcast a message payload of the same shape
to the room on `chat.send`, answer both in the acknowledgement), with no app, database,
authentication, rendering or presence.

Served by the same gunicorn configuration as Commons (gunicorn.conf.py: one
GeventWebSocketWorker), so `async_mode="gevent"`. With REDIS_URL set (read here, as the
benchmark's own knob), rooms are shared through Redis as in the app's scaled-out mode.
"""

import itertools
import os
from datetime import UTC, datetime
from html import escape

import socketio

_redis = os.environ.get("REDIS_URL")
sio = socketio.Server(
    async_mode="gevent",
    client_manager=socketio.RedisManager(_redis, channel="bench-baseline") if _redis else None,
)
app = socketio.WSGIApp(sio)
# Per-process numbering: in the two-process run only one process receives sends.
_numbers = itertools.count(1)


@sio.on("chat.join")
def on_join(sid, data):
    room = str(data["room"])
    sio.enter_room(sid, f"chat:{room}")
    return {"ok": True, "room": room, "messages": [], "last_id": 0, "present": []}


@sio.on("chat.send")
def on_send(sid, data):
    room, number = str(data["room"]), next(_numbers)
    payload = {
        "room": room,
        "id": number,
        "author": {"id": 1, "name": "Baseline sender"},
        "html": f"<p>{escape(str(data['body']))}</p>\n",
        "created_at": datetime.now(UTC).replace(tzinfo=None).isoformat() + "Z",
        "edited_at": None,
        "client_id": str(data["client_id"]),
    }
    sio.emit("chat.message", payload, to=f"chat:{room}")
    return {"ok": True, "id": number}
