"""Fixtures: every database test runs on SQLite and on PostgreSQL.

The schema is built once per run and backend by the migrations (never create_all). Apps are
kept for the whole run, one per backend and settings, and put back as made after each test
(config, extension state, instance folder); the tables are emptied after each test, and the
seed is replayed from the rows the first real `flask seed` wrote. PostgreSQL comes from
TEST_DATABASE_URL: the run creates its own database there and drops it at the end, so the
shared server is left clean. Without TEST_DATABASE_URL the PostgreSQL cases skip, unless
REQUIRE_SERVICES=1 (CI), when they fail.
"""

import contextvars
import copy
import os
import re
import shutil
import uuid
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from community import create_app, mail
from community.extensions import db

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"

# Cheap hashing for tests (the production scheme's parameters turned down), rate limits off
# unless a test switches them on, and a fixed key.
TEST_SETTINGS = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key",
    "PASSWORD_HASH": {"time_cost": 1, "memory_cost": 8, "parallelism": 1},
    "RATELIMIT_ENABLED": False,
    "SITE_URL": "http://localhost",
    "SCALED_OUT": False,
    "REDIS_URL": None,
    "SMTP_URL": None,
    "LOG_LEVEL": "WARNING",
    "CHAT_PRESENCE_BATCH_SECONDS": 0,  # presence deltas at once (batching: test_presence.py)
}


def missing_service(reason: str):
    """Skip on a laptop without the service; fail in CI, where it must be there."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (REQUIRE_SERVICES=1: service tests must not be skipped)")
    pytest.skip(reason)


def _migrate(url: str, instance_dir: Path) -> None:
    app = create_app(
        {**TEST_SETTINGS, "SQLALCHEMY_DATABASE_URI": url, "INSTANCE_DIR": str(instance_dir)}
    )
    with app.app_context():
        upgrade()
        db.engine.dispose()


class Databases:
    """Creates each backend's test database on first use, migrated to head."""

    def __init__(self, tmp_dir: Path):
        self.tmp_dir = tmp_dir
        self.urls: dict[str, str] = {}
        self.pg_admin_url = None
        self.pg_name = None

    def url(self, backend: str) -> str:
        if backend not in self.urls:
            self.urls[backend] = getattr(self, f"_create_{backend}")()
            _migrate(self.urls[backend], self.tmp_dir / f"instance-{backend}")
        return self.urls[backend]

    def _create_sqlite(self) -> str:
        return f"sqlite:///{self.tmp_dir / 'test.db'}"

    def _create_postgresql(self) -> str:
        if not TEST_DATABASE_URL:
            missing_service("TEST_DATABASE_URL is not set: PostgreSQL tests need a server")
        from community.config import database_url

        self.pg_admin_url = make_url(database_url(TEST_DATABASE_URL))
        self.pg_name = f"commons_test_{uuid.uuid4().hex[:10]}"
        self._admin(f'CREATE DATABASE "{self.pg_name}"')
        return self.pg_admin_url.set(database=self.pg_name).render_as_string(hide_password=False)

    def _admin(self, sql: str) -> None:
        engine = create_engine(self.pg_admin_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(sql))
        finally:
            engine.dispose()

    def drop(self) -> None:
        if self.pg_name:
            self._admin(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def databases(tmp_path_factory):
    dbs = Databases(tmp_path_factory.mktemp("databases"))
    yield dbs
    dbs.drop()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request):
    marks = {m.name for m in request.node.iter_markers()}
    if request.param == "sqlite" and "postgresql_only" in marks:
        pytest.skip("meaningful only on PostgreSQL")
    if request.param == "postgresql" and "sqlite_only" in marks:
        pytest.skip("meaningful only on SQLite")
    return request.param


@pytest.fixture
def database_url(backend, databases):
    return databases.url(backend)


