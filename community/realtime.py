"""Real-time events: `publish()` queues a Socket.IO emit that is sent only after commit.

Actions call `publish` inside their transaction. The emits wait in `session.info` and leave
when the transaction commits; a rollback drops them (a rolled-back savepoint, those published
inside it), so no client ever sees an event for something that was not saved.
"""

import json
import logging

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from .db import AFTER_ATOMIC
from .extensions import db, socketio
from .rooms import session_room

log = logging.getLogger(__name__)
PENDING = "pending_emits"


def publish(event_name: str, payload: dict, *, room: str) -> None:
    """Queue `event_name` with `payload` for the Socket.IO room `room`, sent after commit."""
    json.dumps(payload)  # fail here, where the payload is built, if it cannot be sent
    session = db.session()
    # The innermost savepoint is kept with the event: if it rolls back, the event goes too.
    pending = session.info.setdefault(PENDING, [])
    pending.append((session.get_nested_transaction(), event_name, room, payload))


def close_room(room: str, *, notice: str | None = None, payload: dict | None = None) -> None:
    """After commit, take every connection out of `room` (who may read it has changed).

    With `notice`, the room first gets that event, so open pages can ask to join again and
    have their access checked anew.
    """
    if notice is not None:
        publish(notice, payload or {}, room=room)
    publish(CLOSE_ROOM, {}, room=room)


CLOSE_ROOM = "__close_room__"
DISCONNECT_SESSION = "__disconnect_session__"


def disconnect_session(session_id: int) -> None:
    """After commit, disconnect every live connection of this (ended) sign-in session."""
    publish(DISCONNECT_SESSION, {"session_id": session_id}, room=session_room(session_id))


def _emit(event_name: str, room: str, payload: dict) -> None:
    if event_name == CLOSE_ROOM:
        socketio.close_room(room)
    elif event_name == DISCONNECT_SESSION:
        from .sockets import disconnect_session as disconnect

        disconnect(payload["session_id"])
    else:
        socketio.emit(event_name, payload, to=room)


@event.listens_for(Session, "after_commit")
def _send_pending(session: Session) -> None:
    if session.in_nested_transaction():
        # SQLAlchemy fires after_commit when a savepoint (`begin_nested()`) is released too;
        # the real commit, and with it the emits, is still to come.
        return
    pending = session.info.pop(PENDING, [])
    if pending and session.info.get("atomic"):
        # Sent once atomic() has let the next writer in: a room's fan-out is no reason to wait.
        session.info.setdefault(AFTER_ATOMIC, []).append(lambda: _emit_all(pending))
    else:
        _emit_all(pending)


def _emit_all(pending: list) -> None:
    for _savepoint, event_name, room, payload in pending:
        try:
            _emit(event_name, room, payload)
        except Exception:  # a lost live update must not fail the committed request
            log.exception("could not emit %s to %s", event_name, room)


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, previous_transaction: SessionTransaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(PENDING, None)
    elif previous_transaction.nested and session.info.get(PENDING):
        # A savepoint rolled back (`begin_nested()`, e.g. an insert that lost a race and was
        # caught): drop what was published inside it, keep the rest of the transaction's.
        session.info[PENDING] = [
            p for p in session.info[PENDING] if not _within(p[0], previous_transaction)
        ]


def _within(savepoint: SessionTransaction | None, rolled_back: SessionTransaction) -> bool:
    while savepoint is not None:
        if savepoint is rolled_back:
            return True
        savepoint = savepoint.parent
    return False
