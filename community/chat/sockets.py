"""Chat over Socket.IO: the protocol of the README ("Socket.IO", chat events).

Every client → server event answers in its acknowledgement, `{"ok": true, …}` or
`{"ok": false, "error": "…"}`: permission, validation, rate-limit and malformed-payload
errors never become exceptions. Writes commit before their broadcast (community/realtime.py).

Presence: a connection that joins a room gets an entry in the presence store; this process
refreshes its connections' entries every PRESENCE_TTL / 3 seconds and sweeps out entries that
expired (those of a process that died), broadcasting who left.
"""

import logging
import threading
from contextlib import nullcontext

from flask import current_app, request
from flask_login import current_user
from flask_socketio import emit, join_room, leave_room
from sqlalchemy import select

from ..accounts.models import User
from ..auth import actor
from ..db import atomic
from ..errors import DomainError
from ..extensions import db, socketio
from ..queue import is_outage
from ..rooms import chat_room
from . import access, actions
from .models import ChatRoom
from .presence import MemoryPresence, PresenceChanges, RedisPresence

log = logging.getLogger(__name__)
MALFORMED = {"ok": False, "error": "Malformed request."}
FAILED = {"ok": False, "error": "Something went wrong on our side. Please try again."}

# This process's connections in chat rooms: sid → {room id: user id}.
_local: dict[str, dict[int, int]] = {}
_local_lock = threading.Lock()


def presence():
    """The app's presence store: Redis when REDIS_URL is set, else this process's memory."""
    app = current_app._get_current_object()
    store = app.extensions.get("chat_presence")
    if store is None:
        ttl = app.config["CHAT_PRESENCE_TTL"]
        url = app.config.get("REDIS_URL")
        from .. import deployment_id

        prefix = f"commons:{deployment_id(app)}:chat:presence"
        store = RedisPresence(url, ttl, prefix=prefix) if url else MemoryPresence(ttl)
        app.extensions["chat_presence"] = store
    return store


def presence_changes() -> PresenceChanges:
    """The app's batcher of `chat.presence` deltas (one per room per window)."""
    app = current_app._get_current_object()
    changes = app.extensions.get("chat_presence_changes")
    if changes is None:
        changes = PresenceChanges(
            app.config["CHAT_PRESENCE_BATCH_SECONDS"],
            present=presence().members,
            send=lambda room_id, batch: socketio.emit(
                "chat.presence", batch, to=chat_room(room_id)
            ),
            schedule=lambda flush, delay: socketio.start_background_task(_later, flush, delay),
        )
        app.extensions["chat_presence_changes"] = changes
    return changes


def _later(work, delay: float) -> None:
    socketio.sleep(delay)
    try:
        work()
    except Exception:
        log.exception("chat presence batch failed")


def _member(user: User) -> dict:
    return {"id": user.id, "name": user.display_name}


def _handle(data, keys: tuple[str, ...], work, *, writes: bool = True):
    """Run `work(**payload)`, in a write transaction unless it only `reads`; its result, or
    the error, as the ack. (Readers never wait for SQLite's write lock.)"""
    if not isinstance(data, dict) or not all(k in data for k in keys):
        return {**MALFORMED, "error": f"Malformed request: send {{{', '.join(keys)}}}."}
    try:
        # The member is loaded inside the transaction: loading them first would open a read
        # transaction that atomic() must end, and reload them after.
        with atomic() if writes else nullcontext():
            if not current_user.is_authenticated:
                return {"ok": False, "error": "Please sign in to use the chat."}
            return {"ok": True, **work(actor(), **{k: data[k] for k in keys})}
    except DomainError as exc:
        return {"ok": False, "error": exc.message}
    except Exception as exc:
        if is_outage(exc):  # presence is in Redis (join, leave)
            log.warning("chat: Redis cannot be reached: %s", exc)
            return {"ok": False, "error": actions.RECONNECTING}
        log.exception("chat handler failed")
        return FAILED
    finally:
        db.session.remove()


@socketio.on("chat.join")
def on_join(data=None):
    def work(user, room):
        chat_room, messages = actions.recent(user, room)
        last_id = chat_room.last_number
        actions.mark_read(user, room, last_id)
        store = presence()
        newly = store.join(chat_room.id, user.id, request.sid)
        _remember(request.sid, chat_room.id, user.id)
        join_room(access.socket_room(chat_room))
        if newly:
            presence_changes().add(chat_room.id, room, _member(user))
        present = _members(store.members(chat_room.id))
        _start_heartbeat()
        messages = actions.payloads_for(user, chat_room, messages)
        return {"room": room, "messages": messages, "last_id": last_id, "present": present,
                "muted_until": _muted(user, chat_room),
                "write_problem": actions.write_problem(user, room)}  # fmt: skip

    return _handle(data, ("room",), work)


def _muted(user, room) -> str | None:
    until = actions.muted_until(user, room)
    return until.isoformat() + "Z" if until else None


