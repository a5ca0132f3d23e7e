"""Issue 14: a big digest batch building in the embedded job loop does not stall the pages.

The digests job is registered heavy (community/digests/jobs.py): under the gevent server the
loop runs it in a process of its own, and the hub goes on serving while the batch renders.
Run on the hub instead, on SQLite it holds every page until the whole batch is built (one load
of about 5 s where the limit is 0.5 s); on PostgreSQL the hub gets a turn at each query, so
pages wait only for a chunk's rendering (1 to 2 s), which a busy machine's idle p95 can hide.

The network is bench/digests.py's (here 1,500 members on weekly digests, a week of activity),
written to the server's database before it starts, with the job not due; the test then makes
its schedule row due, as five minutes would. Page loads are timed idle first, then while the
batch builds, on the same server in the same run.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from itertools import cycle

import pytest
import requests
from sqlalchemy import func, select, update

from bench.digests import _make_network
from community.accounts.models import User
from community.communities.models import Community, Membership
from community.db import atomic, utcnow
from community.digests.models import Digest
from community.events.models import Event
from community.extensions import db
from community.jobs import ScheduledJob, ensure_rows, registered_jobs
from community.mail import OutboundMail
from community.resources.models import Resource, ResourceCommunity
from community.threads.models import Post, Thread
from tests.conftest import make_test_app
from tests.live.conftest import (
    assert_clean_log,
    copy_instance,
    flask_cli,
    free_port,
    new_database,
    p95,
    running_server,
    server_env,
)

pytestmark = pytest.mark.slow

MEMBERS = 800  # enough for the build to outlast MIN_SAMPLES page loads several times over
BENCH_MEMBERS = "%@bench.example"
JOB = "digests"
IDLE_SAMPLES = 40
MIN_SAMPLES = 10
STALL_FLOOR = 0.5  # seconds: below this, a slower page is noise on a busy machine, no stall


@contextmanager
def server_database(kind: str, prepared_instance, tmp_path_factory) -> Iterator[tuple[dict, str]]:
    """The server's environment and its database's URL, migrated and seeded as `make run`
    does: the instance's SQLite file, or a new PostgreSQL database (dropped after)."""
    if kind == "sqlite":
        instance_dir = copy_instance(prepared_instance, tmp_path_factory, "digests-instance")
        yield server_env(instance_dir, free_port()), f"sqlite:///{instance_dir / 'commons.db'}"
        return
    with new_database("digests") as url:
        env = server_env(tmp_path_factory.mktemp("digests-instance"), free_port())
        env.update(DATABASE_URL=url, SECRET_KEY="digests-live-test", JOBS_IN_PROCESS="1")
        flask_cli(env, "db", "upgrade")
        flask_cli(env, "seed")
        yield env, url


def make_network() -> None:
    _make_network(
        db,
        (User, Membership, Community, Thread, Post, Resource, ResourceCommunity, Event),
        MEMBERS,
    )
    with atomic():
        # Monday 00:00 local: every member's delivery time has come, whenever this runs.
        db.session.execute(
            update(User).where(User.email.like(BENCH_MEMBERS)).values(digest_day=0, digest_hour=0)
        )
    ensure_rows(registered_jobs())
    set_digests_due_at(utcnow() + timedelta(days=1))  # not at the server's start


def set_digests_due_at(when) -> None:
    with atomic():
        db.session.execute(
            update(ScheduledJob).where(ScheduledJob.name == JOB).values(next_run_at=when)
        )


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def digests_server(request, prepared_instance, tmp_path_factory):
    """The production server on a database holding the network, and an app context on the
    same database beside it (the test's view of what the server's job wrote)."""
    with server_database(request.param, prepared_instance, tmp_path_factory) as (env, url):
        app = make_test_app(url, tmp_path_factory.mktemp("side-instance"))
        with app.app_context():
            try:
                make_network()
                with running_server(env) as server:
                    yield server
            finally:
                db.session.remove()
                db.engine.dispose()


def digests_job():
    db.session.rollback()  # a fresh snapshot: what the server has written since
    return db.session.execute(
        select(
            ScheduledJob.claimed_by, ScheduledJob.last_finished_at, ScheduledJob.last_error
        ).where(ScheduledJob.name == JOB)
    ).one()


def wait_for_the_claim(server, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while (job := digests_job()).claimed_by is None and job.last_finished_at is None:
        assert time.monotonic() < deadline, f"the loop did not take the job:\n{server.log()}"
        time.sleep(0.05)


def load(session: requests.Session, url: str) -> float:
    began = time.monotonic()
    response = session.get(url, timeout=60)
    seconds = time.monotonic() - began
    assert response.status_code == 200, url
    return seconds


def describe(name: str, seconds: list[float]) -> str:
    worst = max(seconds)
    return f"{name}: n={len(seconds)} p95={p95(seconds) * 1000:.0f}ms max={worst * 1000:.0f}ms"


def test_pages_answer_while_a_big_digest_batch_builds(digests_server):
    server = digests_server
    slug = db.session.scalar(select(Community.slug).order_by(Community.position))
    pages = cycle([f"{server.url}/", f"{server.url}/c/{slug}"])
    assert digests_job().last_finished_at is None  # not run at the server's start

    with requests.Session() as visitor:
        idle = [load(visitor, next(pages)) for _ in range(IDLE_SAMPLES)]
        set_digests_due_at(utcnow() - timedelta(minutes=1))
        wait_for_the_claim(server)
        began = time.monotonic()
        building = []
        while digests_job().claimed_by is not None:
            building.append(load(visitor, next(pages)))
        built_in = time.monotonic() - began

    print(f"\n{MEMBERS} digests built in {built_in:.1f}s")
    print(describe("page GET idle", idle))
    job = digests_job()
    assert job.last_finished_at is not None
    assert job.last_error is None
    assert building, f"no page loaded while the batch built:\n{server.log()}"
    print(describe("page GET while building", building))
    limit = max(10 * p95(idle), STALL_FLOOR)
    assert p95(building) <= limit, describe("while building", building)
    assert len(building) >= MIN_SAMPLES, f"the build took {built_in:.1f}s: make more members"

    mailed = (
        select(func.count())
        .select_from(Digest)
        .join(User, User.id == Digest.user_id)
        .join(OutboundMail, OutboundMail.id == Digest.mail_id)
        .where(User.email.like(BENCH_MEMBERS), OutboundMail.to_addr == User.email)
    )
    assert db.session.scalar(mailed) == MEMBERS
    assert_clean_log(server.log())
