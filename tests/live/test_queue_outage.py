"""Live delivery through a message-queue (Redis) outage, on the real production server.

Two gunicorn processes share PostgreSQL and a redis-server of this test's own, on a free
port; a python-socketio client in each. Redis is stopped mid-conversation and started again
on the same port. While it is down, a send is refused plainly (nothing stored), and a change
that commits without its broadcast is acknowledged. Once it is back, the other process's
client — whose socket never dropped — ends with every acknowledged message exactly once:
from live events, and from `chat.since` asked on `live.resync` or on a gap in the ids, the
catch-up static/js/chat.js does.
"""

import time
import uuid

import pytest

from tests.conftest import TEST_DATABASE_URL, missing_service
from tests.live.conftest import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    assert_clean_log,
    two_servers,
)
from tests.live.test_chat_live import (
    OTHER_EMAIL,
    OTHER_PASSWORD,
    WAIT,
    ChatClient,
    join_procurement,
    sign_in,
)
from tests.redisserver import own_redis

pytestmark = pytest.mark.slow

ROOM = "procurement"
NOT_SENT = "Live chat is reconnecting; your message was not sent. Try again in a moment."
RECONNECTING = "Live chat is reconnecting. Try again in a moment."
SEND_EVERY = 0.7  # the production rate limit: 5 messages per 3 seconds


class CatchingUpClient(ChatClient):
    """A chat client that shows each message once by id and catches up as chat.js does: on
    `live.resync`, and on a chat.message past a gap, it asks chat.since after the last id (on
    `live.resync` after a refused join, it joins)."""

    def __init__(self, url, session):
        super().__init__(url, session)
        self.client.on("live.resync", lambda payload=None: self.events.put(("live.resync", {})))
        self.shown: dict[int, dict] = {}
        self.last_id = 0
        self.resyncs = 0
        self.joined = False

    def join(self) -> dict:
        ack = self.call("chat.join", {"room": ROOM})
        self.joined = ack["ok"]
        if not ack["ok"]:
            return ack
        self.show(ack["messages"])
        self.last_id = max(self.last_id, ack["last_id"])
        return ack

    def show(self, messages: list[dict]) -> None:
        for message in messages:
            self.shown[message["id"]] = message
            self.last_id = max(self.last_id, message["id"])

    def catch_up(self) -> None:
        after = self.last_id
        while True:
            ack = self.call("chat.since", {"room": ROOM, "after_id": after})
            assert ack["ok"] is True, ack
            ids = [m["id"] for m in ack["messages"]]
            assert ids == sorted(set(ids)), ids
            assert all(i > after for i in ids), ids
            self.show(ack["messages"])
            if not ack["more"] or not ids:
                return
            after = ids[-1]

    def handle(self, timeout: float) -> bool:
        """Handle one event (False when none came within `timeout`)."""
        try:
            name, payload = self.events.get(timeout=timeout)
        except Exception:
            return False
        if name == "live.resync":
            self.resyncs += 1
            self.catch_up() if self.joined else self.join()
        elif name == "chat.message" and payload["room"] == ROOM and self.joined:
            if payload["id"] > self.last_id + 1:
                self.catch_up()
            self.show([payload])
        return True

    def wait_for(self, ids: set[int]) -> None:
        deadline = time.monotonic() + WAIT * 2
        while not ids <= set(self.shown):
            if time.monotonic() > deadline:
                missing = sorted(ids - set(self.shown))
                raise AssertionError(f"never received {missing} (resyncs: {self.resyncs})")
            self.handle(timeout=0.5)


@pytest.fixture(scope="module")
def outage_servers(tmp_path_factory):
    """Two app processes on one PostgreSQL database and this module's own redis-server."""
    if not TEST_DATABASE_URL:
        missing_service("TEST_DATABASE_URL is not set: the message-queue outage test needs it")
    base = tmp_path_factory.mktemp("queue-outage")
    queue = own_redis(base)
    queue.start()
    try:
        with two_servers(base, redis_url=queue.url, name="outage") as (servers, _envs):
            yield servers, queue
    finally:
        queue.stop()


def send(client: ChatClient, body: str) -> dict:
    return client.call("chat.send", {"room": ROOM, "body": body,
                                     "client_id": f"o-{uuid.uuid4().hex}"})  # fmt: skip


def test_clients_catch_up_after_the_message_queue_comes_back(outage_servers):
    (one, two), queue = outage_servers
    ada = sign_in(one.url, ADMIN_EMAIL, ADMIN_PASSWORD)
    bea = sign_in(two.url, OTHER_EMAIL, OTHER_PASSWORD)
    join_procurement(one.url, ada)
    join_procurement(two.url, bea)
    a, b, c = ChatClient(one.url, ada), CatchingUpClient(two.url, bea), None
    try:
        a.call("chat.join", {"room": ROOM})
        assert b.join()["ok"] is True
        acked = []
        before = send(a, "Before the outage")
        assert before["ok"] is True, before
        acked.append(before["id"])
        b.wait_for(set(acked))  # live, across the processes

        queue.stop()  # mid-conversation
        refused = send(a, "During the outage")
        assert refused == {"ok": False, "error": NOT_SENT}
        # A change that needs no count in Redis commits; its broadcast cannot leave this
        # process, and the ack still says it is done.
        deleted = a.call("chat.delete", {"room": ROOM, "id": before["id"]})
        assert deleted == {"ok": True}
        # A tab opened meanwhile connects (its session is checked in the database), but its
        # room's presence lives in Redis: the join is refused, to be asked again on resync.
        c = CatchingUpClient(two.url, bea)
        assert c.join() == {"ok": False, "error": RECONNECTING}
        time.sleep(3)  # down for some seconds, as in the outage measured in production
        assert b.client.connected  # the sockets never dropped
        assert a.client.connected

        queue.start()  # the same port, empty
        for i in range(10):
            time.sleep(SEND_EVERY)
            ack = send(a, f"After the outage {i}")
            assert ack["ok"] is True, ack
            acked.append(ack["id"])
        b.wait_for(set(acked))
        c.wait_for(set(acked))
        assert b.resyncs >= 1  # told by its own process, not through the queue
        assert c.joined
        assert sorted(b.shown) == list(range(acked[0], acked[-1] + 1)) == acked
        bodies = [b.shown[i]["body"] for i in acked[1:]]
        assert bodies == [f"After the outage {i}" for i in range(10)]
        # Nothing of the refused send was stored, and the deletion was.
        history = b.call("chat.since", {"room": ROOM, "after_id": acked[0] - 1})["messages"]
        assert [m["id"] for m in history] == acked
        assert history[0].get("deleted") is True
        assert "During the outage" not in [m.get("body") for m in history]
    finally:
        for client in filter(None, (a, b, c)):
            client.disconnect()
    for server in (one, two):
        assert_clean_log(server.log())
