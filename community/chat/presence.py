"""Who is in a chat room now: one entry per open connection, kept alive by heartbeats.

A member is present while at least one of their connections has an unexpired entry. Entries
expire (PRESENCE_TTL), so the connections of a process that died without saying goodbye
drop out: the next sweep, in any process, finds them and reports who left, once.

Two stores with one interface: in memory (the embedded mode, one process) and Redis (scaled
out: every process sees the same rooms). Only deltas are broadcast (who joined, who left),
batched per room (PresenceChanges); the whole list is read once, when a connection joins.
"""

import logging
import threading
import time
from collections import defaultdict

from ..queue import is_outage

log = logging.getLogger(__name__)


class MemoryPresence:
    def __init__(self, ttl: float):
        self.ttl = ttl
        self._entries: dict[int, dict[int, dict[str, float]]] = defaultdict(
            lambda: defaultdict(dict)
        )  # room → user → sid → expiry
        self._lock = threading.Lock()

    def _live(self, sids: dict[str, float], now: float) -> dict[str, float]:
        for sid in [s for s, expiry in sids.items() if expiry <= now]:
            del sids[sid]
        return sids

    def join(self, room_id: int, user_id: int, sid: str) -> bool:
        """Record the connection; True when the member was not present before."""
        now = time.time()
        with self._lock:
            sids = self._live(self._entries[room_id][user_id], now)
            first = not sids
            sids[sid] = now + self.ttl
            return first

    def leave(self, room_id: int, user_id: int, sid: str) -> bool:
        """Forget the connection; True when it was the member's last one in the room."""
        now = time.time()
        with self._lock:
            users = self._entries.get(room_id)
            if not users or user_id not in users:
                return False
            sids = self._live(users[user_id], now)
            had = sids.pop(sid, None) is not None
            if sids:
                return False
            del users[user_id]
            return had

    def members(self, room_id: int) -> list[int]:
        now = time.time()
        with self._lock:
            users = self._entries.get(room_id, {})
            return sorted(u for u, sids in users.items() if self._live(sids, now))

    def refresh(self, entries) -> None:
        expiry = time.time() + self.ttl
        with self._lock:
            for room_id, user_id, sid in entries:
                self._entries[room_id][user_id][sid] = expiry

    def sweep(self) -> list[tuple[int, int]]:
        """Members whose every connection expired: (room, user), each reported once."""
        now = time.time()
        gone = []
        with self._lock:
            for room_id, users in self._entries.items():
                for user_id in [u for u, sids in users.items() if not self._live(sids, now)]:
                    del users[user_id]
                    gone.append((room_id, user_id))
        return gone


