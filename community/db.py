"""Transactions: `atomic()` at the edge, and SQLite set up for concurrent use.

SQLite: every connection runs in WAL mode with foreign keys on. Python's sqlite3 module is put in
autocommit mode so that we emit BEGIN ourselves: read transactions BEGIN DEFERRED, and
transactions opened by `atomic()` BEGIN IMMEDIATE, taking the write lock up front. Waiting for
that lock happens in Python with `time.sleep`, not in SQLite's C busy handler: under gevent the
C handler would block every greenlet in the process, including the one holding the lock.
"""

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from .extensions import db

WRITE_INTENT = "commons_write"
SQLITE_LOCK_WAIT_SECONDS = 15.0
SQLITE_BUSY_TIMEOUT_MS = 5000


def utcnow() -> datetime:
    """Now, in UTC, as a naive datetime: every stored time is UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


@contextmanager
def atomic() -> Iterator[None]:
    """Run the block in one write transaction: commit on success, roll back on any error.

    The code at the edge (a view, socket handler, CLI command or job) owns the transaction;
    actions inside never commit. Nested use joins the outer transaction.
    """
    session = db.session()  # the scoped session's Session for this context
    if session.info.get("atomic"):
        yield
        return
    if session.in_transaction():
        # A read transaction may already be open (e.g. loading current_user). End it so the
        # write transaction starts fresh and, on SQLite, takes the write lock up front.
        session.commit()
    with _process_writer_turn(session.get_bind()):
        session.info["atomic"] = True
        try:
            session.connection(execution_options={WRITE_INTENT: True})
            yield
            session.commit()
        except BaseException:
            session.rollback()
            session.info.pop(AFTER_ATOMIC, None)
            raise
        finally:
            session.info.pop("atomic", None)
    for work in session.info.pop(AFTER_ATOMIC, []):
        work()


# Work queued in session.info by after-commit hooks (community/realtime.py: the broadcasts),
# run once `atomic()` has let the next writer in.
AFTER_ATOMIC = "after_atomic"


_writer_locks: dict[str, threading.Lock] = {}
_writer_locks_guard = threading.Lock()


@contextmanager
def _process_writer_turn(engine: Engine) -> Iterator[None]:
    """On SQLite, one write transaction at a time per database in this process, waited for
    before taking a pooled connection. SQLite allows one writer anyway; without this, every
    writer waiting for the lock would hold a connection, and a few dozen waiting chat
    messages would leave none for the pages' reads. (Other processes: `_begin_immediate`.)"""
    if engine.dialect.name != "sqlite":
        yield
        return
    with _writer_locks_guard:
        lock = _writer_locks.setdefault(str(engine.url), threading.Lock())
    # A threading.Lock is cooperative once gevent has patched the process (the gunicorn worker).
    if not lock.acquire(timeout=SQLITE_LOCK_WAIT_SECONDS):
        raise OperationalError("BEGIN IMMEDIATE", None, TimeoutError("database is locked"))
    try:
        yield
    finally:
        lock.release()


def _begin_immediate(dbapi_conn: sqlite3.Connection) -> None:
    deadline = time.monotonic() + SQLITE_LOCK_WAIT_SECONDS
    delay = 0.001
    dbapi_conn.execute("PRAGMA busy_timeout = 0")
    try:
        while True:
            try:
                dbapi_conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc):
                    raise
                if time.monotonic() > deadline:
                    # Raised as SQLAlchemy raises every other driver error, so callers that
                    # handle `sqlalchemy.exc.OperationalError` handle this one too.
                    raise OperationalError("BEGIN IMMEDIATE", None, exc) from exc
            time.sleep(delay)  # cooperative under gevent
            delay = min(delay * 2, 0.02)
    finally:
        dbapi_conn.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")


def configure_sqlite(engine: Engine) -> None:
    """Install the connection and BEGIN hooks on a SQLite engine."""

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        dbapi_conn.execute("PRAGMA journal_mode = WAL")
        dbapi_conn.execute("PRAGMA synchronous = NORMAL")
        dbapi_conn.execute("PRAGMA foreign_keys = ON")
        dbapi_conn.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")

    @event.listens_for(engine, "begin")
    def on_begin(conn):
        dbapi_conn = conn.connection.driver_connection
        if conn.get_execution_options().get(WRITE_INTENT):
            _begin_immediate(dbapi_conn)
        else:
            dbapi_conn.execute("BEGIN")


# Full-text search objects that the migrations make by hand, per backend (see
# community/search/models.py); Alembic's model comparison must leave them alone.
FULL_TEXT_TABLE_PREFIX = "search_fts"
FULL_TEXT_NAMES = frozenset(
    {"search_vector", "ix_search_document_vector", "ix_search_document_title"}
)


def include_in_autogenerate(name: str | None, type_: str, _parent_names) -> bool:
    if type_ == "table" and name and name.startswith(FULL_TEXT_TABLE_PREFIX):
        return False
    return name not in FULL_TEXT_NAMES


def insert_for_session(model):
    """INSERT for `model` in the session's dialect, so `.on_conflict_do_nothing()` (the way
    a row is claimed once, whichever writer raced) works on PostgreSQL and SQLite alike."""
    from .extensions import db

    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model)


# --- reads remembered for the rest of a request ---------------------------------------------

_MEMO = "_request_memo"
_MISSING = object()


def remembered(name: str, key, load):
    """`load()`, asked once per request for the same `name` and `key` (a page asks who the
    reader is in a community from many places). Forgotten whenever the session flushes,
    commits or rolls back: a read made before a write may not hold after it. Outside a
    request (jobs, the command line) it loads each time."""
    from flask import g, has_request_context

    if not has_request_context():
        return load()
    memo = g.setdefault(_MEMO, {})
    found = memo.get((name, key), _MISSING)
    if found is _MISSING:
        found = memo[(name, key)] = load()
    return found


def _forget(*_args) -> None:
    from flask import g, has_request_context

    if has_request_context():
        g.pop(_MEMO, None)


for _name in ("after_flush", "after_commit", "after_rollback"):
    event.listen(Session, _name, _forget)
