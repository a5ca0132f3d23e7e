"""The message queue's listener (community/queue.py) against a redis-server of the test's
own, stopped and started again: it subscribes again on its own and says so, only once the
subscription holds, and events published after that reach it."""

import queue
import threading
import time

import pytest
import redis
import socketio

from community.queue import ResyncingRedisManager, is_outage
from tests.redisserver import own_redis

CHANNEL = "commons-test-queue"
WAIT = 15  # seconds to wait for something to happen (never a timing assertion)


def subscribers(url: str) -> int:
    client = redis.Redis.from_url(url)
    try:
        return dict(client.pubsub_numsub(CHANNEL)).get(CHANNEL.encode(), 0)
    finally:
        client.close()


def publish(url: str, data: str) -> None:
    client = redis.Redis.from_url(url)
    try:
        client.publish(CHANNEL, data)
    finally:
        client.close()


@pytest.mark.slow
def test_the_listener_comes_back_after_an_outage_and_says_so(tmp_path):
    server = own_redis(tmp_path)
    server.start()
    seen_when_told = []
    told = threading.Event()

    def on_reconnect():
        seen_when_told.append(subscribers(server.url))
        told.set()

    manager = ResyncingRedisManager(server.url, channel=CHANNEL, on_reconnect=on_reconnect)
    # A real server for its background tasks; the manager is driven here, not initialised.
    socketio.Server(client_manager=manager, async_mode="threading")
    received: queue.Queue = queue.Queue()

    def listen():
        for message in manager._redis_listen_with_retries():
            received.put(message["data"])
            if message["data"] == b"stop":
                return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    try:
        deadline = time.monotonic() + WAIT
        while subscribers(server.url) == 0:
            assert time.monotonic() < deadline, "the listener never subscribed"
            time.sleep(0.05)
        publish(server.url, "before")
        assert received.get(timeout=WAIT) == b"before"
        assert not told.is_set()  # the first subscription is no reconnection

        server.stop()
        time.sleep(2)  # down for a while: several attempts fail
        server.start()  # the same port, empty
        assert told.wait(WAIT), "the listener never said it was back"
        assert seen_when_told == [1]  # subscribed before it said so
        publish(server.url, "after")
        assert received.get(timeout=WAIT) == b"after"
        publish(server.url, "stop")
        assert received.get(timeout=WAIT) == b"stop"
    finally:
        listener.join(timeout=WAIT)
        server.stop()
    assert not listener.is_alive()


def test_only_an_unreachable_redis_counts_as_an_outage(tmp_path):
    dead = own_redis(tmp_path)  # never started: nothing listens on its port
    with pytest.raises(redis.RedisError) as refused:
        redis.Redis.from_url(dead.url, socket_connect_timeout=1).ping()
    assert is_outage(refused.value)
    assert not is_outage(redis.ResponseError("WRONGTYPE"))
    assert not is_outage(ValueError("no"))
