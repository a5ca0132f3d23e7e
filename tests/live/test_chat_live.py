"""Chat over the real server: gunicorn with gevent-websocket, python-socketio clients over
WebSocket (never long-polling).

One server: messages, exact catch-up after a dropped connection, resends that never
duplicate. Two servers on different ports sharing PostgreSQL and Redis (the scaled-out
mode): messages, edits and presence cross between them, a killed process's members drop out
of the room's list, and a CLI command's message reaches clients of both.
"""

import os
import queue
import signal
import time
import uuid

import pytest
import requests
import socketio

from tests.conftest import TEST_REDIS_URL, missing_service
from tests.live.conftest import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    OTHER_ADMIN,
    LiveServer,
    assert_clean_log,
    flask_cli,
    server_env,
    two_servers,
)
from tests.live.test_thread_live import submit

pytestmark = pytest.mark.slow

WAIT = 15  # seconds to wait for an event before failing (never a timing assertion)
OTHER_EMAIL, _, OTHER_PASSWORD = OTHER_ADMIN


class ChatClient:
    """A python-socketio client over WebSocket, collecting the chat events it receives."""

    def __init__(self, url: str, session: requests.Session):
        self.events: queue.Queue = queue.Queue()
        self.client = socketio.Client(reconnection=False)
        for name in ("chat.message", "chat.edited", "chat.deleted", "chat.presence"):
            self.client.on(name, lambda payload, name=name: self.events.put((name, payload)))
        cookie = "; ".join(f"{k}={v}" for k, v in session.cookies.items())
        self.client.connect(
            url, transports=["websocket"], headers={"Cookie": cookie}, wait_timeout=10
        )
        assert self.client.transport() == "websocket"

    def call(self, event: str, payload: dict) -> dict:
        return self.client.call(event, payload, timeout=WAIT)

    def next(self, name: str) -> dict:
        """The next event called `name` (others received meanwhile are skipped)."""
        while True:
            try:
                got, payload = self.events.get(timeout=WAIT)
            except queue.Empty:
                raise AssertionError(f"no {name} within {WAIT}s") from None
            if got == name:
                return payload

    def presence(self, change: str, name: str) -> dict:
        """The next chat.presence batch in which `name` has `change`d ("joined" or "left");
        batches are sent once a second per room, so others may come first."""
        while True:
            batch = self.next("chat.presence")
            if name in [m["name"] for m in batch[change]]:
                return batch

    def drain(self) -> list[tuple[str, dict]]:
        items = []
        while not self.events.empty():
            items.append(self.events.get_nowait())
        return items

    def disconnect(self) -> None:
        if self.client.connected:
            self.client.disconnect()


def join_procurement(server_url: str, session: requests.Session) -> None:
    response = submit(session, server_url, "/c/procurement", "/c/procurement/join", {})
    assert response.status_code == 302, response.text


def sign_in(server_url: str, email: str, password: str) -> requests.Session:
    return LiveServer(server_url, None, None, None).sign_in(email, password)


# --- one server -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chatters(live_server):
    port = int(live_server.url.rsplit(":", 1)[1])
    env = server_env(live_server.instance_dir, port)
    flask_cli(env, "users", "create-admin", OTHER_EMAIL, "--name", "Bea Chat",
              "--password-stdin", stdin=OTHER_PASSWORD)  # fmt: skip
    ada = live_server.sign_in()
    bea = live_server.sign_in(OTHER_EMAIL, OTHER_PASSWORD)
    for session in (ada, bea):
        join_procurement(live_server.url, session)
    yield ada, bea
    ada.close()
    bea.close()


def test_messages_cross_between_members_over_websocket(live_server, chatters):
    ada, bea = chatters
    a, b = ChatClient(live_server.url, ada), ChatClient(live_server.url, bea)
    try:
        joined = a.call("chat.join", {"room": "procurement"})
        assert joined["ok"] is True
        assert b.call("chat.join", {"room": "procurement"})["ok"] is True
        a.presence("joined", "Bea Chat")
        ack = b.call("chat.send", {"room": "procurement", "body": "Hi <b>x</b>", "client_id": "l1"})
        assert ack["ok"] is True
        got = a.next("chat.message")
        assert got["id"] == ack["id"]
        assert got["html"] == "<p>Hi &lt;b&gt;x&lt;/b&gt;</p>"
        assert got["author"]["name"] == "Bea Chat"
    finally:
        a.disconnect()
        b.disconnect()
    assert_clean_log(live_server.log())


