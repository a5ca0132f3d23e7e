"""SQLite under the production server's gevent worker: many writers at once, readers alongside.

Writers wait for SQLite's write lock cooperatively (community/db.py); if one ever waited inside
SQLite's C busy handler instead, it would stall every greenlet of the process, including the
one holding the lock, and requests would fail with "database is locked". Timings are printed,
never asserted.
"""

import sqlite3
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, select

from community.communities.models import Community, Membership
from community.extensions import db
from tests.conftest import make_test_app
from tests.factories import PASSWORD, make_user
from tests.live.conftest import assert_clean_log, csrf_token, p95

pytestmark = pytest.mark.slow

WRITERS = 25  # each signs in (the login limit is 30 a minute per address)


@pytest.fixture(scope="module")
def database(live_server, tmp_path_factory):
    """An app context on the live server's own database file, next to the running server."""
    url = f"sqlite:///{live_server.instance_dir / 'commons.db'}"
    app = make_test_app(url, tmp_path_factory.mktemp("side-instance"))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def summary(name: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return (
        f"{name}: n={len(ms)} p50={statistics.median(ms):.0f}ms p95={p95(ms):.0f}ms "
        f"max={max(ms):.0f}ms"
    )


def test_concurrent_writes_all_succeed_while_pages_keep_loading(live_server, database):
    emails = [f"writer{n}@example.org" for n in range(WRITERS)]
    for email in emails:  # made through the real actions, while the server runs
        make_user(email=email)
    slugs = list(db.session.scalars(select(Community.slug).order_by(Community.position)))
    db.session.remove()
    assert len(slugs) == 7

    with ThreadPoolExecutor(WRITERS) as pool:
        sessions = list(pool.map(live_server.sign_in, emails, [PASSWORD] * WRITERS))

    start = threading.Barrier(WRITERS + 1)
    done = threading.Event()
    write_times: list[float] = []
    read_times: list[float] = []
    read_statuses: list[int] = []

    def join_everything(session: requests.Session) -> list[int]:
        token = csrf_token(session, f"{live_server.url}/c/{slugs[0]}")
        start.wait()
        statuses = []
        for slug in slugs:
            began = time.monotonic()
            response = session.post(
                f"{live_server.url}/c/{slug}/join",
                data={"csrf_token": token},
                allow_redirects=False,
                timeout=60,
            )
            write_times.append(time.monotonic() - began)
            statuses.append(response.status_code)
        return statuses

    def read_pages() -> None:
        start.wait()
        with requests.Session() as reader:
            while not done.is_set():
                for path in ("/", f"/c/{slugs[1]}", "/healthz"):
                    began = time.monotonic()
                    response = reader.get(f"{live_server.url}{path}", timeout=60)
                    read_times.append(time.monotonic() - began)
                    read_statuses.append(response.status_code)

    reader_thread = threading.Thread(target=read_pages)
    reader_thread.start()
    began = time.monotonic()
    try:
        with ThreadPoolExecutor(WRITERS) as pool:
            results = list(pool.map(join_everything, sessions))
    finally:
        done.set()
        reader_thread.join(60)
        for session in sessions:
            session.close()
    elapsed = time.monotonic() - began

    print(f"\n{WRITERS} writers x {len(slugs)} joins in {elapsed:.2f}s")
    print(summary("join POST", write_times))
    print(summary("page GET while writing", read_times))

    assert results == [[302] * len(slugs)] * WRITERS
    assert set(read_statuses) == {200}
    assert_clean_log(live_server.log())

    # Every join was saved once, and the counters kept up with all of them.
    db.session.remove()
    joined = db.session.scalar(
        select(func.count()).select_from(Membership).where(Membership.role == "member")
    )
    assert joined == WRITERS * len(slugs)
    for community in db.session.scalars(select(Community)):
        members = db.session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(Membership.community_id == community.id)
        )
        assert community.member_count == members, community.slug


def test_a_writer_waiting_for_the_lock_does_not_stall_the_server(live_server, database):
    """Another process (a CLI command, `flask jobs run`) holds the write lock. A request that
    wants to write waits for it, and meanwhile the server goes on answering everyone else.

    Inside one gevent process writers rarely meet, because a greenlet does not yield between
    BEGIN and COMMIT; across processes they do. Were the wait in SQLite's C busy handler,
    the whole process would freeze, the pages below would not come back until the busy
    timeout, and the waiting write would fail with "database is locked".
    """
    user = make_user(email="patient.writer@example.org")
    slug = db.session.scalar(select(Community.slug).order_by(Community.position))
    db.session.remove()
    session = live_server.sign_in(user.email, PASSWORD)
    token = csrf_token(session, f"{live_server.url}/c/{slug}")

    holder = sqlite3.connect(live_server.instance_dir / "commons.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    served_while_locked: list[int] = []
    with ThreadPoolExecutor(1) as pool:
        try:
            write = pool.submit(
                session.post,
                f"{live_server.url}/c/{slug}/join",
                data={"csrf_token": token},
                allow_redirects=False,
                timeout=60,
            )
            # Pages for a while, long enough for the write to reach BEGIN and wait there.
            window = time.monotonic() + 1.5
            with requests.Session() as reader:
                while time.monotonic() < window:
                    for path in ("/healthz", "/"):
                        served_while_locked.append(
                            reader.get(f"{live_server.url}{path}", timeout=60).status_code
                        )
            assert not write.done(), "the write did not wait for the lock"
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        status = write.result(timeout=60).status_code
    session.close()

    print(f"\n{len(served_while_locked)} pages served while another process held the lock")
    assert status == 302
    assert set(served_while_locked) == {200}
    assert_clean_log(live_server.log())


def test_registration_requests_at_once_all_succeed(live_server):
    """The registration form's full write path (account, mail queue) at once from several
    visitors; the per-address limit allows ten an hour."""

    def register(n: int) -> int:
        with requests.Session() as session:
            token = csrf_token(session, f"{live_server.url}/auth/register")
            response = session.post(
                f"{live_server.url}/auth/register",
                data={
                    "csrf_token": token,
                    "email": f"newcomer{n}@example.org",
                    "display_name": f"Newcomer {n}",
                    "organisation": "other",
                    "organisation_other": "Riverside Enterprise",
                    "password": "correct horse battery",
                    "confirm": "correct horse battery",
                },
                timeout=60,
            )
            return response.status_code

    with ThreadPoolExecutor(10) as pool:
        statuses = list(pool.map(register, range(10)))
    assert statuses == [200] * 10
    assert_clean_log(live_server.log())
