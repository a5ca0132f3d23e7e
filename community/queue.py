"""The Socket.IO message queue (Redis, scaled out), and its recovery from an outage.

python-socketio's RedisManager keeps listening through an outage, but it waits 1, 2, 4, 8…
(up to 60) seconds between attempts, and meanwhile this process's clients miss every event
the other processes published — with nothing to tell them. `ResyncingRedisManager` retries
at most `RETRY_MAX` seconds apart and, once subscribed again, calls `on_reconnect`: the app
then tells this process's clients to catch up (`live.resync`, community/sockets.py) and puts
back what Redis lost. Events published while Redis was down are not queued anywhere: they
were committed first, so the catch-up reads them from the database.
"""

import logging
import time

import socketio

log = logging.getLogger(__name__)
RETRY_FIRST = 0.1  # seconds before the first new attempt, doubled after each failure…
RETRY_MAX = 1.0  # …up to this
CONNECT_TIMEOUT = 2.0  # seconds for a connection (and a subscription) to Redis


def is_outage(exc: BaseException) -> bool:
    """Whether `exc` says Redis cannot be reached (down, restarting, or too slow)."""
    try:
        from redis.exceptions import ConnectionError, TimeoutError
    except ImportError:  # no Redis client: nothing here can be a Redis outage
        return False
    return isinstance(exc, ConnectionError | TimeoutError)


class ResyncingRedisManager(socketio.RedisManager):
    """A RedisManager that reconnects promptly and says when it has (`on_reconnect()`, run
    in a background task once the subscription is confirmed)."""

    def __init__(self, url: str, *, channel: str, on_reconnect=None):
        # A bounded connect, so a publish while Redis is unreachable fails fast instead of
        # holding a chat.send's ack; no read timeout, which an idle subscription would hit.
        options = {"socket_connect_timeout": CONNECT_TIMEOUT, "socket_keepalive": True}
        super().__init__(url, channel=channel, redis_options=options)
        self.on_reconnect = on_reconnect

    def _redis_listen_with_retries(self):
        retry, lost = RETRY_FIRST, False
        while True:
            try:
                self._redis_connect()
                # Its own reference: a publish that reconnects meanwhile replaces self.pubsub.
                pubsub = self.pubsub
                pubsub.subscribe(self.channel)
                _wait_until_subscribed(pubsub)
                retry = RETRY_FIRST
                if lost:
                    lost = False
                    log.warning("message queue: receiving again; clients are told to catch up")
                    self._reconnected()
                yield from pubsub.listen()
            except Exception as exc:
                if not lost:
                    log.warning("message queue: cannot receive (%s); retrying", exc)
                lost = True
                time.sleep(retry)
                retry = min(retry * 2, RETRY_MAX)

    def _reconnected(self) -> None:
        if self.on_reconnect is not None:
            self.server.start_background_task(self._run_on_reconnect)

    def _run_on_reconnect(self) -> None:
        try:
            self.on_reconnect()
        except Exception:
            log.exception("message queue: the reconnect hook failed")


def _wait_until_subscribed(pubsub) -> None:
    """Return once Redis has confirmed the subscription: from then on, every event published
    reaches this process, so a catch-up asked for after this misses nothing."""
    deadline = time.monotonic() + CONNECT_TIMEOUT
    # The manager's pubsub hides confirmations (`ignore_subscribe_messages`), which also
    # overrides get_message's own argument: show them while waiting for this one.
    pubsub.ignore_subscribe_messages = False
    try:
        while time.monotonic() < deadline:
            message = pubsub.get_message(timeout=0.2)
            if message is not None and message["type"] == "subscribe":
                return
    finally:
        pubsub.ignore_subscribe_messages = True
    raise TimeoutError("Redis did not confirm the subscription")
