"""Digest benchmark: build, queue and send the weekly digests of 5,000 members with a week of
activity to a local aiosmtpd sink, against a baseline measured in the same run: smtplib
sending 5,000 ready-made messages of the same size to the same sink over one connection.

The data is made with plain inserts (a real network's shape: seven communities, members in
two or three each, a week of threads, replies, resources and events), in a temporary SQLite
database migrated to head and seeded as `make run` does.
"""

import os
import random
import resource
import smtplib
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

from aiosmtpd.controller import Controller
from sqlalchemy import event, insert, select

from .harness import free_port, write_section

MEMBERS = int(os.environ.get("BENCH_DIGEST_MEMBERS", "5000"))
THREADS_PER_COMMUNITY = 40
REPLIES_PER_THREAD = 6
RESOURCES_PER_COMMUNITY = 6
EVENTS_PER_COMMUNITY = 2
HASH = "$argon2id$v=19$m=65536,t=3,p=4$benchbenchbench$" + "a" * 43  # never checked


class CountingSink:
    def __init__(self):
        self.count = 0
        self.bytes = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            self.bytes += len(envelope.original_content or envelope.content)
        return "250 OK"


def _make_network(db, models, members: int = MEMBERS) -> None:
    """`members` members on weekly digests, with a week of activity in the seeded network
    (also the data of tests/live/test_digests_live.py)."""
    User, Membership, Community, Thread, Post, Resource, ResourceCommunity, Event = models
    rng = random.Random(7)
    from community.db import utcnow

    start = utcnow() - timedelta(days=6)
    communities = list(db.session.scalars(select(Community.id)))
    users = [
        dict(
            email=f"member{i}@bench.example",
            display_name=f"Member {i}",
            sort_name=f"member {i}",
            password_hash=HASH,
            verified_at=start,
            timezone="Europe/London",
            digest_frequency="weekly",
        )  # fmt: skip
        for i in range(members)
    ]
    db.session.execute(insert(User), users)
    user_ids = list(db.session.scalars(select(User.id).order_by(User.id)))
    db.session.execute(
        insert(Membership),
        [
            dict(user_id=uid, community_id=cid, role="member")
            for uid in user_ids
            for cid in rng.sample(communities, rng.choice((2, 3)))
        ],
    )
    for cid in communities:
        for t in range(THREADS_PER_COMMUNITY):
            at = start + timedelta(minutes=rng.randrange(6 * 24 * 60))
            author = rng.choice(user_ids)
            thread_id = db.session.execute(
                insert(Thread).values(
                    community_id=cid,
                    author_id=author,
                    title=f"Thread {t} about social value in tenders",
                    post_count=REPLIES_PER_THREAD + 1,
                    last_number=REPLIES_PER_THREAD + 1,
                    created_at=at,
                    last_post_at=at,
                )  # fmt: skip
            ).inserted_primary_key[0]
            db.session.execute(
                insert(Post),
                [
                    dict(
                        thread_id=thread_id,
                        number=n + 1,
                        author_id=rng.choice(user_ids),
                        source="A reply with some words.",
                        html="<p>A reply with some words.</p>",
                        created_at=at + timedelta(minutes=n),
                    )  # fmt: skip
                    for n in range(REPLIES_PER_THREAD + 1)
                ],
            )
        for r in range(RESOURCES_PER_COMMUNITY):
            rid = db.session.execute(
                insert(Resource).values(
                    title=f"Toolkit {cid}-{r}",
                    kind="toolkit",
                    status="published",
                    featured=r == 0,
                    published_at=start + timedelta(hours=r),
                    submitter_id=rng.choice(user_ids),
                )  # fmt: skip
            ).inserted_primary_key[0]
            db.session.execute(insert(ResourceCommunity).values(resource_id=rid, community_id=cid))
        for e in range(EVENTS_PER_COMMUNITY):
            begins = utcnow() + timedelta(days=2 + e)
            db.session.execute(
                insert(Event).values(
                    title=f"Networking day {cid}-{e}",
                    community_id=cid,
                    starts_at=begins,
                    ends_at=begins + timedelta(hours=2),
                    timezone="Europe/London",
                    location="Newport",
                )  # fmt: skip
            )
    db.session.commit()


