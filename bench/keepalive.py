"""Keep-alive fairness: several HTTP/1.1 keep-alive connections, each sending its next request
as soon as the previous response arrives (as wrk does, and as a browser's busy tab does), and
how many responses each connection got.

One thread drives every connection through a selector, so the client answers faster than a
thread per connection would (no GIL hand-offs between clients): the server sees each next
request almost at once, which is what exposes a server that keeps serving the connection it
is on. `python -m bench keepalive` measures gevent-websocket's stock worker against ours
(community/server.py) and writes bench/RESULTS.md's "Keep-alive fairness";
`python -m bench.keepalive URL PATH [CONNECTIONS [DEPTH]]` prints the figures for a running
server.
"""

import http.client
import os
import selectors
import socket
import sys
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from urllib.parse import urlsplit

from .harness import ROOT, flask_cli, percentile, serve, sign_in, write_section

SECONDS = 8
CONNECTIONS = 4
PAGE = "/t/1"
STOCK = "geventwebsocket.gunicorn.workers.GeventWebSocketWorker"
OURS = "community.server.FairWebSocketWorker"


@dataclass
class Connection:
    sock: socket.socket
    sent_at: deque[float] = field(default_factory=deque)  # one per request in flight
    buffer: bytearray = field(default_factory=bytearray)
    latencies: list[float] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    completed_at: list[float] = field(default_factory=list)


@dataclass
class Outcome:
    counts: list[int]  # responses per connection
    latencies: list[float]  # seconds, every response of every connection
    seconds: float
    statuses: set[int]
    longest_wait: float = 0.0  # seconds: the longest any connection went without a response

    @property
    def fairness(self) -> float:
        """The fewest responses a connection got, over the most (1.0: perfectly even)."""
        return min(self.counts) / max(self.counts) if max(self.counts) else 0.0

    @property
    def rate(self) -> float:
        return sum(self.counts) / self.seconds

    def summary(self) -> str:
        ms = [percentile(self.latencies, p) * 1000 for p in (50, 90, 99)]
        return (
            f"{self.rate:.0f} requests/s; p50 {ms[0]:.0f} ms, p90 {ms[1]:.0f} ms, "
            f"p99 {ms[2]:.0f} ms; longest wait {self.longest_wait * 1000:.0f} ms; responses "
            f"per connection {self.counts} (fewest/most {self.fairness:.2f})"
        )