def empty_all_tables() -> None:
    """Delete every row, children first, and restart the ids. (DELETE, not TRUNCATE: on
    PostgreSQL, TRUNCATE of every table takes about half a second; a test's few rows go in
    milliseconds.)"""
    tables = db.metadata.sorted_tables
    for table in reversed(tables):
        db.session.execute(table.delete())
    if db.engine.dialect.name == "postgresql":
        restarts = ", ".join(
            f"setval(pg_get_serial_sequence('\"{t.name}\"', 'id'), 1, false)"
            for t in tables
            if "id" in t.c
        )
        db.session.execute(text(f"SELECT {restarts}"))
    db.session.commit()


def make_test_app(database_url: str, instance_dir: Path, **overrides):
    return create_app(
        {
            **TEST_SETTINGS,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "INSTANCE_DIR": str(instance_dir),
            **overrides,
        }
    )


class IsolatedClient(FlaskClient):
    """A test client whose every request gets its own app context, as in production.

    The `app` fixture keeps an app context pushed for the whole test, and Flask reuses an
    active app context for requests: `g` (where Flask-Login caches the signed-in member) and
    the database session would then carry over from one request to the next, even between
    two clients. Running each request in an empty contextvars context gives it a fresh one.
    """

    def open(self, *args, **kwargs):
        # End the test's own read transaction too, so that what the test reads next sees what
        # the request wrote (SQLite would otherwise keep showing it the old snapshot).
        db.session.rollback()
        # Buffered: the body is read and the response closed at once, so a served file is
        # closed too (as the server does once it has sent it).
        kwargs.setdefault("buffered", True)
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture
def app_settings() -> dict:
    """Override in a test module to change the app's settings."""
    return {}


class AppCache:
    """Apps kept for the whole run, one per backend and settings (the last few).

    Making an app compiles its templates, URL rules and SQL statements afresh, which cost more
    than most tests; a kept app compiles each once. Between tests a kept app is put back as it
    was made: its config, what it keeps in `app.extensions`, the module-level extensions
    bound to it (Flask-SocketIO's server, Flask-Limiter's storage), and its instance folder.
    """

    SIZE = 4

    def __init__(self, tmp_dir: Path):
        self.tmp_dir = tmp_dir
        self.apps: dict[tuple, KeptApp] = {}

    def get(self, database_url: str, settings: dict, blueprints=()) -> "KeptApp":
        key = (database_url, repr(sorted(settings.items())), tuple(bp.name for bp in blueprints))
        kept = self.apps.pop(key, None)
        if kept is None:
            if len(self.apps) >= self.SIZE:
                self.apps.pop(next(iter(self.apps))).dispose()
            instance_dir = self.tmp_dir / f"instance-{len(os.listdir(self.tmp_dir))}"
            app = make_test_app(database_url, instance_dir, **settings)
            for blueprint in blueprints:
                app.register_blueprint(blueprint)
            kept = KeptApp(app)
        self.apps[key] = kept  # most recently used last
        return kept

    def dispose(self) -> None:
        for kept in self.apps.values():
            kept.dispose()


def _module_extensions():
    from community import extensions

    return [extensions.db, extensions.migrate, extensions.login_manager, extensions.socketio,
            extensions.csrf, extensions.limiter]  # fmt: skip