class RedisPresence:
    """Per room, a sorted set of present members; per member in a room, a sorted set of their
    connections. Scores are expiry times (seconds since the epoch)."""

    def __init__(self, url: str, ttl: float, *, prefix: str = "commons:chat:presence"):
        import redis

        # A blocking pool: when hundreds of clients disconnect at once, callers wait for a
        # connection instead of failing (redis-py's default pool raises when it is empty).
        pool = redis.BlockingConnectionPool.from_url(url, max_connections=50, timeout=10)
        self.redis = redis.Redis(connection_pool=pool)
        self.ttl = ttl
        self.prefix = prefix

    def _room(self, room_id: int) -> str:
        return f"{self.prefix}:{room_id}"

    def _member(self, room_id: int, user_id: int) -> str:
        return f"{self.prefix}:{room_id}:{user_id}"

    def join(self, room_id: int, user_id: int, sid: str) -> bool:
        now = time.time()
        member = self._member(room_id, user_id)
        pipe = self.redis.pipeline(transaction=True)
        pipe.zremrangebyscore(member, "-inf", now)
        pipe.zadd(member, {sid: now + self.ttl})
        pipe.zcard(member)
        pipe.expire(member, int(self.ttl * 2) + 1)
        pipe.zadd(self._room(room_id), {str(user_id): now + self.ttl}, gt=False)
        pipe.sadd(f"{self.prefix}:rooms", room_id)
        _removed, _added, count, _expire, _room, _rooms = pipe.execute()
        return count == 1

    def leave(self, room_id: int, user_id: int, sid: str) -> bool:
        now = time.time()
        member = self._member(room_id, user_id)
        pipe = self.redis.pipeline(transaction=True)
        pipe.zrem(member, sid)
        pipe.zremrangebyscore(member, "-inf", now)
        pipe.zcard(member)
        removed, _expired, count = pipe.execute()
        if count:
            return False
        # The last connection: whoever removes the member from the room reports it (a sweep
        # in another process may race us to it).
        gone = self.redis.zrem(self._room(room_id), str(user_id))
        return bool(removed and gone)

    def members(self, room_id: int) -> list[int]:
        users = self.redis.zrangebyscore(self._room(room_id), time.time(), "+inf")
        return sorted(int(u) for u in users)

    def refresh(self, entries) -> None:
        expiry = time.time() + self.ttl
        pipe = self.redis.pipeline(transaction=False)
        rooms = set()
        for room_id, user_id, sid in entries:
            member = self._member(room_id, user_id)
            pipe.zadd(member, {sid: expiry})
            pipe.expire(member, int(self.ttl * 2) + 1)
            pipe.zadd(self._room(room_id), {str(user_id): expiry})
            rooms.add(room_id)
        if rooms:  # again each time: a Redis that restarted empty must know what to sweep
            pipe.sadd(f"{self.prefix}:rooms", *rooms)
        pipe.execute()

    def sweep(self) -> list[tuple[int, int]]:
        now = time.time()
        gone = []
        for raw in self.redis.smembers(f"{self.prefix}:rooms"):
            room_id = int(raw)
            for user in self.redis.zrangebyscore(self._room(room_id), "-inf", now):
                if self.redis.zrem(self._room(room_id), user):
                    gone.append((room_id, int(user)))
        return gone

    def clear(self) -> None:
        """Forget every entry (tests)."""
        keys = list(self.redis.scan_iter(f"{self.prefix}:*"))
        if keys:
            self.redis.delete(*keys)


class PresenceChanges:
    """Who joined and who left each room, sent as one batch per room per `window` seconds.

    A delta per joiner sent to everyone in the room costs the square of the room's size as it
    fills (1,000 members arriving: 500,000 deliveries); a batch per window costs one delivery
    per connection per window. A batch names the members whose presence changed in the
    window, each with their state when it is sent, read from the store (`present`): so a
    reload, or a leave and a join recorded by two processes, always ends in the true state,
    and a client that joined mid-window is told of every change it may have missed.
    `window=0` sends each change at once.
    """

    def __init__(self, window: float, *, present, send, schedule):
        self.window = window
        self._present = present  # present(room_id) -> the ids of the members there now
        self._send = send  # send(room_id, {"room", "joined": [member…], "left": [member…]})
        self._schedule = schedule  # schedule(fn, delay): run fn after delay seconds
        self._pending: dict[int, tuple[str, dict[int, dict]]] = {}
        self._lock = threading.Lock()
        self._scheduled = False

    def add(self, room_id: int, room_name: str, member: dict) -> None:
        """Record that the presence of `member` ({id, name}) in the room changed."""
        with self._lock:
            self._pending.setdefault(room_id, (room_name, {}))[1][member["id"]] = member
            start = not self._scheduled
            self._scheduled = True
        if not self.window:
            self.flush()
        elif start:
            try:
                self._schedule(self.flush, self.window)
            except BaseException:
                with self._lock:
                    self._scheduled = False
                raise

    def flush(self) -> None:
        with self._lock:
            pending, self._pending, self._scheduled = self._pending, {}, False
        unsent = []
        for room_id, (room_name, members) in pending.items():
            try:
                here = set(self._present(room_id))
                batch = {"room": room_name, "joined": [], "left": []}
                for member in members.values():
                    batch["joined" if member["id"] in here else "left"].append(member)
                self._send(room_id, batch)
            except Exception as exc:  # one room's failure must not lose the other rooms'
                if is_outage(exc) and self.window:
                    log.warning("presence batch for room %s waits for Redis: %s", room_id, exc)
                    unsent.append((room_id, room_name, members))
                else:
                    log.exception("presence batch for room %s failed", room_id)
        # Sent in a later window: a batch says each member's state when it is sent.
        for room_id, room_name, members in unsent:
            for member in members.values():
                self.add(room_id, room_name, member)