def test_a_dropped_client_catches_up_exactly_and_resends_without_duplicates(live_server, chatters):
    ada, bea = chatters
    a, b = ChatClient(live_server.url, ada), ChatClient(live_server.url, bea)
    try:
        last = a.call("chat.join", {"room": "procurement"})["last_id"]
        b.call("chat.join", {"room": "procurement"})
        a.disconnect()  # Ada's connection drops...
        sent = []
        for i in range(5):
            time.sleep(0.7)  # the production rate limit: 5 messages per 3 seconds
            ack = b.call("chat.send", {"room": "procurement", "body": f"While away {i}",
                                       "client_id": f"away-{uuid.uuid4().hex}"})  # fmt: skip
            assert ack["ok"] is True, ack
            sent.append(ack["id"])
        a = ChatClient(live_server.url, ada)  # ...and comes back
        a.call("chat.join", {"room": "procurement"})
        caught = a.call("chat.since", {"room": "procurement", "after_id": last})
        assert [m["id"] for m in caught["messages"]] == sent == list(range(last + 1, last + 6))
        assert [m["html"] for m in caught["messages"]][0] == "<p>While away 0</p>"
        # A message whose ack was lost is sent again with its client_id: the same id.
        first = a.call("chat.send", {"room": "procurement", "body": "Once", "client_id": "r-9"})
        again = a.call("chat.send", {"room": "procurement", "body": "Once", "client_id": "r-9"})
        assert first["id"] == again["id"]
        history = a.call("chat.since", {"room": "procurement", "after_id": last})
        ids = [m["id"] for m in history["messages"]]
        assert ids == sorted(set(ids)) == list(range(last + 1, last + 7))
    finally:
        a.disconnect()
        b.disconnect()


# --- two servers sharing PostgreSQL and Redis -----------------------------------------------


@pytest.fixture(scope="module")
def scaled_out(tmp_path_factory):
    """Two app processes on different ports, one PostgreSQL database, one Redis."""
    if not TEST_REDIS_URL:
        missing_service("TEST_REDIS_URL is not set: the scaled-out chat test needs it")
    base = tmp_path_factory.mktemp("scaled-out")
    with two_servers(base, redis_url=TEST_REDIS_URL, name="scaled_out") as started:
        yield started


def test_messages_edits_and_presence_cross_between_two_processes(scaled_out):
    (one, two), _envs = scaled_out
    ada = sign_in(one.url, ADMIN_EMAIL, ADMIN_PASSWORD)
    bea = sign_in(two.url, OTHER_EMAIL, OTHER_PASSWORD)
    join_procurement(one.url, ada)
    join_procurement(two.url, bea)
    a, b = ChatClient(one.url, ada), ChatClient(two.url, bea)
    try:
        assert a.call("chat.join", {"room": "procurement"})["ok"] is True
        joined = b.call("chat.join", {"room": "procurement"})
        assert sorted(p["name"] for p in joined["present"]) == ["Bea Chat", "admin"]
        a.presence("joined", "Bea Chat")  # across processes

        ack = a.call("chat.send", {"room": "procurement", "body": "From one", "client_id": "x1"})
        got = b.next("chat.message")
        assert (got["id"], got["html"]) == (ack["id"], "<p>From one</p>")
        assert a.next("chat.message")["id"] == ack["id"]  # the sender's room gets it too
        back = b.call("chat.send", {"room": "procurement", "body": "From two", "client_id": "y1"})
        assert a.next("chat.message")["id"] == back["id"] == ack["id"] + 1
        assert a.call("chat.edit", {"room": "procurement", "id": ack["id"], "body": "Edited"})["ok"]
        assert b.next("chat.edited")["html"] == "<p>Edited</p>"
    finally:
        a.disconnect()
        b.disconnect()
    for server in (one, two):
        assert_clean_log(server.log())


def test_a_cli_message_reaches_clients_of_both_processes(scaled_out):
    (one, two), envs = scaled_out
    ada = sign_in(one.url, ADMIN_EMAIL, ADMIN_PASSWORD)
    bea = sign_in(two.url, OTHER_EMAIL, OTHER_PASSWORD)
    a, b = ChatClient(one.url, ada), ChatClient(two.url, bea)
    try:
        a.call("chat.join", {"room": "procurement"})
        b.call("chat.join", {"room": "procurement"})
        out = flask_cli(envs[0], "chat", "post", "procurement", "Networking day starts",
                        "--as", ADMIN_EMAIL)  # fmt: skip
        assert "Posted message" in out
        assert a.next("chat.message")["html"] == "<p>Networking day starts</p>"
        assert b.next("chat.message")["html"] == "<p>Networking day starts</p>"
    finally:
        a.disconnect()
        b.disconnect()


def test_a_killed_process_members_drop_out_of_presence(scaled_out):
    (one, two), _envs = scaled_out
    ada = sign_in(one.url, ADMIN_EMAIL, ADMIN_PASSWORD)
    bea = sign_in(two.url, OTHER_EMAIL, OTHER_PASSWORD)
    a, b = ChatClient(one.url, ada), ChatClient(two.url, bea)
    try:
        a.call("chat.join", {"room": "procurement"})
        b.call("chat.join", {"room": "procurement"})
        a.drain()
        os.killpg(two.process.pid, signal.SIGKILL)  # no goodbye from process two
        two.process.wait(timeout=10)
        left = a.presence("left", "Bea Chat")  # after CHAT_PRESENCE_TTL (3 s) and a sweep
        assert left["room"] == "procurement"
        assert [m["name"] for m in left["left"]] == ["Bea Chat"]
        rejoined = a.call("chat.join", {"room": "procurement"})
        assert [p["name"] for p in rejoined["present"]] == ["admin"]
    finally:
        a.disconnect()
        b.disconnect()