def _baseline(port: int, message: bytes) -> float:
    """Seconds for smtplib to send MEMBERS ready-made messages over one connection."""
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as client:
        for i in range(MEMBERS):
            client.sendmail("commons@bench.example", [f"member{i}@bench.example"], message)
    return time.perf_counter() - started


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run() -> str:
    from community import create_app
    from community.extensions import db

    sink = CountingSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            app = create_app({
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(tmp) / 'bench.db'}",
                "INSTANCE_DIR": tmp, "SECRET_KEY": "bench", "LOG_LEVEL": "WARNING",
                "SMTP_URL": f"smtp://127.0.0.1:{port}", "MAIL_BATCH_SIZE": 500,
                "SITE_URL": "https://commons.example",
            })  # fmt: skip
            with app.app_context():
                return _measure(app, db, sink, port)
    finally:
        controller.stop()


def _measure(app, db, sink, port) -> str:
    from flask_migrate import upgrade

    from community.accounts.models import User
    from community.communities.models import Community, Membership
    from community.digests import build
    from community.events.models import Event
    from community.mail import OutboundMail, build_message, send_queued
    from community.resources.models import Resource, ResourceCommunity
    from community.seed import seed
    from community.threads.models import Post, Thread

    upgrade()
    seed()
    _make_network(db, (User, Membership, Community, Thread, Post, Resource, ResourceCommunity,
                       Event))  # fmt: skip

    statements = [0]
    event.listen(
        db.engine, "before_cursor_execute", lambda *a: statements.__setitem__(0, statements[0] + 1)
    )
    rss = []
    started = time.perf_counter()
    summary = build.send_digests(whatever_the_hour=True, progress=lambda _n: rss.append(_rss_mb()))
    built = time.perf_counter() - started
    build_statements = statements[0]
    sample = db.session.scalar(select(OutboundMail).order_by(OutboundMail.id.desc()))
    message = build_message(sample, app.config["MAIL_FROM"]).data
    db.session.rollback()
    send_started = time.perf_counter()
    while send_queued():
        pass
    sent = time.perf_counter() - send_started
    print(f"built in {built:.1f} s ({summary.line()}), sent in {sent:.1f} s", flush=True)
    delivered = sink.count
    total = built + sent

    sink.count = 0
    baseline = _baseline(port, message)
    commons_rate = delivered / total
    baseline_rate = MEMBERS / baseline
    middle = rss[len(rss) // 2] if rss else 0
    rows = [
        (
            "build and queue (" + summary.line() + ")",
            built,
            f"{summary.queued / built:.0f} digests/s",
        ),
        ("send through SMTP (the mail job's `send_queued`)", sent, f"{delivered / sent:.0f}/s"),
        (f"**Commons: all {delivered:,} delivered**", total, f"**{commons_rate:.0f}/s**"),
        (
            f"baseline: smtplib, {MEMBERS:,} ready-made messages of {len(message):,} bytes, one "
            "connection",
            baseline,
            f"{baseline_rate:.0f}/s",
        ),
    ]
    per_digest = build_statements / max(summary.queued + summary.empty, 1)
    return "\n".join([
        f"{MEMBERS:,} members on weekly digests (two or three of the seven communities each), a "
        f"week of activity: {THREADS_PER_COMMUNITY} threads per community with "
        f"{REPLIES_PER_THREAD} replies each, {RESOURCES_PER_COMMUNITY} resources and "
        f"{EVENTS_PER_COMMUNITY} events per community. SQLite, one process; the sink is aiosmtpd "
        f"on loopback in the same process (its own thread).",
        "",
        "| step | time | rate |",
        "|---|---|---|",
        *(f"| {label} | {seconds:.1f} s | {rate} |" for label, seconds, rate in rows),
        "",
        f"Throughput ratio to the baseline: **{commons_rate / baseline_rate:.2f}** "
        f"(target at least 0.30); all delivered in {total:.1f} s (target under 60 s).",
        f"SQL statements while building: {build_statements:,}, {per_digest:.1f} per digest "
        f"(per chunk of {build.CHUNK} members a fixed handful; per digest the claim, the mail "
        "and its link).",
        f"Peak RSS after the first chunk {rss[0] if rss else 0:.0f} MB, half-way {middle:.0f} "
        f"MB, at the end {rss[-1] if rss else 0:.0f} MB.",
    ])  # fmt: skip


def main(_argv=None) -> str:
    body = run()
    write_section("Digests", body)
    return body
