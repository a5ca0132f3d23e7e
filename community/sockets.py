"""Socket.IO connections: authenticated by the page's session cookie, one per browser tab.

Each connection joins `user:<id>`, the room for events meant for one member (notification
counts, live updates of their own tabs), and `session:<id>`, its sign-in's room. When a
session ends (sign-out, a password change, "sign out other devices", a suspension) its
connections are disconnected: `disconnect_session` finds them in this process's rooms and,
when scaled out, in a Redis set per session that every process's connections are added to
(python-socketio's `disconnect(sid)` reaches the process holding a sid through the message
queue). Domain handlers live in each domain's sockets.py; every event loads the member anew,
so an ended session's events are refused even before its connection has closed.

After a message-queue (Redis) outage, `after_queue_reconnect` runs in each process
(community/queue.py): it disconnects its connections whose session ended meanwhile, records
its connections in Redis again (a restarted Redis has lost the sets) and sends its clients
`live.resync`, so that every open room and thread page asks for what it missed.
"""

import logging

from flask import current_app, request
from flask_login import current_user
from flask_socketio import join_room

from .extensions import socketio
from .queue import is_outage
from .rooms import session_room, user_room

log = logging.getLogger(__name__)
NAMESPACE = "/"
RESYNC = "live.resync"


def _redis():
    """The Redis client for the connection sets, or None in the embedded (one-process) mode."""
    app = current_app._get_current_object()
    url = app.config.get("REDIS_URL")
    if not url:
        return None
    client = app.extensions.get("socket_sessions_redis")
    if client is None:
        import redis

        pool = redis.BlockingConnectionPool.from_url(url, max_connections=20, timeout=10)
        client = app.extensions["socket_sessions_redis"] = redis.Redis(connection_pool=pool)
    return client


def _sids_key(session_id: int) -> str:
    from . import deployment_id

    return f"commons:{deployment_id(current_app)}:sockets:session:{session_id}"


@socketio.on("connect")
def on_connect(auth=None):
    """A browser tab connects; anonymous, suspended and signed-out visitors are refused."""
    if not current_user.is_authenticated:
        return False
    join_room(user_room(current_user.id))
    record = current_user.current_session
    join_room(session_room(record.id))
    try:
        _record_connections({record.id: [request.sid]})
    except Exception as exc:
        if not is_outage(exc):
            raise
        # Accepted all the same: the session was checked in the database, and when the queue
        # is back this process records its connections again (after_queue_reconnect).
        log.warning("connect: Redis cannot be reached to record the connection: %s", exc)
    return True


def _record_connections(sessions: dict[int, list[str]]) -> None:
    """Add these sids to their sessions' sets in Redis, read by every process's
    `disconnect_session` (nothing to do in the one-process mode)."""
    client = _redis()
    if client is None or not sessions:
        return
    lifetime = int(current_app.config["REMEMBER_COOKIE_DURATION"])
    pipe = client.pipeline()
    for session_id, sids in sessions.items():
        key = _sids_key(session_id)
        pipe.sadd(key, *sids).expire(key, lifetime)
    pipe.execute()


def disconnect_session(session_id: int) -> int:
    """Disconnect every live connection of an ended session, in every process; how many
    sids were asked to go (some may have gone already)."""
    room = session_room(session_id)
    sids = {sid for sid, _eio in socketio.server.manager.get_participants(NAMESPACE, room)}
    client = _redis()
    if client is not None:
        key = _sids_key(session_id)
        try:
            members, _ = client.pipeline().smembers(key).delete(key).execute()
        except Exception as exc:
            if not is_outage(exc):
                raise
            # This process's connections still go; the others' processes find theirs when
            # the queue is back (after_queue_reconnect).
            log.warning("Redis cannot be reached to end session %s everywhere: %s", session_id, exc)
            members = []
        sids |= {m.decode() if isinstance(m, bytes) else m for m in members}
    for sid in sids:
        socketio.server.disconnect(sid, namespace=NAMESPACE)
    return len(sids)


def disconnect_ended_sessions() -> int:
    """Disconnect this process's connections whose session has ended: the backstop for an
    end this process was not told about (the command line in the one-process mode, which
    has no message queue; a tab that connected while its session was ending). How many
    sessions' connections went."""
    from sqlalchemy import select

    from .accounts.models import UserSession
    from .extensions import db

    ids = list(_local_sessions())
    if not ids:
        return 0
    try:
        ended = list(
            db.session.scalars(
                select(UserSession.id).where(
                    UserSession.id.in_(ids), UserSession.ended_at.is_not(None)
                )
            )
        )
    finally:
        db.session.remove()
    for session_id in ended:
        for sid, _eio in socketio.server.manager.get_participants(
            NAMESPACE, session_room(session_id)
        ):
            socketio.server.disconnect(sid, namespace=NAMESPACE, ignore_queue=True)
    return len(ended)


def _local_sessions() -> dict[int, list[str]]:
    """This process's connections, by the id of their sign-in session."""
    rooms = socketio.server.manager.rooms.get(NAMESPACE, {})
    sessions = {}
    for name in list(rooms):
        prefix, _, number = (name or "").partition(":")
        if prefix == "session" and number.isdigit():
            sids = [sid for sid, _eio in socketio.server.manager.get_participants(NAMESPACE, name)]
            if sids:
                sessions[int(number)] = sids
    return sessions


def after_queue_reconnect(app) -> None:
    """The message queue is back after an outage (community/queue.py calls this in each
    process): whatever other processes published meanwhile never reached this one."""
    with app.app_context():
        # A session that ended during the outage could not tell this process: end its
        # connections before anything is sent to them.
        disconnect_ended_sessions()
        try:
            _record_connections(_local_sessions())
        except Exception as exc:
            if not is_outage(exc):
                raise
            log.warning("Redis went again before the connections were recorded: %s", exc)
    # Only this process's clients (not through the queue: every process sends its own).
    socketio.server.emit(RESYNC, {}, namespace=NAMESPACE, ignore_queue=True)
