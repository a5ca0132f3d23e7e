"""Transactions (`atomic`), and SQLite set up for concurrent use: WAL, foreign keys, BEGIN
IMMEDIATE for writers, and a cooperative wait for the write lock."""

import sqlite3
import threading
import time

import pytest
from sqlalchemy import exc, func, select, text

from community import db as db_module
from community.accounts.actions import create_organisation
from community.accounts.models import Organisation
from community.db import atomic
from community.extensions import db
from tests.conftest import make_test_app


def committed_names() -> set[str]:
    """Organisation names as another connection sees them: only what has been committed."""
    with db.engine.connect() as conn:
        names = set(conn.scalars(select(Organisation.name)))
        conn.rollback()
    return names


def raw_sqlite(app) -> sqlite3.Connection:
    """A plain sqlite3 connection to the app's database file, that never waits for a lock."""
    path = db.engine.url.database
    conn = sqlite3.connect(path, timeout=0, isolation_level=None, check_same_thread=False)
    return conn


def run_in_thread(app, target, errors: list) -> threading.Thread:
    def body():
        try:
            with app.app_context():
                target()
        except BaseException as e:  # reported by the test, not lost in the thread
            errors.append(e)

    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    return thread


# --- atomic(), on both databases ------------------------------------------------------------


def test_atomic_commits_on_success(app):
    with atomic():
        create_organisation(name="Riverside Enterprise")
    assert committed_names() == {"Riverside Enterprise"}


def fail_in_transaction(*names: str, nested: bool = False) -> None:
    """Write organisations (the last one in a nested block) inside atomic(), then fail."""
    with atomic():
        for name in names[:-1]:
            create_organisation(name=name)
        db.session.flush()
        if nested:
            with atomic():
                create_organisation(name=names[-1])
                raise LookupError("failed in the nested block")
        create_organisation(name=names[-1])
        db.session.flush()
        raise LookupError("failed")


def test_atomic_rolls_back_on_an_exception_and_the_session_stays_usable(app):
    with pytest.raises(LookupError, match="failed"):
        fail_in_transaction("Never Saved")
    assert committed_names() == set()
    assert db.session.scalar(select(func.count()).select_from(Organisation)) == 0
    with atomic():
        create_organisation(name="Saved Later")
    assert committed_names() == {"Saved Later"}


def test_nested_atomic_joins_the_outer_transaction(app):
    with atomic():
        create_organisation(name="Outer")
        with atomic():
            create_organisation(name="Inner")
            db.session.flush()
        assert committed_names() == set()  # leaving the inner block committed nothing
    assert committed_names() == {"Outer", "Inner"}


def test_an_error_in_a_nested_block_rolls_back_the_whole_transaction(app):
    with pytest.raises(LookupError, match="nested block"):
        fail_in_transaction("Outer", "Inner", nested=True)
    assert committed_names() == set()


def test_atomic_after_reads_starts_a_fresh_transaction(app):
    with atomic():
        create_organisation(name="First")
    assert db.session.scalar(select(func.count()).select_from(Organisation)) == 1  # a read
    assert db.session().in_transaction()
    with atomic():
        create_organisation(name="Second")
    assert committed_names() == {"First", "Second"}


# --- SQLite ----------------------------------------------------------------------------------


@pytest.mark.sqlite_only
def test_every_sqlite_connection_has_wal_and_foreign_keys(app):
    connections = [db.engine.connect() for _ in range(3)]  # three pooled connections at once
    try:
        for conn in connections:
            assert conn.scalar(text("PRAGMA journal_mode")) == "wal"
            assert conn.scalar(text("PRAGMA foreign_keys")) == 1
            assert conn.scalar(text("PRAGMA busy_timeout")) == db_module.SQLITE_BUSY_TIMEOUT_MS
    finally:
        for conn in connections:
            conn.close()


@pytest.mark.sqlite_only
def test_sqlite_enforces_foreign_keys(app):
    with pytest.raises(exc.IntegrityError, match="FOREIGN KEY"), atomic():
        db.session.execute(
            text(
                "INSERT INTO membership (user_id, community_id, role, created_at) "
                "VALUES (999, 999, 'member', CURRENT_TIMESTAMP)"
            )
        )


@pytest.mark.sqlite_only
def test_a_write_transaction_takes_the_lock_at_begin(app):
    other = raw_sqlite(app)
    try:
        db.session.scalar(select(func.count()).select_from(Organisation))  # a read holds no lock
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")

        with atomic():
            # Nothing written yet, and already no other writer can begin.
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            create_organisation(name="Holder")
        other.execute("BEGIN IMMEDIATE")  # free again after the commit
        other.execute("ROLLBACK")
    finally:
        other.close()


