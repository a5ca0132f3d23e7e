"""The data the page and search benchmarks run on: a scratch database (a SQLite file in a
temporary instance folder, or a PostgreSQL database created for the run and dropped after it),
migrated, seeded and filled by `flask bench seed --posts N` (or the small demo network), and a
member of it to sign in as."""

import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .harness import ROOT, VENV_BIN

BACKENDS = ("sqlite", "postgresql")
SOURCES = ("seed", "demo")
PG_HOST, PG_USER = "127.0.0.1", "postgres"
SECRET_KEY = "bench-only-secret-key-for-scratch-databases-0123456789abcdef"  # noqa: S105
PASSWORD = "bench horse battery staple"  # noqa: S105 (a member of a scratch database)


@dataclass
class Dataset:
    backend: str
    source: str
    posts: int  # asked for (the demo network ignores it)
    url: str  # SQLAlchemy URL
    env: dict[str, str]  # the server's environment
    instance: Path
    seed_seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def label(self) -> str:
        backend = "SQLite" if self.backend == "sqlite" else "PostgreSQL"
        if self.source == "demo":
            return f"{backend}, demo network"
        return f"{backend}, {self.counts.get('posts', self.posts):,} posts"

    def app(self):
        """The application in this process, on the same database (statement counts, set-up)."""
        from community import create_app

        return create_app({
            "SQLALCHEMY_DATABASE_URI": self.url, "INSTANCE_DIR": str(self.instance),
            "SECRET_KEY": SECRET_KEY, "LOG_LEVEL": "WARNING", "JOBS_IN_PROCESS": False,
            "RATELIMIT_ENABLED": False,
        })  # fmt: skip

    def describe(self) -> str:
        c = self.counts
        made = (
            "the demo network (`flask demo load`)"
            if self.source == "demo"
            else f"`flask bench seed --posts {self.posts}` ({self.seed_seconds:,.0f} s)"
        )
        return (
            f"{self.label}: {made}; {c['posts']:,} posts in {c['threads']:,} threads, "
            f"{c['members']:,} members, {c['documents']:,} search documents, "
            f"the longest thread {c['longest']:,} posts"
        )


def server_env(instance: Path, database_url: str | None) -> dict[str, str]:
    from community.config import VARIABLES

    env = {name: "" for name in VARIABLES}  # empty counts as unset, and hides a `.env`
    env.update(
        PATH=f"{VENV_BIN}:/usr/bin:/bin",
        PYTHONPATH=str(ROOT),
        INSTANCE_DIR=str(instance),
        SECRET_KEY=SECRET_KEY,
        LOG_LEVEL="WARNING",
        JOBS_IN_PROCESS="0",  # no job loop competing with the pages
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def _run(env: dict, *args: str) -> str:
    result = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if result.returncode:
        raise RuntimeError(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def _flask(env: dict, *args: str) -> str:
    return _run(env, str(VENV_BIN / "flask"), "--app", "community", *args)


@contextmanager
def _database(backend: str, name: str, instance: Path):
    if backend == "sqlite":
        yield f"sqlite:///{instance / 'commons.db'}", None
        return
    pg = ("-h", PG_HOST, "-U", PG_USER)
    _run({"PATH": "/usr/bin:/bin"}, "dropdb", *pg, "--if-exists", name)
    _run({"PATH": "/usr/bin:/bin"}, "createdb", *pg, name)
    url = f"postgresql+psycopg://{PG_USER}@{PG_HOST}:5432/{name}"
    try:
        yield url, url
    finally:
        _run({"PATH": "/usr/bin:/bin"}, "dropdb", *pg, "--if-exists", "--force", name)


@contextmanager
def dataset(backend: str, posts: int, *, source: str = "seed", name: str = "bench_pages"):
    """A migrated, seeded scratch database of `posts` posts on `backend`, for the duration;
    PostgreSQL's is the database `name` (never `test`), dropped afterwards."""
    if name == "test":
        raise ValueError("the test suite's database is not a scratch database")
    with tempfile.TemporaryDirectory(prefix="commons-bench-") as tmp:
        instance = Path(tmp)
        with _database(backend, name, instance) as (url, database_url):
            env = server_env(instance, database_url)
            _flask(env, "db", "upgrade")
            _flask(env, "seed")
            started = time.perf_counter()
            if source == "demo":
                _flask(env, "demo", "load")
            else:
                _flask(env, "bench", "seed", "--posts", str(posts))
            data = Dataset(backend, source, posts, url, env, instance)
            data.seed_seconds = time.perf_counter() - started
            data.counts = _counts(data)
            print(f"-- {data.describe()}", flush=True)
            yield data


def _counts(data: Dataset) -> dict[str, int]:
    from sqlalchemy import func, select

    from community.accounts.models import User
    from community.extensions import db
    from community.search.models import SearchDocument
    from community.threads.models import Post, Thread

    with data.app().app_context():
        count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
        return {
            "posts": count(Post),
            "threads": count(Thread),
            "members": count(User),
            "documents": count(SearchDocument),
            "longest": db.session.scalar(select(func.max(Thread.post_count))) or 0,
        }


def bench_member(data: Dataset) -> str:
    """The email of an ordinary member in the most communities, given PASSWORD to sign in."""
    from sqlalchemy import func, select

    from community.accounts.models import User
    from community.accounts.passwords import hash_password
    from community.communities.models import Membership
    from community.extensions import db

    with data.app().app_context():
        memberships = func.count(Membership.id)
        user = db.session.execute(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                User.site_role == "member",
                User.verified_at.is_not(None),
                User.suspended_at.is_(None),
            )
            .group_by(User.id)
            .order_by(memberships.desc(), User.id)
            .limit(1)
        ).scalar_one()
        user.password_hash = hash_password(PASSWORD)
        email = user.email
        db.session.commit()
        return email