def _request(host: str, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}", "Accept: text/html"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _complete_response(buffer: bytearray) -> tuple[int, int] | None:
    """(status, length) of the first whole response in `buffer`, or None while incomplete.
    Flask's responses carry Content-Length; a chunked one is refused rather than misread."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = bytes(buffer[:end]).decode("latin-1").split("\r\n")
    status = int(head[0].split()[1])
    fields = {k.strip().lower(): v.strip() for k, v in (h.split(":", 1) for h in head[1:])}
    if "content-length" not in fields:
        raise ValueError(f"a response without Content-Length: {head}")
    length = end + 4 + int(fields["content-length"])
    return (status, length) if len(buffer) >= length else None


def drive(
    url: str,
    path: str,
    *,
    connections: int,
    seconds: float | None = None,
    total: int | None = None,
    depth: int = 1,
    headers: dict[str, str] | None = None,
) -> Outcome:
    """Keep `connections` keep-alive connections busy on `path` for `seconds`, or until the
    server has sent `total` responses in all; returns what each connection got by then.

    Each connection keeps `depth` requests in flight: 1 is a browser's tab (the next request
    once the response is in); 2 has the next request already waiting at the server when it
    finishes one, every time, which is the moment a server decides whom to serve next. At the
    end no new request is sent and the ones in flight are read (not counted), so every
    connection closes cleanly."""
    if (seconds is None) == (total is None):
        raise ValueError("give seconds or total")
    parts = urlsplit(url)
    request = _request(parts.netloc, path, headers or {})
    conns = [
        Connection(socket.create_connection((parts.hostname, parts.port), timeout=30))
        for _ in range(connections)
    ]
    selector = selectors.DefaultSelector()
    try:
        for conn in conns:
            selector.register(conn.sock, selectors.EVENT_READ, conn)
            for _ in range(depth):
                _send(conn, request)
        started = time.perf_counter()
        stop_at = started + seconds if seconds is not None else float("inf")
        done = 0
        while time.perf_counter() < stop_at and (total is None or done < total):
            for key, _ in selector.select(timeout=0.1):
                done += _receive(key.data, request)
        ended = time.perf_counter()
        elapsed = ended - started
        outcome = Outcome(
            counts=[len(c.latencies) for c in conns],
            latencies=[lat for c in conns for lat in c.latencies],
            seconds=elapsed,
            statuses={s for c in conns for s in c.statuses},
            longest_wait=max(_longest_gap(c, started, ended) for c in conns),
        )
        while any(c.sent_at for c in conns):  # drain: the responses still on their way
            for key, _ in selector.select(timeout=30):
                _receive(key.data, None)
        return outcome
    finally:
        for conn in conns:
            conn.sock.close()
        selector.close()


def _longest_gap(conn: Connection, started: float, ended: float) -> float:
    """The longest stretch without a response, from the start to the end: a connection that
    got nothing waited the whole run."""
    return max(b - a for a, b in pairwise([started, *conn.completed_at, ended]))


def _send(conn: Connection, request: bytes) -> None:
    conn.sent_at.append(time.perf_counter())
    conn.sock.sendall(request)


def _receive(conn: Connection, request: bytes | None) -> int:
    """Take what arrived on `conn`; for each whole response, send `request` again (unless
    None). Returns the number of responses completed."""
    data = conn.sock.recv(262144)
    if not data:
        raise ConnectionError("the server closed a keep-alive connection")
    conn.buffer += data
    completed = 0
    while (response := _complete_response(conn.buffer)) is not None:
        status, length = response
        del conn.buffer[:length]
        sent_at = conn.sent_at.popleft()
        if request is None:
            continue
        now = time.perf_counter()
        conn.latencies.append(now - sent_at)
        conn.completed_at.append(now)
        conn.statuses.append(status)
        completed += 1
        _send(conn, request)
    return completed


def _measure(url: str, cookies: dict) -> list[tuple[str, Outcome]]:
    cookie = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
    runs = [
        ("anonymous", {}, 1),
        ("anonymous, next request waiting", {}, 2),
        ("signed in", cookie, 1),
        ("signed in, next request waiting", cookie, 2),
        ("anonymous, `Connection: close`", {"Connection": "close"}, 1),
    ]
    rows = []
    for label, headers, depth in runs:
        if "close" in label:
            rows.append((label, _closing(url, headers)))
            continue
        drive(url, PAGE, connections=CONNECTIONS, total=20, headers=headers)  # warm up
        outcome = drive(
            url, PAGE, connections=CONNECTIONS, seconds=SECONDS, depth=depth, headers=headers
        )
        rows.append((label, outcome))
    for label, outcome in rows:
        if outcome.statuses != {200}:
            raise RuntimeError(f"{label}: responses {outcome.statuses} from {PAGE}")
    return rows


def _closing(url: str, headers: dict) -> Outcome:
    """The same load with a new connection per request (what the issue compared against):
    one thread per client, each request on its own connection."""
    parts = urlsplit(url)
    done_at: list[list[float]] = [[] for _ in range(CONNECTIONS)]
    latencies: list[float] = []
    statuses: set[int] = set()
    started = time.perf_counter()
    stop_at = started + SECONDS

    def client(i: int) -> None:
        while time.perf_counter() < stop_at:
            sent = time.perf_counter()
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            conn.request("GET", PAGE, headers=headers)
            response = conn.getresponse()
            response.read()
            conn.close()
            done_at[i].append(time.perf_counter())
            latencies.append(done_at[i][-1] - sent)
            statuses.add(response.status)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CONNECTIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ended = time.perf_counter()
    waits = [max(b - a for a, b in pairwise([started, *times, ended])) for times in done_at]
    return Outcome([len(t) for t in done_at], latencies, ended - started, statuses, max(waits))


def _interleaved_rates(urls: dict[str, str], rounds: int = 4) -> dict[str, list[float]]:
    """Requests/s of each server, measured in turns (ABBA…) while both run, so that the
    machine's changing load falls on both alike."""
    rates: dict[str, list[float]] = {name: [] for name in urls}
    names = list(urls)
    for r in range(rounds):
        for name in names if r % 2 == 0 else reversed(names):
            outcome = drive(urls[name], PAGE, connections=CONNECTIONS, seconds=4)
            rates[name].append(outcome.rate)
    return rates