class KeptApp:
    # Started once per app and left running: a second one would only duplicate its work.
    LASTING_EXTENSIONS = {"chat_heartbeat"}

    def __init__(self, app):
        self.app = app
        app.test_client_class = IsolatedClient
        self.config = dict(app.config)
        # Registries kept in app.extensions (jobs, file references) are copied back after a
        # test: tests register jobs of their own.
        self.registries = {
            key: copy.copy(value)
            for key, value in app.extensions.items()
            if isinstance(value, (dict, list, set))
        }
        self.extension_keys = set(app.extensions)
        self.bound = [(ext, dict(vars(ext))) for ext in _module_extensions()]
        self.instance_dir = Path(app.config["INSTANCE_DIR"])
        self.instance_dir.mkdir(parents=True, exist_ok=True)
        self.instance_files = set(os.listdir(self.instance_dir))

    def bind(self) -> None:
        """Point the module-level extensions at this app again (another app may have been
        made or used since)."""
        for ext, state in self.bound:
            vars(ext).clear()
            vars(ext).update(state)

    def reset(self) -> None:
        """Undo what a test left in the app itself (the database is emptied separately)."""
        self.app.config.clear()
        self.app.config.update(self.config)
        for key in set(self.app.extensions) - self.extension_keys - self.LASTING_EXTENSIONS:
            del self.app.extensions[key]
        for key, value in self.registries.items():
            self.app.extensions[key] = copy.copy(value)
        for name in set(os.listdir(self.instance_dir)) - self.instance_files:
            path = self.instance_dir / name
            shutil.rmtree(path) if path.is_dir() else path.unlink()
        self.bind()  # the test may have made an app of its own
        from limits.storage import MemoryStorage

        from community.extensions import limiter

        if isinstance(getattr(limiter, "_storage", None), MemoryStorage):
            limiter.reset()  # Flask-Limiter's counts (memory storage) start again at zero

    def dispose(self) -> None:
        with self.app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def app_cache(tmp_path_factory):
    cache = AppCache(tmp_path_factory.mktemp("apps"))
    yield cache
    cache.dispose()


@pytest.fixture
def app_blueprints() -> tuple:
    """Override in a test module to give its apps extra blueprints (routes for probing)."""
    return ()


@pytest.fixture
def app(database_url, app_settings, app_blueprints, app_cache):
    kept = app_cache.get(database_url, app_settings, app_blueprints)
    kept.bind()
    with kept.app.app_context():
        try:
            yield kept.app
        finally:
            db.session.remove()
            empty_all_tables()
            db.session.remove()
            kept.reset()


@pytest.fixture
def client(app):
    return app.test_client()


@dataclass
class Recording:
    """What a command wrote the first time it ran on one database: the rows it added to each
    table, the uploaded files it stored, and what it returned."""

    rows: list[tuple]  # (table, [row, ...])
    files: dict[str, bytes]  # path under UPLOAD_DIR -> content
    result: object


_RECORDINGS: dict[tuple[str, str], Recording] = {}


def _uploads() -> Path:
    from flask import current_app

    return Path(current_app.config["UPLOAD_DIR"])


def _stored_files() -> set[str]:
    root = _uploads()
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def recorded(name: str, run, *, for_real: bool = False):
    """`run()` (a command that commits: the seed, the demo) on an empty database: run for
    real the first time on each database (and whenever `for_real`), then replayed from the
    rows and files it wrote (it writes the same every time); returns what `run` returned."""
    url = db.engine.url.render_as_string(hide_password=False)
    key = (name, url)
    if for_real or key not in _RECORDINGS:
        tables = db.metadata.sorted_tables
        before = {t: set(db.session.execute(select(*t.primary_key)).all()) for t in tables}
        files_before = _stored_files()
        result = run()
        db.session.rollback()  # see what it committed
        # Only its own rows: the test may have written some before asking for it.
        rows = [(t, _rows_not_in(t, before[t])) for t in tables]
        files = {f: (_uploads() / f).read_bytes() for f in _stored_files() - files_before}
        _RECORDINGS[key] = Recording(rows, files, result)
        return result
    recording = _RECORDINGS[key]
    written = [(table, rows) for table, rows in recording.rows if rows]
    for table, rows in written:
        db.session.execute(table.insert(), rows)
    if db.engine.dialect.name == "postgresql":
        restarts = ", ".join(
            f"setval(pg_get_serial_sequence('\"{t.name}\"', 'id'), "  # noqa: S608 (our tables)
            f'(SELECT max(id) FROM "{t.name}"))'
            for t, rows in written
            if "id" in t.c
        )
        db.session.execute(text(f"SELECT {restarts}"))
    db.session.commit()
    for relative, content in recording.files.items():
        path = _uploads() / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return recording.result


def seed_database() -> None:
    """`flask seed` on an empty database (the real communities and organisations)."""
    from community.seed import seed

    recorded("seed", seed)