@pytest.mark.sqlite_only
def test_two_writers_take_turns_and_both_commit(app):
    events: list[str] = []
    errors: list[BaseException] = []
    a_inside, b_starting, a_may_finish = threading.Event(), threading.Event(), threading.Event()

    def writer_a():
        with atomic():
            events.append("A in")
            create_organisation(name="Writer A")
            db.session.flush()
            a_inside.set()
            assert a_may_finish.wait(10)
            events.append("A commits")

    def writer_b():
        assert a_inside.wait(10)
        b_starting.set()
        with atomic():  # waits here, at BEGIN, until A has committed
            events.append("B in")
            create_organisation(name="Writer B")
        events.append("B committed")

    a = run_in_thread(app, writer_a, errors)
    b = run_in_thread(app, writer_b, errors)
    assert b_starting.wait(10)
    time.sleep(0.3)  # give B time to reach BEGIN; with a deferred BEGIN it would get in now
    a_may_finish.set()
    a.join(20)
    b.join(20)

    assert errors == []
    assert events == ["A in", "A commits", "B in", "B committed"]
    assert committed_names() == {"Writer A", "Writer B"}


@pytest.mark.sqlite_only
def test_many_writers_at_once_all_commit(app):
    errors: list[BaseException] = []
    start = threading.Barrier(12)

    def writer(n: int):
        def body():
            start.wait()
            for round_ in range(5):
                with atomic():
                    create_organisation(name=f"Writer {n} round {round_}")

        return body

    threads = [run_in_thread(app, writer(n), errors) for n in range(12)]
    for t in threads:
        t.join(60)
    assert errors == []
    assert len(committed_names()) == 60


@pytest.mark.sqlite_only
def test_reads_go_on_while_a_writer_holds_the_lock(app):
    with atomic():
        create_organisation(name="Already There")
    errors: list[BaseException] = []
    holding, release = threading.Event(), threading.Event()

    def writer():
        with atomic():
            create_organisation(name="Not Yet Committed")
            db.session.flush()
            holding.set()
            assert release.wait(10)

    thread = run_in_thread(app, writer, errors)
    try:
        assert holding.wait(10)
        db.session.remove()
        names = set(db.session.scalars(select(Organisation.name)))  # not inside atomic()
        assert names == {"Already There"}
    finally:
        release.set()
        thread.join(10)
    assert errors == []
    db.session.remove()
    assert set(db.session.scalars(select(Organisation.name))) == {
        "Already There",
        "Not Yet Committed",
    }


@pytest.mark.sqlite_only
def test_waiting_for_the_write_lock_gives_up_at_the_deadline(app, monkeypatch):
    monkeypatch.setattr(db_module, "SQLITE_LOCK_WAIT_SECONDS", 0.2)
    other = raw_sqlite(app)
    try:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(exc.OperationalError, match="locked"), atomic():
            create_organisation(name="Too Late")
        other.execute("ROLLBACK")
    finally:
        other.close()
    db.session.remove()
    with atomic():  # the connection went back to the pool in a usable state
        create_organisation(name="In Time")
        assert db.session.scalar(text("PRAGMA busy_timeout")) == db_module.SQLITE_BUSY_TIMEOUT_MS
    assert committed_names() == {"In Time"}


@pytest.mark.sqlite_only
def test_writers_waiting_for_the_lock_leave_pooled_connections_to_readers(app, tmp_path):
    """Another process holds SQLite's write lock: this process's waiting writers queue for
    their turn without a connection, so a read still gets one from a small pool."""
    pool = {"pool_size": 2, "max_overflow": 0, "pool_timeout": 2}
    small = make_test_app(db.engine.url.render_as_string(), tmp_path / "small",
                          SQLALCHEMY_ENGINE_OPTIONS=pool)  # fmt: skip
    other = raw_sqlite(app)
    errors: list[BaseException] = []
    other.execute("BEGIN IMMEDIATE")
    try:

        def writer(n: int):
            def body():
                with atomic():
                    create_organisation(name=f"Waited {n}")

            return body

        threads = [run_in_thread(small, writer(n), errors) for n in range(4)]
        with small.app_context():
            deadline = time.monotonic() + 10
            while db.engine.pool.checkedout() == 0 and time.monotonic() < deadline:
                time.sleep(0.01)  # the first writer has a connection, waiting for SQLite
        time.sleep(0.2)  # and the others have queued (for their turn, or the pool)
        with small.app_context(), db.engine.connect() as conn:  # times out if they held the pool
            assert conn.scalar(select(func.count(Organisation.id))) == 0
    finally:
        other.execute("ROLLBACK")
        other.close()
    for t in threads:
        t.join(20)
    with small.app_context():
        db.engine.dispose()
    assert errors == []
    assert committed_names() == {f"Waited {n}" for n in range(4)}


@pytest.mark.sqlite_only
def test_the_planner_statistics_job_analyses_the_tables(app, communities):
    from community.dbstats import refresh_statistics
    from tests.factories import make_user
    from tests.threads.helpers import start

    ada = make_user("Ada Lovelace", communities=("procurement",))
    for i in range(3):
        start(ada, title=f"Thread {i}")

    assert refresh_statistics() == "analysed"

    analysed = set(db.session.scalars(text("SELECT DISTINCT tbl FROM sqlite_stat1")))
    assert {"thread", "thread_read", "post"} <= analysed