def run() -> str:
    results = {}
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        env = {"PATH": str(Path(ROOT / ".venv/bin").resolve()) + ":/usr/bin:/bin",
               "INSTANCE_DIR": tmp, "LOG_LEVEL": "WARNING", "JOBS_IN_PROCESS": "0"}  # fmt: skip
        flask_cli(env, "db", "upgrade")
        flask_cli(env, "seed")
        flask_cli(env, "demo", "load")
        for worker in (STOCK, OURS):
            with serve(env, options=("-k", worker)) as server:
                results[worker] = _measure(server.url, sign_in(server.url))
        with serve(env, options=("-k", STOCK)) as stock, serve(env, options=("-k", OURS)) as ours:
            rates = _interleaved_rates({"stock": stock.url, "ours": ours.url})
    lines = [
        f"The production command (`gunicorn -c gunicorn.conf.py`, one process, SQLite, demo "
        f"network) with the worker class given by `-k`, {CONNECTIONS} keep-alive connections "
        f"on a thread page (`{PAGE}`) for {SECONDS} s each, driven by one client thread "
        "(bench/keepalive.py) that sends a connection's next request as soon as its response "
        'is in; "next request waiting" keeps two requests in flight per connection, so the '
        "next one is always there when the server finishes one. Load generator on the same "
        "2 cores, shared with other work: compare the rows of one run, not across runs.",
        "",
        "Latencies count the responses that came; a connection that got none shows only in "
        "the longest wait (the longest any connection went without a response).",
        "",
        "| worker | load | requests/s | p50 | p90 | p99 | longest wait | "
        "responses per connection | fewest/most |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for worker, rows in results.items():
        name = "stock GeventWebSocketWorker" if worker == STOCK else "ours (community/server.py)"
        for label, o in rows:
            ms = [percentile(o.latencies, p) * 1000 for p in (50, 90, 99)]
            lines.append(
                f"| {name} | {label} | {o.rate:.0f} | {ms[0]:.0f} ms | {ms[1]:.0f} ms "
                f"| {ms[2]:.0f} ms | {o.longest_wait * 1000:.0f} ms "
                f"| {' / '.join(map(str, o.counts))} | {o.fairness:.2f} |"
            )
    mean = {name: sum(r) / len(r) for name, r in rates.items()}
    lines += [
        "",
        "Throughput, both servers running and measured in turns (4 keep-alive connections, "
        f"anonymous, 4 s a turn): stock {' / '.join(f'{x:.0f}' for x in rates['stock'])} "
        f"requests/s (mean {mean['stock']:.0f}), ours "
        f"{' / '.join(f'{x:.0f}' for x in rates['ours'])} (mean {mean['ours']:.0f}).",
        "",
        f"The machine's load average (1 min) was {load_before:.1f} before and "
        f"{os.getloadavg()[0]:.1f} after: 2 cores shared with other work, so the absolute "
        "figures are low and vary from run to run; the responses per connection are what the "
        "worker class decides.",
        "",
        "Why (issue 12): gevent.pywsgi serves a keep-alive connection in a loop on one "
        "greenlet and reads the next request at once; when it has already arrived, the read "
        "returns without yielding, and a Flask request on SQLite never yields either, so the "
        "greenlet serves its own connection again while the others' requests wait unread. "
        "Ours (community/server.py) waits one turn of the hub's loop (a zero timer) between a "
        "connection's requests. `gevent.sleep(0)` was not enough: it queues a callback, and "
        "the hub runs up to 50 queued callbacks before it polls the sockets again (measured "
        "once with it: 54 / 30 / 30 / 31 with the next request waiting).",
    ]
    body = "\n".join(lines)
    write_section("Keep-alive fairness", body)
    return body


if __name__ == "__main__":
    base, page = sys.argv[1], sys.argv[2]
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    in_flight = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    print(drive(base, page, connections=count, seconds=8, depth=in_flight).summary())