def load_demo(app, *, for_real: bool = False) -> str:
    """`flask demo load` on an empty database; returns what the command printed."""

    def run() -> str:
        result = app.test_cli_runner().invoke(args=["demo", "load"])
        assert result.exit_code == 0, result.output
        return result.output

    return recorded("demo", run, for_real=for_real)


def _rows_not_in(table, keys: set) -> list[dict]:
    key_columns = list(table.primary_key)
    rows = db.session.execute(table.select()).mappings()
    return [dict(r) for r in rows if tuple(r[c] for c in key_columns) not in keys]


@pytest.fixture
def communities(app):
    """The seven communities and the organisations, as `flask seed` creates them."""
    from community.communities.models import Community

    seed_database()
    return {c.slug: c for c in db.session.scalars(db.select(Community))}


# --- the cast the domains' tests share (a domain's conftest adds its own people) ------------


@pytest.fixture
def mod(communities):
    """A moderator of Procurement (and member of nothing else)."""
    from tests.factories import make_moderator, make_user

    return make_moderator("procurement", make_user("Mona Moderator", email="mona@example.org"))


@pytest.fixture
def stranger(communities):
    """A confirmed account that belongs to no community."""
    from tests.factories import make_user

    return make_user("Sam Stranger", email="sam@example.org")


@pytest.fixture
def admin(communities):
    from tests.factories import make_user

    return make_user("Ada Admin", email="ada@example.org", admin=True)


@pytest.fixture
def published(monkeypatch):
    """Records every real-time event sent after commit as (event, room, payload)."""
    from community import realtime

    sent: list[tuple] = []
    monkeypatch.setattr(realtime, "_emit", lambda e, room, p: sent.append((e, room, p)))
    return sent


class Outbox:
    """The embedded mode's outbox, read back: runs the mail job and parses what it wrote."""

    def __init__(self, app):
        self.dir = Path(app.config["INSTANCE_DIR"]) / "outbox"

    def deliver(self) -> list:
        mail.send_queued()
        return self.messages()

    def messages(self) -> list:
        if not self.dir.exists():
            return []
        parser = BytesParser(policy=policy.default)
        return [parser.parsebytes(p.read_bytes()) for p in sorted(self.dir.glob("*.eml"))]

    def to(self, address: str) -> list:
        return [m for m in self.deliver() if m["To"] == address]

    @staticmethod
    def text(message) -> str:
        return message.get_body(("plain",)).get_content()

    @classmethod
    def link(cls, message, path_fragment: str) -> str:
        """The first link in the message whose path contains `path_fragment`, site-relative."""
        for url in re.findall(r"https?://\S+", cls.text(message)):
            if path_fragment in url:
                return re.sub(r"^https?://[^/]+", "", url)
        raise AssertionError(f"no {path_fragment} link in: {cls.text(message)}")


@pytest.fixture
def outbox(app):
    return Outbox(app)


def csrf_token(client, url: str) -> str:
    html = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


class Browser:
    """The test client with form posting that fetches the page's CSRF token first."""

    def __init__(self, client):
        self.client = client

    def get(self, url, **kwargs):
        return self.client.get(url, **kwargs)

    def submit(self, page_url: str, data: dict, action: str | None = None, **kwargs):
        token = csrf_token(self.client, page_url)
        return self.client.post(action or page_url, data={"csrf_token": token, **data}, **kwargs)

    def login(self, email: str, password: str = "correct horse battery", remember=False):
        data = {"email": email, "password": password}
        if remember:
            data["remember"] = "y"
        response = self.submit("/auth/login", data)
        assert response.status_code == 302, response.get_data(as_text=True)
        return response

    def logout(self):
        return self.submit("/auth/logout", {})


@pytest.fixture
def browser(client):
    return Browser(client)


@pytest.fixture
def redis_url():
    if not TEST_REDIS_URL:
        missing_service("TEST_REDIS_URL is not set: Redis tests need a server")
    return TEST_REDIS_URL
