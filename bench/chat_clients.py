"""The chat benchmark's load generator: many python-socketio AsyncClients per process.

The machine's 2 cores are shared with the servers under test, so the clients are lean: a few
spawned processes (`Fleet`), each one asyncio event loop holding hundreds of `AsyncClient`s
(WebSocket only, signed in by a session cookie, all in one room), plus one sender process.
The harness drives them over pipes: connect more clients, send at a rate, collect what every
client received. Latency runs from just before the sender's emit to the receiving client's
handler (one host, so `time.monotonic()` is one clock for every process).

A message missing when a step's drain time is over is *late*; one that never arrives (checked
when the room has gone quiet, `Fleet.settle`) is *lost*. Every client remembers every message
it has seen, so a second copy is a duplicate whenever it comes.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import multiprocessing
import re
import resource
import statistics
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

from .harness import cpu_seconds, percentile

BODY = re.compile(r"msg (\d+) sent ([0-9.]+)")
SUSTAINED_P99 = 1.0  # seconds; above this a rate does not count as sustained
DRAIN_SECONDS = 2.0  # after the last send, how long clients may take to receive the rest
CONNECT_CONCURRENCY = 50  # handshakes in flight per client process


def raise_open_files_limit() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# --- in the client processes ------------------------------------------------------------------


class _Client:
    """One signed-in browser tab: a python-socketio AsyncClient in the room."""

    def __init__(self) -> None:
        import socketio

        self.sio = socketio.AsyncClient(reconnection=False, handle_sigint=False, request_timeout=30)
        self.seen: set[int] = set()  # every message ever received
        self.got: dict[int, tuple[float, float]] = {}  # this step's: seq → (latency, arrival)
        self.want: set[int] = set()  # the step's messages, while collecting
        self.have = 0  # how many of them have arrived
        self.dups = 0
        self.reordered = 0
        self.last_id = 0
        self.dropped = False
        self.presence = 0
        self.arrivals = 0
        self.sio.on("chat.message", self._message)
        self.sio.on("chat.presence", self._presence)
        self.sio.on("disconnect", self._disconnect)

    def _presence(self, data: dict) -> None:
        self.presence += 1  # batches received
        self.arrivals += len(data.get("joined") or [])  # members they announced

    def _message(self, data: dict) -> None:
        now = time.monotonic()
        found = BODY.search(data.get("html") or "")
        if found is None:
            return
        seq = int(found[1])
        if seq in self.seen:
            self.dups += 1
            return
        self.seen.add(seq)
        self.got[seq] = (now - float(found[2]), now)
        if seq in self.want:
            self.have += 1
        if data["id"] <= self.last_id:
            self.reordered += 1
        self.last_id = max(self.last_id, data["id"])

    def _disconnect(self, *_reason) -> None:
        self.dropped = True

    async def connect(self, url: str, cookie: str, room: str) -> None:
        await self.sio.connect(
            url, headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=30
        )
        ack = await self.sio.call("chat.join", {"room": room}, timeout=120)
        if not ack.get("ok"):
            raise RuntimeError(f"chat.join refused: {ack}")
        self.last_id = ack.get("last_id", 0)


class _Worker:
    """Answers the harness's commands over a pipe; holds many clients in one event loop."""

    def __init__(self, conn) -> None:
        self.conn = conn
        self.clients: list[_Client] = []
        self.token = uuid.uuid4().hex[:8]  # client_ids stay unique across runs on one database
        self.seqs = itertools.count(1)

    async def main(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            command, args = await loop.run_in_executor(None, self.conn.recv)
            if command == "exit":
                break
            try:
                reply = await getattr(self, command)(*args)
            except Exception as exc:  # reported to the harness, which raises it there
                reply = {"exception": f"{type(exc).__name__}: {exc}"}
            self.conn.send(reply)
        await asyncio.gather(*(c.sio.disconnect() for c in self.clients), return_exceptions=True)

    async def connect(self, targets: list[tuple[str, str]], room: str, timeout: float) -> dict:
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
        errors: Counter = Counter()

        async def one(url: str, cookie: str) -> None:
            client = _Client()
            async with gate:
                try:
                    await asyncio.wait_for(client.connect(url, cookie, room), timeout)
                except Exception as exc:
                    errors[f"{type(exc).__name__} {exc}".strip()[:120]] += 1
                    await client.sio.disconnect()
                    return
            self.clients.append(client)

        began = time.monotonic()
        await asyncio.gather(*(one(url, cookie) for url, cookie in targets))
        return {
            "connected": len(targets) - sum(errors.values()),
            "errors": dict(errors),
            "seconds": time.monotonic() - began,
        }

    async def counts(self) -> dict:
        return {
            "presence": sum(c.presence for c in self.clients),
            "arrivals": sum(c.arrivals for c in self.clients),
            "seen": sum(len(c.seen) for c in self.clients),
        }

    async def collect(self, expected: list[int], drain: float, arrivals: bool) -> dict:
        """Wait (at most `drain` s) for every client to have every expected message; then
        the latencies, and per client what was late, duplicated or out of order."""
        want = set(expected)
        for c in self.clients:
            c.want, c.have = want, sum(1 for seq in c.got if seq in want)
        deadline = time.monotonic() + drain
        while time.monotonic() < deadline and any(
            c.have < len(want) for c in self.clients if not c.dropped
        ):
            await asyncio.sleep(0.05)
        quarter = max(1, len(expected) // 4)
        head, tail = set(expected[:quarter]), set(expected[-quarter:])
        latencies, arrived, late, early_latencies, late_latencies = [], [], [], [], []
        for c in self.clients:
            got, c.got, c.want = c.got, {}, set()
            missing = 0
            for seq in expected:
                found = got.get(seq)
                if found is None:
                    missing += 1
                    continue
                latencies.append(found[0])
                if arrivals:
                    arrived.append(found[1])
                if seq in head:
                    early_latencies.append(found[0])
                if seq in tail:
                    late_latencies.append(found[0])
            late.append(missing)
        reply = {
            "latencies": latencies,
            "arrivals": arrived,
            "late": late,
            "head": early_latencies,
            "tail": late_latencies,
            "dups": sum(c.dups for c in self.clients),
            "reordered": sum(c.reordered for c in self.clients),
            "dropped": sum(c.dropped for c in self.clients),
        }
        for c in self.clients:
            c.dups = c.reordered = 0
        return reply

    async def missing(self, expected: list[int]) -> dict:
        """Per client, how many of `expected` it has never received."""
        return {"missing": [sum(1 for seq in expected if seq not in c.seen) for c in self.clients]}

    async def send(self, room: str, rate: float, seconds: float) -> dict:
        """Send `rate` messages a second for `seconds` (not waiting for acks between sends),
        each body carrying its sequence number and send time; then wait for the acks."""
        sio = self.clients[0].sio
        acked: dict[int, float] = {}
        errors: Counter = Counter()
        count = max(1, round(rate * seconds))
        all_acked = asyncio.Event()

        def on_ack(seq: int, sent_at: float, reply: dict) -> None:
            if reply.get("ok"):
                acked[seq] = time.monotonic() - sent_at
            else:
                errors[str(reply.get("error"))[:120]] += 1
            if len(acked) + sum(errors.values()) == count:
                all_acked.set()

        began = time.monotonic()
        for i in range(count):
            delay = began + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            seq = next(self.seqs)
            sent_at = time.monotonic()
            await sio.emit(
                "chat.send",
                {
                    "room": room,
                    "body": f"msg {seq} sent {sent_at:.6f}",
                    "client_id": f"bench-{self.token}-{seq}",
                },
                callback=functools.partial(on_ack, seq, sent_at),
            )
        elapsed = time.monotonic() - began + 1 / rate  # the last send's slot included
        with contextlib.suppress(TimeoutError):  # reported as unacked
            await asyncio.wait_for(all_acked.wait(), 30)
        return {
            "acked": sorted(acked),
            "ack_latencies": list(acked.values()),
            "errors": dict(errors),
            "unacked": count - len(acked) - sum(errors.values()),
            "rate": count / elapsed,
        }


def _worker(conn) -> None:
    import logging

    raise_open_files_limit()
    # A client that falls behind logs "packet queue is empty, aborting" as it drops; drops
    # are counted and reported instead.
    logging.getLogger("engineio.client").setLevel(logging.CRITICAL)
    logging.getLogger("socketio.client").setLevel(logging.CRITICAL)
    asyncio.run(_Worker(conn).main())


# --- in the harness ---------------------------------------------------------------------------


@dataclass
class Step:
    """One sending period at one rate, as every client saw it."""

    clients: int
    rate: float
    achieved: float
    expected: list[int]  # the messages the server accepted
    errors: dict  # refusals, by error message
    unacked: int
    latencies: list[float]
    late: int  # (message, client) pairs missing when the drain time was over
    dups: int
    reordered: int
    dropped: int  # clients disconnected by then
    head: list[float]  # latencies of the first quarter of the messages …
    tail: list[float]  # … and of the last quarter
    wall: float  # seconds, from the first send until every client had every message
    server_cpu_seconds: float
    client_cpu_seconds: float
    arrivals: list[float] = field(default_factory=list)
    ack_latencies: list[float] = field(default_factory=list)
    lost: int | None = None  # pairs never delivered: set by Fleet.settle
    lossy_clients: int | None = None

    def p(self, q: float) -> float:
        return percentile(self.latencies, q) if self.latencies else float("nan")

    @property
    def falling_behind(self) -> bool:
        """Latency grew over the step: the rate is above what the set-up keeps up with."""
        if not self.head or not self.tail:
            return False
        return statistics.median(self.tail) > 2 * statistics.median(self.head) + 0.1

    @property
    def clean(self) -> bool:
        """Every message accepted and delivered once, in time, to every client."""
        return not (self.late or self.lost or self.dups or self.errors or self.unacked)

    @property
    def sustained(self) -> bool:
        return (
            self.clean
            and not self.dropped
            and self.p(99) <= SUSTAINED_P99
            and not self.falling_behind
            and self.achieved >= 0.95 * self.rate
        )

    @property
    def deliveries_per_s(self) -> float:
        return self.achieved * self.clients

    @property
    def server_cpu(self) -> float:
        """The servers' CPU use over the step, as a share of one core."""
        return self.server_cpu_seconds / self.wall

    @property
    def client_cpu(self) -> float:
        return self.client_cpu_seconds / self.wall

    @property
    def server_us_per_delivery(self) -> float:
        return self.server_cpu_seconds / max(1, len(self.latencies)) * 1e6

    def latency_ms(self) -> str:
        top = max(self.latencies, default=0)
        return f"{self.p(50) * 1000:.0f} / {self.p(99) * 1000:.0f} / {top * 1000:.0f}"

    def faults(self) -> str:
        parts = []
        if self.lost:
            parts.append(f"lost {self.lost} ({self.lossy_clients} clients)")
        if self.late and self.late != self.lost:
            parts.append(f"{self.late} late")
        if self.dups:
            parts.append(f"dup {self.dups}")
        if self.errors:
            parts.append("refused " + "; ".join(f"{n}× {e}" for e, n in self.errors.items()))
        if self.unacked:
            parts.append(f"unacked {self.unacked}")
        if self.dropped:
            parts.append(f"{self.dropped} clients disconnected")
        if self.falling_behind:
            parts.append("falling behind")
        return ", ".join(parts)


class Fleet:
    """The client processes (receivers) and the sender, driven over pipes."""

    def __init__(self, processes: int, room: str) -> None:
        context = multiprocessing.get_context("spawn")
        self.room = room
        self.procs, self.conns = [], []
        for _ in range(processes + 1):  # the last one is the sender
            parent, child = context.Pipe()
            proc = context.Process(target=_worker, args=(child,), daemon=True)
            proc.start()
            self.procs.append(proc)
            self.conns.append(parent)
        self.size = 0

    @property
    def receivers(self):
        return self.conns[:-1]

    @staticmethod
    def _reply(conn) -> dict:
        reply = conn.recv()
        if "exception" in reply:
            raise RuntimeError(f"client process: {reply['exception']}")
        return reply

    def _each(self, command: str, *args, conns=None) -> list[dict]:
        conns = self.receivers if conns is None else conns
        for conn in conns:
            conn.send((command, args))
        return [self._reply(conn) for conn in conns]

    def connect_sender(self, url: str, cookie: str) -> None:
        (reply,) = self._each("connect", [(url, cookie)], self.room, 60, conns=self.conns[-1:])
        if reply["connected"] != 1:
            raise RuntimeError(f"the sender could not connect: {reply['errors']}")

    def grow(self, targets: list[tuple[str, str]], timeout: float = 120) -> dict:
        """Connect more receivers (round robin over the processes); returns how it went."""
        n = len(self.receivers)
        for i, conn in enumerate(self.receivers):
            conn.send(("connect", (targets[i::n], self.room, timeout)))
        replies = [self._reply(conn) for conn in self.receivers]
        errors: Counter = Counter()
        for r in replies:
            errors.update(r["errors"])
        connected = sum(r["connected"] for r in replies)
        self.size += connected
        return {
            "connected": connected,
            "errors": dict(errors),
            "seconds": max(r["seconds"] for r in replies),
        }

    def measure(self, servers: list, rate: float, seconds: float, *, arrivals=False, during=None):
        """Send at `rate` for `seconds` and collect what every client received. `during`, if
        given, runs in this thread while the sender sends (page requests, a lock holder)."""
        pids = [pid for s in servers for pid in s.worker_pids()]
        server0, client0, began = sum(map(cpu_seconds, pids)), self.cpu(), time.monotonic()
        self.conns[-1].send(("send", (self.room, rate, seconds)))
        if during is not None:
            during()
        sent = self._reply(self.conns[-1])
        got: dict = {"latencies": [], "arrivals": [], "late": [], "head": [], "tail": []}
        for r in self._each("collect", sent["acked"], DRAIN_SECONDS, arrivals):
            for key in ("latencies", "arrivals", "late", "head", "tail"):
                got[key].extend(r[key])
            for key in ("dups", "reordered", "dropped"):
                got[key] = got.get(key, 0) + r[key]
        wall = time.monotonic() - began
        return Step(
            clients=self.size,
            rate=rate,
            achieved=sent["rate"],
            expected=sent["acked"],
            errors=sent["errors"],
            unacked=sent["unacked"],
            latencies=got["latencies"],
            late=sum(got["late"]),
            dups=got["dups"],
            reordered=got["reordered"],
            dropped=got["dropped"],
            head=got["head"],
            tail=got["tail"],
            wall=wall,
            server_cpu_seconds=sum(map(cpu_seconds, pids)) - server0,
            client_cpu_seconds=self.cpu() - client0,
            arrivals=got["arrivals"],
            ack_latencies=sent["ack_latencies"],
        )

    def settle(self, steps: list[Step], quiet: float = 1.0, limit: float = 20.0) -> None:
        """Wait until no more messages arrive (at most `limit` s), then record on each step
        how many of its (message, client) pairs never arrived."""
        deadline = time.monotonic() + limit
        seen = -1
        while time.monotonic() < deadline:
            now_seen = sum(r["seen"] for r in self._each("counts"))
            if now_seen == seen:
                break
            seen = now_seen
            time.sleep(quiet)
        for step in steps:
            missing = [n for r in self._each("missing", step.expected) for n in r["missing"]]
            step.lost, step.lossy_clients = sum(missing), sum(1 for n in missing if n)

    def presence(self) -> tuple[int, int]:
        """chat.presence batches received, and the arrivals they announced, over all clients."""
        counts = self._each("counts")
        return sum(r["presence"] for r in counts), sum(r["arrivals"] for r in counts)

    def cpu(self) -> float:
        return sum(cpu_seconds(p.pid) for p in self.procs)

    def close(self) -> None:
        for conn in self.conns:
            with contextlib.suppress(BrokenPipeError, OSError):  # already gone
                conn.send(("exit", ()))
        for proc in self.procs:
            proc.join(timeout=20)
            if proc.is_alive():
                proc.kill()
