"""Chat while the rate-limit counts cannot be reached (Redis down, when scaled out): a send,
an edit or a typing notice is refused plainly and nothing is stored — over Socket.IO and
through the plain form, which keeps the text. The counts here are in a Redis that is not
there: a free port with nothing listening."""

from html import unescape

import pytest
import redis
from sqlalchemy import func, select

from community.chat import actions, sockets
from community.chat.models import ChatMessage
from community.chat.presence import PresenceChanges
from community.errors import Unavailable
from community.extensions import db
from tests.chat.conftest import run
from tests.redisserver import free_port
from tests.sockets import connect

NOT_SENT = "Live chat is reconnecting; your message was not sent. Try again in a moment."


@pytest.fixture
def counts_unreachable(app):
    sockets._local.clear()
    app.config["RATELIMIT_ENABLED"] = True
    app.config["RATELIMIT_STORAGE_URI"] = f"redis://127.0.0.1:{free_port()}/0"
    app.extensions.pop("commons_rate_limiter", None)  # made again, on that storage
    yield
    app.extensions.pop("commons_rate_limiter", None)


def stored() -> int:
    return db.session.scalar(select(func.count()).select_from(ChatMessage))


def call(sio, event, payload):
    return sio.emit(event, payload, callback=True)


def test_a_send_is_refused_plainly_and_not_stored(app, browser, ada, counts_unreachable):
    a = connect(app, browser, ada)
    ack = call(a, "chat.send", {"room": "procurement", "body": "hello", "client_id": "o1"})
    assert ack == {"ok": False, "error": NOT_SENT}
    assert call(a, "chat.typing", {"room": "procurement"}) == {
        "ok": False, "error": actions.RECONNECTING,
    }  # fmt: skip
    assert stored() == 0


def test_an_edit_is_refused_plainly(app, ada, counts_unreachable):
    app.config["RATELIMIT_ENABLED"] = False
    message, _ = run(actions.send_message, ada, "procurement", body="one", client_id="o2")
    app.config["RATELIMIT_ENABLED"] = True

    with pytest.raises(Unavailable, match="your change was not saved"):
        run(actions.edit_message, ada, "procurement", message.number, body="two")


def test_the_form_keeps_the_text_when_the_counts_cannot_be_reached(
    browser, ada, counts_unreachable
):
    browser.login(ada.email)
    response = browser.submit(
        "/chat/procurement", {"body": "Kept while Redis is away", "client_id": "form-o"},
        action="/chat/procurement/send",
    )  # fmt: skip
    assert response.status_code == 503
    shown = unescape(response.get_data(as_text=True))
    assert NOT_SENT in shown
    assert "Kept while Redis is away" in shown
    assert stored() == 0


def test_a_presence_batch_waits_for_the_store_to_answer():
    """The store is Redis when scaled out: a batch it cannot be read for goes in a later
    window, with each member's state then (the store here raises what redis-py raises)."""
    ada = {"id": 1, "name": "Ada"}
    down, sent, scheduled = [True], [], []

    def present(room_id):
        if down[0]:
            raise redis.ConnectionError("Error 111 connecting to 127.0.0.1:1. Connection refused.")
        return [ada["id"]]

    changes = PresenceChanges(
        1.0, present=present, send=lambda room_id, batch: sent.append((room_id, batch)),
        schedule=lambda flush, _delay: scheduled.append(flush),
    )  # fmt: skip
    changes.add(7, "room-7", ada)
    scheduled.pop()()
    assert sent == []
    assert len(scheduled) == 1  # asked again in the next window
    down[0] = False
    scheduled.pop()()
    assert sent == [(7, {"room": "room-7", "joined": [ada], "left": []})]
    assert scheduled == []
