"""Socket.IO test clients that behave like production connections."""

import contextvars

from community.extensions import db, socketio


class IsolatedSocket:
    """Socket.IO's test client, each of whose events runs in a fresh context.

    As for IsolatedClient (tests/conftest.py): the test keeps an app context pushed, and the
    handlers would otherwise reuse it, with the member Flask-Login cached in `g` by whichever
    connection ran first. In production every event gets its own context.
    """

    def __init__(self, app, flask_client):
        db.session.rollback()
        self.client = contextvars.Context().run(
            socketio.test_client, app, flask_test_client=flask_client
        )

    def emit(self, *args, **kwargs):
        db.session.rollback()
        return contextvars.Context().run(self.client.emit, *args, **kwargs)

    def disconnect(self):
        return contextvars.Context().run(self.client.disconnect)

    def is_connected(self):
        return self.client.is_connected()

    def get_received(self):
        return self.client.get_received()


def connect(app, browser, user) -> IsolatedSocket:
    """A Socket.IO connection signed in as `user`, with the connect's own events drained."""
    browser.login(user.email)
    sio = IsolatedSocket(app, browser.client)
    assert sio.is_connected()
    sio.get_received()
    return sio


def events(sio, name: str) -> list[dict]:
    return [r["args"][0] for r in sio.get_received() if r["name"] == name]