def _members(user_ids: list[int]) -> list[dict]:
    if not user_ids:
        return []
    users = db.session.scalars(select(User).where(User.id.in_(user_ids)).order_by(User.sort_name))
    return [_member(u) for u in users]


@socketio.on("chat.leave")
def on_leave(data=None):
    def work(user, room):
        chat_room = actions.access_room(user, room)
        leave_room(access.socket_room(chat_room))
        _leave(request.sid, chat_room.id, user.id, room)
        return {}

    return _handle(data, ("room",), work, writes=False)


@socketio.on("chat.send")
def on_send(data=None):
    def work(user, room, body, client_id):
        message, _created = actions.send_message(user, room, body=body, client_id=client_id)
        return {"id": message.number}

    return _handle(data, ("room", "body", "client_id"), work)


@socketio.on("chat.since")
def on_since(data=None):
    def work(user, room, after_id):
        chat_room, messages, more = actions.since(user, room, after_id)
        return {"messages": actions.payloads_for(user, chat_room, messages), "more": more}

    return _handle(data, ("room", "after_id"), work, writes=False)


@socketio.on("chat.history")
def on_history(data=None):
    def work(user, room, before_id):
        chat_room, messages = actions.history(user, room, before_id)
        return {"messages": actions.payloads_for(user, chat_room, messages)}

    return _handle(data, ("room", "before_id"), work, writes=False)


@socketio.on("chat.edit")
def on_edit(data=None):
    def work(user, room, id, body):  # noqa: A002 (the protocol's name)
        actions.edit_message(user, room, id, body=body)
        return {}

    return _handle(data, ("room", "id", "body"), work)


@socketio.on("chat.delete")
def on_delete(data=None):
    def work(user, room, id):  # noqa: A002
        actions.delete_message(user, room, id)
        return {}

    return _handle(data, ("room", "id"), work)


@socketio.on("chat.read")
def on_read(data=None):
    def work(user, room, id):  # noqa: A002
        actions.mark_read(user, room, id)
        return {}

    return _handle(data, ("room", "id"), work)


@socketio.on("chat.typing")
def on_typing(data=None):
    def work(user, room):
        chat_room = actions.typing(user, room)
        emit("chat.typing", {"room": room, "member": _member(user)},
             to=access.socket_room(chat_room), include_self=False)  # fmt: skip
        return {}

    return _handle(data, ("room",), work, writes=False)


@socketio.on("disconnect")
def on_disconnect(reason=None):
    sid = request.sid
    with _local_lock:
        rooms = _local.pop(sid, {})
    for room_id, user_id in rooms.items():
        try:
            _announce_left(room_id, user_id, presence().leave(room_id, user_id, sid))
        except Exception as exc:
            if not is_outage(exc):
                raise
            # Its entry expires by itself (CHAT_PRESENCE_TTL), and a sweep reports who left.
            log.warning("chat: Redis cannot be reached to record a leave: %s", exc)


# --- presence bookkeeping -------------------------------------------------------------------


def _remember(sid: str, room_id: int, user_id: int) -> None:
    with _local_lock:
        _local.setdefault(sid, {})[room_id] = user_id


def _leave(sid: str, room_id: int, user_id: int, room_name: str | None = None) -> None:
    with _local_lock:
        _local.get(sid, {}).pop(room_id, None)
    _announce_left(room_id, user_id, presence().leave(room_id, user_id, sid), room_name)


def _announce_left(room_id: int, user_id: int, gone: bool, room_name: str | None = None):
    if not gone:
        return
    if room_name is None:
        chat_room = db.session.get(ChatRoom, room_id)
        room_name = access.room_name(chat_room) if chat_room is not None else None
    user = db.session.get(User, user_id)
    db.session.remove()
    if room_name is None or user is None:
        return
    presence_changes().add(room_id, room_name, _member(user))


def _start_heartbeat() -> None:
    """Once per app (one per process in production; tests make several)."""
    app = current_app._get_current_object()
    with _local_lock:
        if app.extensions.get("chat_heartbeat"):
            return
        app.extensions["chat_heartbeat"] = True
    socketio.start_background_task(_heartbeat, app)


def _heartbeat(app) -> None:
    """Keep this process's entries alive, and sweep out expired ones (a dead process's)."""
    interval = app.config["CHAT_PRESENCE_TTL"] / 3
    while True:
        socketio.sleep(interval)
        try:
            with app.app_context():
                store = presence()
                with _local_lock:
                    entries = [
                        (room_id, user_id, sid)
                        for sid, rooms in _local.items()
                        for room_id, user_id in rooms.items()
                    ]
                store.refresh(entries)
                for room_id, user_id in store.sweep():
                    _announce_left(room_id, user_id, True)
        except Exception as exc:
            if is_outage(exc):  # the next beat after the queue is back puts every entry back
                log.warning("chat presence heartbeat: Redis cannot be reached: %s", exc)
            else:
                log.exception("chat presence heartbeat failed")
