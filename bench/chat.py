"""Chat benchmark: one room's fan-out to N signed-in WebSocket clients (issue 5).

For each server set-up (a bare python-socketio baseline and Commons, each on one process and
on two processes sharing Redis) clients connect over WebSocket only and join one room, the
room growing 100 → 500 → 1,000; at each size one sender sends timestamped messages, first at
LATENCY_RATE (delivery latency p50/p99 over every client), then at doubling rates until a
message is lost, duplicated or refused, or the p99 passes 1 s (the highest sustained rate).
On Commons, one process: an outside process holds SQLite's write lock for 2 s while chat and
page requests flow (smallest size); page requests are timed with the room full; and members
join the full room (presence). Last, the worker-class candidates.

Members are made straight in the database (a fixed dummy password hash, joined to one
community) and signed in with session cookies made by the app's own session interface. A
room holds at most `--members` distinct members (200 by default); beyond that, members have
several connections (tabs). Members joining a full room are measured apart (presence).

Run: `python -m bench chat` (all of it, about 8 minutes), `python -m bench chat --clients 50
--quick` (latency only, about 1 minute); `--help` lists the rest. Figures go to
bench/RESULTS.md, section "Chat".
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import sqlite3
import tempfile
import threading
import time
import uuid
from collections import Counter
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import requests

from .chat_clients import SUSTAINED_P99, Fleet, Step, raise_open_files_limit
from .harness import (
    RESULTS,
    ROOT,
    VENV_BIN,
    cpu_seconds,
    load,
    percentile,
    run_command,
    serve,
    write_section,
)

ROOM = "procurement"
REDIS_URL = "redis://127.0.0.1:6379/5"  # a database no test uses; emptied before and after
# Signs the benchmark's own cookies, on a throw-away instance; never a real site's key.
SECRET_KEY = "bench-only-secret-key-never-used-anywhere-else-0123456789"  # noqa: S105
DUMMY_HASH = "bench:no-password"  # matches no scheme: nobody can sign in with it
APP = "bench.chat_app:make()"
APP_THREADING = 'bench.chat_app:make(async_mode="threading")'
BASELINE = "bench.baseline_socketio:app"
LATENCY_RATE = 2  # messages per second for the latency figures: a busy networking-day room
STORM_MEMBERS = 50  # members who join the full room, for the cost of presence
PAGE_CONCURRENCY = 2  # keep-alive clients fetching pages in a loop
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"  # the project machines' server
SENDER, READER, FIRST_MEMBER = 0, 1, 2  # member indexes

PARTS = ("one", "two", "workers")
_LOG_NUMBERS = itertools.count(1)
APP_1, APP_2 = "Commons, 1 process", "Commons, 2 processes + Redis"
BASE_1, BASE_2 = "baseline, 1 process", "baseline, 2 processes + Redis"


@dataclass
class Options:
    clients: list[int] = field(default_factory=lambda: [100, 500, 1000])
    seconds: float = 3.0  # per rate step
    latency_seconds: float = 5.0
    members: int = 200
    client_processes: int = 2
    storm_members: int = STORM_MEMBERS
    quick: bool = False  # latency only: no rate search, checks or candidates
    results: Path = RESULTS
    logs: Path | None = None  # keep the servers' logs there
    parts: tuple[str, ...] = PARTS

    @classmethod
    def parse(cls, argv: list[str]) -> Options:
        parser = argparse.ArgumentParser(prog="python -m bench chat")
        parser.add_argument(
            "--clients", default="100,500,1000", help="comma-separated room sizes (rising)"
        )
        parser.add_argument("--seconds", type=float, default=3.0, help="length of a rate step")
        parser.add_argument("--latency-seconds", type=float, default=5.0)
        parser.add_argument(
            "--members", type=int, default=200, help="distinct members; more clients are tabs"
        )
        parser.add_argument("--client-processes", type=int, default=2)
        parser.add_argument(
            "--storm-members", type=int, default=STORM_MEMBERS, help="members joining a full room"
        )
        parser.add_argument(
            "--quick", action="store_true", help="latency only: no rate search or checks"
        )
        parser.add_argument("--results", type=Path, default=RESULTS, help="the RESULTS.md to write")
        parser.add_argument("--logs", type=Path, help="keep the servers' logs in this folder")
        parser.add_argument(
            "--parts",
            default=",".join(PARTS),
            help="one (1 process: baseline, Commons, checks), two (2 processes + Redis), "
            "workers (worker-class candidates)",
        )
        args = parser.parse_args(argv)
        return cls(
            clients=sorted({int(n) for n in args.clients.split(",") if n.strip()}),
            seconds=args.seconds,
            latency_seconds=args.latency_seconds,
            members=args.members,
            client_processes=args.client_processes,
            storm_members=args.storm_members,
            quick=args.quick,
            results=args.results,
            logs=args.logs,
            parts=tuple(part for part in PARTS if part in args.parts.split(",")),
        )


# --- set-up: instance, members, servers -------------------------------------------------------


def _env(instance: Path, **extra: str) -> dict[str, str]:
    from community.config import VARIABLES

    env = {name: "" for name in VARIABLES}  # empty counts as unset, and hides a `.env`
    env.update(
        PATH=f"{VENV_BIN}:/usr/bin:/bin",
        PYTHONPATH=str(ROOT),
        INSTANCE_DIR=str(instance),
        SECRET_KEY=SECRET_KEY,
        LOG_LEVEL="WARNING",
        **extra,
    )
    return env


def create_members(count: int) -> dict:
    """Run with the server's environment: `count` members of ROOM's community, inserted in
    bulk, and a signed session cookie for each (returned for printing as JSON)."""
    from sqlalchemy import func, insert, select, update

    from community import create_app
    from community.accounts.models import User
    from community.communities.models import Community, Membership
    from community.db import atomic, utcnow
    from community.extensions import db

    app = create_app()
    with app.app_context():
        now = utcnow()
        with atomic():
            community = db.session.scalar(select(Community).where(Community.slug == ROOM))
            first = db.session.scalar(select(func.count(User.id)))
            rows = [
                {
                    "email": f"member{first + i}@bench.example",
                    "display_name": f"Bench member {first + i}",
                    "sort_name": f"bench member {first + i}",
                    "password_hash": DUMMY_HASH,
                    "verified_at": now,
                    "last_seen_at": now,  # no last-seen write on the first page view
                    "digest_frequency": "off",
                }
                for i in range(count)
            ]
            db.session.execute(insert(User), rows)
            users = db.session.scalars(
                select(User).where(User.email.in_([r["email"] for r in rows])).order_by(User.id)
            ).all()
            db.session.execute(
                insert(Membership),
                [{"user_id": u.id, "community_id": community.id, "role": "member"} for u in users],
            )
            db.session.execute(
                update(Community)
                .where(Community.id == community.id)
                .values(member_count=Community.member_count + count)
            )
        # What signing in leaves in the session: a session record per member, and
        # "_user_id" is User.get_id(), "<id>:<session generation>:<session key>".
        from community.accounts.actions import start_session

        with atomic():
            for user in users:
                start_session(user, "bench")
            ids = [u.get_id() for u in users]
        serializer = app.session_interface.get_signing_serializer(app)
        cookies = [serializer.dumps({"_user_id": user_id, "_fresh": True}) for user_id in ids]
        return {"name": app.config["SESSION_COOKIE_NAME"], "cookies": cookies}


class Members:
    """Session cookies of members made by `create_members` in a process of its own."""

    def __init__(self, env: dict, count: int) -> None:
        code = f"import json, bench.chat as c; print(json.dumps(c.create_members({count})))"
        made = json.loads(run_command(env, str(VENV_BIN / "python"), "-c", code))
        self.name = made["name"]
        self.values = made["cookies"]

    def header(self, i: int) -> str:
        return f"{self.name}={self.values[i]}"

    def jar(self, i: int) -> dict:
        return {self.name: self.values[i]}


@contextmanager
def servers(setup: Setup, app: str, count: int, *, options: tuple[str, ...] = (), name=""):
    health = "/" if app == BASELINE else "/healthz"
    slug = "-".join(re.findall(r"[a-z0-9]+", (name or app).lower()))
    with ExitStack() as stack:
        yield [
            stack.enter_context(
                serve(
                    setup.env,
                    app,
                    health=health,
                    options=options,
                    log_path=setup.logs / f"{next(_LOG_NUMBERS):02}-{slug}-{i + 1}.log",
                )
            )
            for i in range(count)
        ]


def flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def server_cpu(started: list) -> float:
    return sum(cpu_seconds(pid) for s in started for pid in s.worker_pids())


# --- measurements -----------------------------------------------------------------------------


@dataclass
class SizeResult:
    clients: int
    connect: dict
    latency: Step
    best: Step | None = None
    steps: list[Step] = field(default_factory=list)


def find_max_rate(fleet: Fleet, started: list, options: Options) -> tuple[Step | None, list]:
    """From ~2,000 deliveries/s (at least twice the latency step's rate), double the rate
    while it is sustained (or halve it until it is, down to the latency rate), then try once
    halfway between the best rate and the first that failed."""
    steps: list[Step] = []
    best = failed_at = None
    rate = _nice(max(2 * LATENCY_RATE, 2000 / fleet.size))
    while len(steps) < 7 and rate >= LATENCY_RATE:
        step = fleet.measure(started, rate, options.seconds)
        steps.append(step)
        if step.sustained:
            best = step
            if failed_at is not None:
                break
            rate = _nice(rate * 2)
        else:
            failed_at = rate
            if best is not None:
                break
            rate = _nice(rate / 2)
    if best is not None and failed_at is not None and failed_at - best.rate > 1:
        step = fleet.measure(started, _nice((best.rate + failed_at) / 2), options.seconds)
        steps.append(step)
        if step.sustained:
            best = step
    return best, steps


def _nice(rate: float) -> float:
    return round(rate) if rate >= 10 else round(rate, 1)


def run_setup(
    label: str,
    setup: Setup,
    app: str,
    processes: int,
    options: Options,
    *,
    gunicorn_options: tuple[str, ...] = (),
    extra=None,
) -> list[SizeResult]:
    """Grow the room through every size; at each, the latency step and the rate search.
    `extra(fleet, started, size)` runs after each size's own measurements."""
    print(f"-- {label}", flush=True)
    results = []
    members = setup.members
    with servers(setup, app, processes, options=gunicorn_options, name=label) as started:
        urls = [s.url for s in started]
        fleet = Fleet(options.client_processes, ROOM)
        try:
            fleet.connect_sender(urls[0], members.header(SENDER))
            for size in options.clients:
                targets = [
                    (urls[i % len(urls)], members.header(FIRST_MEMBER + i % options.members))
                    for i in range(fleet.size, size)
                ]
                connect = fleet.grow(targets)
                latency = fleet.measure(started, LATENCY_RATE, options.latency_seconds)
                result = SizeResult(size, connect, latency)
                if not options.quick and connect["connected"] == len(targets):
                    result.best, result.steps = find_max_rate(fleet, started, options)
                fleet.settle([latency, *result.steps])
                _print_size(fleet, result)
                results.append(result)
                if extra is not None:
                    extra(fleet, started, size)
                if connect["connected"] < len(targets):
                    break  # this set-up holds no more
        finally:
            fleet.close()
    return results


def _print_size(fleet: Fleet, result: SizeResult) -> None:
    connect = result.connect
    print(
        f"   {fleet.size}/{result.clients} clients in {connect['seconds']:.1f} s"
        + (f" ({connect['errors']})" if connect["errors"] else ""),
        flush=True,
    )
    for s in [result.latency, *result.steps]:
        print(
            f"     {s.rate:g}/s {'ok' if s.sustained else 'NO'}: p50/p99 "
            f"{s.p(50) * 1000:.0f}/{s.p(99) * 1000:.0f} ms, {s.faults() or 'clean'}, "
            f"server {s.server_cpu:.0%}, clients {s.client_cpu:.0%}",
            flush=True,
        )


def pages_under_load(fleet: Fleet, started: list, members: Members, seconds: float) -> dict:
    """Signed-in GETs of the community page while the full room chats at LATENCY_RATE."""
    url = f"{started[0].url}/c/{ROOM}"
    result = {}

    def pages():
        result["rps"], result["latencies"] = load(
            url, seconds=seconds, concurrency=PAGE_CONCURRENCY, session_cookies=members.jar(READER)
        )

    result["chat"] = fleet.measure(started, LATENCY_RATE, seconds, during=pages)
    fleet.settle([result["chat"]])
    return result


def join_storm(fleet: Fleet, started: list, members: Members, first: int, count: int) -> dict:
    """`count` members who were not in the room join it (one tab each) while it is full:
    every connection there must learn of every newcomer. How long until all have, in how
    many presence batches, and what the server spent."""
    batches0, arrivals0 = fleet.presence()
    in_room = fleet.size
    cpu0, began = server_cpu(started), time.monotonic()
    connect = fleet.grow([(started[0].url, members.header(first + i)) for i in range(count)])
    expected = arrivals0 + count * in_room  # at least: the newcomers also see each other
    deadline = time.monotonic() + 120
    while (now := fleet.presence())[1] < expected and time.monotonic() < deadline:
        time.sleep(0.1)
    return {
        "joined": connect["connected"],
        "in_room": in_room,
        "seconds": time.monotonic() - began,
        "server_cpu": server_cpu(started) - cpu0,
        "deliveries": now[0] - batches0,
        "arrivals": now[1] - arrivals0,
        "complete": now[1] >= expected,
    }


def sqlite_lock_check(fleet: Fleet, started: list, members: Members, db_path: Path) -> dict:
    """An outside process holds SQLite's write lock for 2 s while the room chats at 20/s and
    a community page and a static file are fetched in loops: sends wait (a message is
    committed before its broadcast), the rest of the process must not."""
    # The static file is fetched signed out: signed in, loading the member is a query too.
    urls = {"page": f"{started[0].url}/c/{ROOM}", "static": f"{started[0].url}/static/css/site.css"}
    jars = {"page": members.jar(READER), "static": {}}
    requests.get(urls["page"], cookies=jars["page"], timeout=10).raise_for_status()
    fetched: dict[str, list[tuple[float, float]]] = {name: [] for name in urls}
    failed: dict[str, int] = dict.fromkeys(urls, 0)
    window: dict[str, float] = {}
    stop = threading.Event()

    def fetch(name: str) -> None:
        with requests.Session() as own:
            own.cookies.update(jars[name])
            while not stop.is_set():
                began = time.monotonic()
                response = own.get(urls[name], timeout=30)
                fetched[name].append((began, time.monotonic()))
                failed[name] += response.status_code != 200

    def hold_lock() -> None:
        time.sleep(1.5)
        con = sqlite3.connect(db_path, isolation_level=None, timeout=10)
        con.execute("BEGIN IMMEDIATE")
        window["start"] = time.monotonic()
        time.sleep(2.0)
        window["end"] = time.monotonic()
        con.execute("COMMIT")
        con.close()

    def during() -> None:
        threads = [threading.Thread(target=fetch, args=(name,)) for name in urls]
        threads.append(threading.Thread(target=hold_lock))
        for t in threads:
            t.start()
        threads[-1].join()
        time.sleep(1.0)
        stop.set()
        for t in threads:
            t.join()

    step = fleet.measure(started, 20, 4.5, arrivals=True, during=during)
    fleet.settle([step])
    start, end = window["start"], window["end"]

    def max_gap(times: list[float], lo: float, hi: float) -> float:
        points = [lo, *sorted(t for t in times if lo <= t <= hi), hi]
        return max(b - a for a, b in itertools.pairwise(points))

    result = {"step": step, "send_ack_max": max(step.ack_latencies, default=float("nan"))}
    for name, spans in fetched.items():
        ends = [e for _b, e in spans]
        result[f"{name}_gap_lock"] = max_gap(ends, start, end)
        result[f"{name}_gap_before"] = max_gap(ends, start - 1.4, start)
        result[f"{name}_count_lock"] = sum(1 for b, _e in spans if start <= b <= end)
        result[f"{name}_failed"] = failed[name]
    result["delivery_gap_lock"] = max_gap(step.arrivals, start, end)
    result["delivered_during_lock"] = sum(1 for t in step.arrivals if start <= t <= end)
    return result


def gthread_cap(setup: Setup, threads: int = 20) -> dict:
    """gthread with threading Socket.IO: each WebSocket holds one of `--threads` threads."""
    options = ("-k", "gthread", "--threads", str(threads))
    wanted = threads + 10
    with servers(setup, APP_THREADING, 1, options=options, name="gthread") as started:
        fleet = Fleet(1, ROOM)
        try:
            got = fleet.grow(
                [
                    (started[0].url, setup.members.header(FIRST_MEMBER + i % setup.distinct))
                    for i in range(wanted)
                ],
                timeout=10,
            )
        finally:
            fleet.close()
    return {"threads": threads, "wanted": wanted, **got}


# --- the run ----------------------------------------------------------------------------------


@dataclass
class Setup:
    """An instance (database, Redis or not) with its members."""

    env: dict
    logs: Path
    members: Members
    distinct: int
    database: str  # for the report


def prepare(env: dict, logs: Path, options: Options, extra_members: int, database: str) -> Setup:
    flask = (str(VENV_BIN / "flask"), "--app", "community")
    run_command(env, *flask, "db", "upgrade")
    run_command(env, *flask, "seed")
    distinct = min(options.members, max(options.clients))
    members = Members(env, FIRST_MEMBER + distinct + extra_members)
    return Setup(env, logs, members, distinct, database)


@contextmanager
def postgres_database():
    """A fresh PostgreSQL database on the machine's server for the scaled-out runs, dropped
    afterwards; None when no server answers (the runs then share the SQLite file)."""
    import psycopg

    name = f"bench_chat_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        yield None
        return
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')  # noqa: S608 (a name made above)
        try:
            yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # noqa: S608


def run(options: Options | None = None) -> str:
    options = options or Options()
    biggest = max(options.clients)
    runs: dict[str, list[SizeResult]] = {}
    measured: dict = {}
    storm = 0 if options.quick else options.storm_members
    parts = set(options.parts)
    measured["load_before"] = os.getloadavg()
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-chat-")))
        logs = options.logs or tmp / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        raise_open_files_limit()  # inherited by the servers
        embedded = prepare(_env(tmp / "instance"), logs, options, storm, "SQLite")
        db_file = tmp / "instance" / "commons.db"

        if "one" in parts and not options.quick:
            with servers(embedded, APP, 1, name="pages without chat") as started:
                rps, latencies = load(
                    f"{started[0].url}/c/{ROOM}",
                    seconds=options.seconds * 2,
                    concurrency=PAGE_CONCURRENCY,
                    session_cookies=embedded.members.jar(READER),
                )
                measured["pages_idle"] = {"rps": rps, "latencies": latencies}

        def app_checks(fleet, started, size):
            if options.quick:
                return
            if size == options.clients[0]:
                measured["sqlite"] = sqlite_lock_check(fleet, started, embedded.members, db_file)
            if size == biggest:
                measured["pages"] = pages_under_load(
                    fleet, started, embedded.members, options.seconds * 2
                )
                measured["storm"] = join_storm(
                    fleet, started, embedded.members, FIRST_MEMBER + embedded.distinct, storm
                )

        if "one" in parts:
            runs[BASE_1] = run_setup(BASE_1, embedded, BASELINE, 1, options)
            runs[APP_1] = run_setup(APP_1, embedded, APP, 1, options, extra=app_checks)

        pg_url = stack.enter_context(postgres_database()) if "two" in parts else None
        if pg_url:
            extra = {"REDIS_URL": REDIS_URL, "DATABASE_URL": pg_url}
            scaled = prepare(_env(tmp / "scaled", **extra), logs, options, 0, "PostgreSQL")
        else:
            scaled = Setup(
                _env(tmp / "instance", REDIS_URL=REDIS_URL),
                logs,
                embedded.members,
                embedded.distinct,
                "SQLite",
            )
        if "two" in parts:
            measured["scaled_database"] = scaled.database
            try:
                flush_redis()
                runs[BASE_2] = run_setup(BASE_2, scaled, BASELINE, 2, options)
                flush_redis()
                runs[APP_2] = run_setup(APP_2, scaled, APP, 2, options)
            finally:
                flush_redis()

        if "workers" in parts and not options.quick:
            print("-- worker candidates", flush=True)

            def threading_checks(fleet, started, size):
                if size == options.clients[0]:
                    measured["sqlite_threading"] = sqlite_lock_check(
                        fleet, started, embedded.members, db_file
                    )

            sizes = sorted({options.clients[0], biggest})
            measured["gevent"] = run_setup(
                "gevent worker, threading mode",
                embedded,
                APP_THREADING,
                1,
                replace(options, clients=sizes),
                gunicorn_options=("-k", "gevent"),
                extra=threading_checks,
            )
            measured["gthread"] = gthread_cap(embedded)
        measured["problems"] = server_problems(logs)
    measured["load_after"] = os.getloadavg()

    body = report(runs, measured, options)
    write_section("Chat", body, options.results)
    return body


def server_problems(logs: Path) -> list[str]:
    """What the servers' logs hold that a healthy run would not: each exception's type (the
    last line of a traceback) and other alarms, counted per log."""
    found = []
    for log in sorted(logs.glob("*.log")):
        text = log.read_text(errors="replace")
        counts: Counter = Counter()
        lines = text.splitlines()
        for i, line in enumerate(lines):
            if line.startswith("Traceback"):
                rest = lines[i + 1 :]
                end = next((j for j, x in enumerate(rest) if x and not x.startswith(" ")), None)
                chained = end is not None and any(
                    x.startswith(("During handling", "The above exception"))
                    for x in rest[end + 1 : end + 3]
                )
                if end is not None and not chained:
                    counts[rest[end].split(":")[0]] += 1
        for alarm in ("database is locked", "WORKER TIMEOUT", "CRITICAL"):
            counts[alarm] += text.count(alarm)
        for what, n in counts.items():
            if n:
                found.append(f"{log.name}: {what} ×{n}")
    return found


# --- the report -------------------------------------------------------------------------------


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def _rate(result: SizeResult | None) -> str:
    if result is None or result.best is None:
        return "none" if result and result.steps else "—"
    best = result.best
    return f"{best.rate:g}/s ({best.deliveries_per_s:,.0f} deliveries/s)"


def report(runs: dict[str, list[SizeResult]], measured: dict, options: Options) -> str:
    lines = [
        "Servers: the production command (`gunicorn -c gunicorn.conf.py`: one "
        "GeventWebSocketWorker, Socket.IO in gevent mode) with the benchmark's settings "
        "profile (`bench/chat_app.py`: the chat rate limit raised). One process: the embedded "
        "mode (SQLite). Two processes: the scaled-out mode, sharing "
        f"{measured.get('scaled_database', 'SQLite')} and Redis (`REDIS_URL`, database 5: the "
        "Socket.IO message queue, presence, rate limits), half the clients on each process, "
        "the sender on the first. The baseline is a bare python-socketio server "
        "(`bench/baseline_socketio.py`) doing the same fan-out (join a room; broadcast a "
        "payload of the same shape; answer in the ack) on the same worker, sharing rooms "
        "through Redis in the two-process runs.",
        "",
        f"Clients: python-socketio `AsyncClient`s, WebSocket only, each with a member's "
        f"session cookie: {options.client_processes} processes of one asyncio loop each hold "
        f"the receivers, a third the sender, all on the servers' 2 cores. At most "
        f"{options.members} distinct members; a bigger room gives members several tabs "
        f"(members joining a full room: the presence section). Latency runs from just "
        f"before the sender's emit to the receiving client's handler, over every "
        f"(message, client) pair, at "
        f"{LATENCY_RATE} messages/s for {options.latency_seconds:g} s. A rate is sustained "
        f"when a {options.seconds:g} s step delivers every message exactly once to every "
        f"client, none is refused and p99 ≤ {SUSTAINED_P99:g} s; rates double until one is "
        f"not, then one step halfway back. CPU: share of one core, over the step and its drain.",
        "",
        f"### Latency at {LATENCY_RATE} messages/s, and the highest sustained rate",
        "",
        "| set-up | clients | connected and joined in | p50 / p99 / max | lost / dup "
        "| highest sustained rate | its p99 | server CPU | clients' CPU |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for label, results in runs.items():
        for r in results:
            b = r.best
            lines.append(
                f"| {label} | {r.latency.clients} of {r.clients} | {r.connect['seconds']:.1f} s "
                f"| {r.latency.latency_ms()} ms | {r.latency.lost} / {r.latency.dups} "
                f"| {_rate(r)} | {_ms(b.p(99)) if b else '—'} "
                f"| {f'{b.server_cpu:.0%}' if b else '—'} | {f'{b.client_cpu:.0%}' if b else '—'} |"
            )
    lines += ["", *_ratios(runs), "", "### Every step", ""]
    lines.append("Rate: p50 / p99 ms, and what went wrong where something did.")
    lines.append("")
    for label, results in runs.items():
        for r in results:
            cells = [
                f"{s.rate:g}/s: {s.p(50) * 1000:.0f} / {s.p(99) * 1000:.0f}"
                + (f" ({s.faults()})" if s.faults() else "")
                + (f", {s.reordered} out of order" if s.reordered else "")
                for s in [r.latency, *r.steps]
            ]
            lines.append(f"- {label}, {r.clients} clients: " + "; ".join(cells))
    for section in (_pages, _storm, _candidates, _sqlite, _targets, _notes):
        part = section(runs, measured, options)
        if part:
            lines += ["", *part]
    return "\n".join(lines)


def _ratios(runs) -> list[str]:
    lines = [
        "### Ratio to the baseline",
        "",
        "Throughput: the highest sustained rate, Commons over the baseline (the same clients "
        "in the same run). Efficiency: the server's CPU per delivered message at that rate, "
        "baseline over Commons (1.00: as cheap as the bare server). Throughput is capped by "
        "the shared cores and the clients; efficiency is the server's own.",
        "",
        "| processes | clients | throughput ratio | server CPU µs per delivery, Commons / "
        "baseline | efficiency ratio |",
        "|---|---|---|---|---|",
    ]
    for app_label, base_label, name in ((APP_1, BASE_1, "1"), (APP_2, BASE_2, "2 + Redis")):
        base = {r.clients: r for r in runs.get(base_label, [])}
        for r in runs.get(app_label, []):
            b = base.get(r.clients)
            if b is None:
                continue
            throughput = f"{r.best.rate / b.best.rate:.2f}" if r.best and b.best else "—"
            app_step, base_step = r.best or r.latency, b.best or b.latency
            app_cost, base_cost = app_step.server_us_per_delivery, base_step.server_us_per_delivery
            lines.append(
                f"| {name} | {r.clients} | {throughput} | {app_cost:.0f} / {base_cost:.0f} "
                f"| {base_cost / app_cost:.2f} |"
            )
    return lines


def _pages(runs, measured, options) -> list[str]:
    p, idle = measured.get("pages"), measured.get("pages_idle")
    if not p:
        return []
    rows = []
    if idle:
        lat = idle["latencies"]
        rows.append(
            f"| no chat clients | {idle['rps']:.0f} | {_ms(percentile(lat, 50))} "
            f"| {_ms(percentile(lat, 99))} | — |"
        )
    lat = p["latencies"]
    rows.append(
        f"| {p['chat'].clients} chat clients, room chatting at {LATENCY_RATE}/s "
        f"| {p['rps']:.0f} | {_ms(percentile(lat, 50))} | {_ms(percentile(lat, 99))} "
        f"| {p['chat'].latency_ms()} ms |"
    )
    return [
        "### Pages while the room is full",
        "",
        f"Signed-in GET /c/{ROOM} from {PAGE_CONCURRENCY} keep-alive clients in a loop for "
        f"{options.seconds * 2:g} s (Commons, 1 process).",
        "",
        "| | pages/s | page p50 | page p99 | chat latency p50 / p99 / max |",
        "|---|---|---|---|---|",
        *rows,
    ]


def _storm(runs, measured, options) -> list[str]:
    s = measured.get("storm")
    if not s:
        return []
    return [
        "### Members joining a full room (presence)",
        "",
        f"{s['joined']} members who were not in the room joined it (one tab each) while "
        f"{s['in_room']} connections were in it (Commons, 1 process). Presence changes go to "
        f"a room as one `chat.presence` batch a second at most: every connection learnt of "
        f"every newcomer ({s['arrivals']:,} arrivals announced) in {s['deliveries']:,} "
        f"deliveries, all within {s['seconds']:.1f} s"
        + ("" if s["complete"] else " (NOT all arrived within 120 s)")
        + f"; the server spent {s['server_cpu']:.1f} s of CPU "
        f"({s['server_cpu'] / max(1, s['joined']) * 1000:.0f} ms per join, the join's own "
        "work included: access check, the last 50 messages, the list of who is there).",
        "",
        "Before batching, each first join was sent to the whole room at once: 50 joins into "
        "1,000 connections made 50,520 deliveries and 3.8 s of server CPU (2026-11-25 18:37), "
        "and a room filling up with 1,000 distinct members would have made 499,500.",
    ]


def _candidates(runs, measured, options) -> list[str]:
    gevent, cap = measured.get("gevent"), measured.get("gthread")
    if gevent is None and cap is None:
        return []
    winner = {r.clients: r for r in runs.get(APP_1, [])}
    lines = [
        "### Worker class candidates (Commons, 1 process, SQLite)",
        "",
        f"| gunicorn worker | Socket.IO mode | clients held | latency p50 / p99 / max "
        f"| server CPU µs per delivery at {LATENCY_RATE}/s | highest sustained rate "
        f"| SQLite lock: longest page gap |",
        "|---|---|---|---|---|---|---|",
    ]

    def rows(name, mode, results, sqlite_key):
        gap = measured.get(sqlite_key)
        for r in results:
            lines.append(
                f"| {name} | {mode} | {r.latency.clients} of {r.clients} "
                f"| {r.latency.latency_ms()} ms | {r.latency.server_us_per_delivery:.0f} "
                f"| {_rate(r)} | {_ms(gap['page_gap_lock']) if gap and r is results[0] else ''} |"
            )

    sizes = {r.clients for r in gevent or []}
    rows(
        "GeventWebSocketWorker (gunicorn.conf.py)",
        "gevent",
        [winner[n] for n in sorted(sizes) if n in winner],
        "sqlite",
    )
    rows("`-k gevent`", "threading (simple-websocket)", gevent or [], "sqlite_threading")
    if cap:
        lines.append(
            f"| `-k gthread --threads {cap['threads']}` | threading | {cap['connected']} of "
            f"{cap['wanted']} (the rest: {', '.join(cap['errors']) or '—'}) | — | — | — | — |"
        )
    lines += [
        "| `sync` | threading | 1: the 2nd client times out (ENVIRONMENT.md) | — | — | — | — |",
        "| `-k gevent` | gevent | none: the handshake fails, 500 (ENVIRONMENT.md) "
        "| — | — | — | — |",
        "",
        *_verdict(winner, {r.clients: r for r in gevent or []}, cap, measured),
    ]
    return lines


def _verdict(winner: dict, gevent: dict, cap: dict | None, measured: dict) -> list[str]:
    """Why the configured worker stays (or not), from this run's figures."""
    lines = ["The decision, from this run:"]
    biggest = max(winner.keys() & gevent.keys(), default=None)
    if biggest is not None:
        w, g = winner[biggest], gevent[biggest]
        rate_w = w.best.rate if w.best else 0
        rate_g = g.best.rate if g.best else 0
        cost_w, cost_g = w.latency.server_us_per_delivery, g.latency.server_us_per_delivery
        # The server's CPU per delivery is the steadiest figure on a shared machine; latency
        # and the highest rate move with whatever else runs on the cores.
        better = cost_g < 0.8 * cost_w and rate_g >= rate_w
        lines.append(
            f"- At {biggest:,} clients both gevent workers hold every client. "
            f"GeventWebSocketWorker: {cost_w:.0f} µs of server CPU per delivery, p99 "
            f"{_ms(w.latency.p(99))}, sustained {rate_w:g}/s; `-k gevent` with threading mode: "
            f"{cost_g:.0f} µs, p99 {_ms(g.latency.p(99))}, sustained {rate_g:g}/s. "
            + (
                "The threading-mode candidate was clearly cheaper here: measure again and "
                "consider switching."
                if better
                else "The candidate is not clearly cheaper, so the configured worker stays: it "
                "serves WebSocket frames itself (gevent-websocket), where threading mode runs "
                "simple-websocket's reader thread per connection on patched threads, one more "
                "layer and greenlet per client."
            )
        )
    if cap:
        lines.append(
            f"- gthread gives each WebSocket one of its `--threads`: with {cap['threads']}, "
            f"{cap['connected']} of {cap['wanted']} clients connected and the rest timed out. "
            "1,000 clients would need over 1,000 OS threads (ENVIRONMENT.md: the threading "
            "server used ~4 threads per client and reached a 120 ms p50 at 1,000)."
        )
    gevent_lock, threading_lock = measured.get("sqlite"), measured.get("sqlite_threading")
    if gevent_lock and threading_lock:
        lines.append(
            "- SQLite's lock (next section): under both gevent workers the process keeps "
            f"running (static files: longest gap {_ms(gevent_lock['static_gap_lock'])} and "
            f"{_ms(threading_lock['static_gap_lock'])}), and the signed-in pages' longest "
            f"gaps are {_ms(gevent_lock['page_gap_lock'])} and "
            f"{_ms(threading_lock['page_gap_lock'])}: the worker class does not decide this."
        )
    lines.append(
        "- Not candidates: the Werkzeug server (a development server), eventlet (no longer "
        "maintained), ASGI servers (Flask-SocketIO is WSGI only)."
    )
    return lines


def _sqlite(runs, measured, options) -> list[str]:
    rows = []
    for key, name in (
        ("sqlite", "GeventWebSocketWorker, gevent"),
        ("sqlite_threading", "`-k gevent`, threading"),
    ):
        m = measured.get(key)
        if not m:
            continue
        s = m["step"]
        rows.append(
            f"| {name} | {_ms(m['static_gap_lock'])} ({_ms(m['static_gap_before'])}) "
            f"| {_ms(m['page_gap_lock'])} ({_ms(m['page_gap_before'])}) "
            f"| {m['static_count_lock']} / {m['page_count_lock']} "
            f"| {m['delivered_during_lock']} | {_ms(m['delivery_gap_lock'])} "
            f"| {_ms(m['send_ack_max'])} | {s.lost} / {s.dups} / {sum(s.errors.values())} "
            f"| {m.get('static_failed', 0) + m.get('page_failed', 0)} |"
        )
    if not rows:
        return []
    return [
        "### SQLite's write lock held by another process for 2 s",
        "",
        f"With {options.clients[0]} clients in the room chatting at 20 messages/s, and a "
        "static file (signed out) and the community page (signed in) each fetched in a loop, "
        "a separate process takes "
        "SQLite's write lock (`BEGIN IMMEDIATE`) and holds it 2 s. New messages must wait for "
        "it (each is committed before its broadcast). A process stalled inside SQLite's busy "
        "handler would stop everything, the static file too, for the 2 s.",
        "",
        "| worker | longest gap between static files in the lock (before it) | between pages "
        "| static files / pages fetched in it | deliveries in it | longest delivery gap "
        "| slowest send ack | lost / dup / refused | failed requests |",
        "|---|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        "Deliveries pause for about the lock's length by design: no message can commit while "
        "it is held; the sends that waited are acknowledged and delivered when it ends. A page "
        "gap much longer than the static-file gap means the process kept running but its "
        "database requests waited (for the lock, or for a pooled connection held by a waiting "
        "sender).",
    ]


def _targets(runs, measured, options) -> list[str]:
    lines = ["### Targets (issue 5)", ""]
    one = {r.clients: r for r in runs.get(APP_1, [])}
    base = {r.clients: r for r in runs.get(BASE_1, [])}
    if 1000 in one:
        p99 = one[1000].latency.p(99)
        context = (
            f" (the bare baseline, same run: {_ms(base[1000].latency.p(99))})"
            if 1000 in base
            else ""
        )
        lines.append(
            f"- p99 delivery under 250 ms at 1,000 clients on one process: {_ms(p99)}{context}"
            " — " + ("met" if p99 < 0.25 else "NOT met")
        )
    steps = [s for rs in runs.values() for r in rs for s in (r.latency, r.best) if s]
    clean = all(s.lost == 0 and s.dups == 0 for s in steps)
    lines.append(
        "- Zero lost or duplicated at the latency rate and at every sustained rate: "
        + ("met" if clean else "NOT met (see every step)")
    )
    ratios = [
        (r.clients, r.best.rate / base[r.clients].best.rate)
        for r in runs.get(APP_1, [])
        if r.best and r.clients in base and base[r.clients].best
    ]
    if ratios:
        lines.append(
            "- Fan-out throughput ≥ 50% of the bare baseline (1 process): "
            + ", ".join(
                f"{n} clients {ratio:.2f} ({'met' if ratio >= 0.5 else 'NOT met'})"
                for n, ratio in ratios
            )
        )
    if "pages" in measured:
        p99 = percentile(measured["pages"]["latencies"], 99)
        lines.append(
            f"- Page p99 under 500 ms with {measured['pages']['chat'].clients} chat clients "
            f"connected: {_ms(p99)} — " + ("met" if p99 < 0.5 else "NOT met")
        )
    return lines


def _notes(runs, measured, options) -> list[str]:
    problems = measured.get("problems") or []
    before, after = measured.get("load_before"), measured.get("load_after")
    lines = [
        "### Notes",
        "",
        "- The load generator shares the 2 cores: where the clients' CPU column nears "
        f"{options.client_processes * 100}%, a rate is the clients' limit as much as the "
        "server's; the efficiency ratio does not depend on it.",
    ]
    if before and after:
        lines.append(
            f"- Machine load average (1 min) {before[0]:.1f} before the run, {after[0]:.1f} "
            "after it: anything else running on the 2 cores lowers every figure above."
        )
    lines.append(
        "- Server logs: "
        + ("; ".join(problems) if problems else "no tracebacks, lock errors or timeouts.")
    )
    return lines


def main(argv: list[str]) -> str:
    return run(Options.parse(argv))
