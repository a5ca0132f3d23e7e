"""Real-time events: `publish()` queues a Socket.IO emit that is sent only after commit.

Actions call `publish` inside their transaction. The emits wait in `session.info` and leave
when the transaction commits; a rollback drops them, so no client ever sees an event for
something that was not saved.
"""

import json
import logging

from sqlalchemy import event
from sqlalchemy.orm import Session

from .extensions import db, socketio

log = logging.getLogger(__name__)
PENDING = "pending_emits"


def publish(event_name: str, payload: dict, *, room: str) -> None:
    """Queue `event_name` with `payload` for the Socket.IO room `room`, sent after commit."""
    json.dumps(payload)  # fail here, where the payload is built, if it cannot be sent
    db.session.info.setdefault(PENDING, []).append((event_name, room, payload))


def _emit(event_name: str, room: str, payload: dict) -> None:
    socketio.emit(event_name, payload, to=room)


@event.listens_for(Session, "after_commit")
def _send_pending(session: Session) -> None:
    for event_name, room, payload in session.info.pop(PENDING, []):
        try:
            _emit(event_name, room, payload)
        except Exception:  # a lost live update must not fail the committed request
            log.exception("could not emit %s to %s", event_name, room)


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(PENDING, None)
