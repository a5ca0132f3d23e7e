"""Connections of an ended sign-in session: refused, then disconnected."""

import pytest

from community.accounts.models import UserSession
from community.db import atomic, utcnow
from community.extensions import db
from community.sockets import disconnect_ended_sessions
from tests.conftest import Browser
from tests.sockets import connect


def call(sio, event, payload):
    return sio.emit(event, payload, callback=True)


def end_sessions_of(user) -> None:
    """End the member's sessions in the database only, as another process would."""
    with atomic():
        for record in db.session.scalars(
            db.select(UserSession).where(UserSession.user_id == user.id)
        ):
            record.ended_at = utcnow()


def test_an_ended_sessions_events_are_refused_and_the_sweep_disconnects_it(
    app, browser, ada, bob, published
):
    a = connect(app, browser, ada)
    b = connect(app, Browser(app.test_client()), bob)
    assert call(a, "chat.join", {"room": "procurement"})["ok"] is True
    assert call(a, "chat.since", {"room": "procurement", "after_id": 0})["ok"] is True
    end_sessions_of(ada)
    refused = call(a, "chat.since", {"room": "procurement", "after_id": 0})
    assert refused == {"ok": False, "error": "Please sign in to use the chat."}
    assert (
        call(a, "chat.send", {"room": "procurement", "body": "x", "client_id": "c"})["ok"] is False
    )
    assert a.is_connected()
    assert disconnect_ended_sessions() == 1
    assert not a.is_connected()
    assert b.is_connected()  # another member's connection stays
    assert disconnect_ended_sessions() == 0


@pytest.mark.parametrize("end", ["logout", "sessions"])
def test_ending_a_session_disconnects_its_connections_at_once(app, ada, end):
    this, other = Browser(app.test_client()), Browser(app.test_client())
    here = connect(app, this, ada)
    there = connect(app, other, ada)
    if end == "logout":
        this.logout()
        assert not here.is_connected()
        assert there.is_connected()
    else:
        this.submit("/settings", {}, action="/settings/sessions")
        assert not there.is_connected()
        assert here.is_connected()
