"""The data the page and search benchmarks run on: a scratch database (a SQLite file in a
temporary instance folder, or a PostgreSQL database created for the run and dropped after it),
migrated, seeded and filled by `flask bench seed --posts N` (or the small demo network), and a
member of it to sign in as."""

import argparse
import tempfile
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .harness import RESULTS, ROOT, VENV_BIN, flask_cli, run_command, write_section

BACKENDS = ("sqlite", "postgresql")
SOURCES = ("seed", "demo")
PG_HOST, PG_USER = "127.0.0.1", "postgres"
SECRET_KEY = "bench-only-secret-key-for-scratch-databases-0123456789abcdef"  # noqa: S105
PASSWORD = "bench horse battery staple"  # noqa: S105 (a member of a scratch database)
SIZES = (10_000, 1_000_000)


@dataclass
class Options:
    """The page and search benchmarks' options (one set, so that one command runs both)."""

    posts: list[int] = field(default_factory=lambda: list(SIZES))
    backends: tuple[str, ...] = BACKENDS
    source: str = "seed"
    seconds: int = 5  # pages: each wrk run
    connections: int = 8  # pages: wrk's keep-alive connections
    runs: int = 10  # search: timed requests per query and visitor
    results: Path = RESULTS

    @classmethod
    def parse(cls, argv: list[str], prog: str) -> "Options":
        parser = argparse.ArgumentParser(prog=prog)
        parser.add_argument("--posts", default=",".join(map(str, SIZES)),
                            help="comma-separated sizes (posts) to seed and measure")  # fmt: skip
        parser.add_argument("--backends", default=",".join(BACKENDS), help="sqlite,postgresql")
        parser.add_argument("--source", choices=SOURCES, default="seed",
                            help="seed: `flask bench seed --posts N`; demo: `flask demo load` "
                            "(small; ignores --posts)")  # fmt: skip
        parser.add_argument("--seconds", type=int, default=5, help="pages: each wrk run")
        parser.add_argument("--connections", type=int, default=8,
                            help="pages: wrk's keep-alive connections")  # fmt: skip
        parser.add_argument("--runs", type=int, default=10,
                            help="search: timed requests per query and visitor")  # fmt: skip
        parser.add_argument("--results", type=Path, default=RESULTS, help="the RESULTS.md to write")
        args = parser.parse_args(argv)
        backends = tuple(b for b in args.backends.split(",") if b)
        if unknown := set(backends) - set(BACKENDS):
            parser.error(f"unknown backends {sorted(unknown)}")
        return cls(
            posts=sorted({int(n.replace("_", "")) for n in args.posts.split(",") if n.strip()}),
            backends=backends,
            source=args.source,
            seconds=args.seconds,
            connections=args.connections,
            runs=args.runs,
            results=args.results,
        )

    def datasets(self) -> list[tuple[str, int]]:
        """(backend, posts) of each set measured (the demo network has one size)."""
        sizes = self.posts[:1] if self.source == "demo" else self.posts
        return [(backend, posts) for backend in self.backends for posts in sizes]


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


@contextmanager
def _database(backend: str, name: str, instance: Path):
    if backend == "sqlite":
        yield f"sqlite:///{instance / 'commons.db'}", None
        return
    pg = ("-h", PG_HOST, "-U", PG_USER)
    run_command({"PATH": "/usr/bin:/bin"}, "dropdb", *pg, "--if-exists", name)
    run_command({"PATH": "/usr/bin:/bin"}, "createdb", *pg, name)
    url = f"postgresql+psycopg://{PG_USER}@{PG_HOST}:5432/{name}"
    try:
        yield url, url
    finally:
        run_command({"PATH": "/usr/bin:/bin"}, "dropdb", *pg, "--if-exists", "--force", name)


_held: dict = {}  # while hold() is open: the ExitStack, and each dataset made, by its key


@contextmanager
def hold():
    """Keep each dataset made inside for reuse (the page and search benchmarks of one run
    share the seeded data), and drop them all at the end."""
    with ExitStack() as stack:
        _held.clear()
        _held["stack"] = stack
        try:
            yield
        finally:
            _held.clear()


@contextmanager
def dataset(backend: str, posts: int, *, source: str = "seed", name: str = "bench_pages"):
    """A migrated, seeded scratch database of `posts` posts on `backend`, for the duration
    (or until hold() ends); PostgreSQL's is the database `<name>_<posts>` (never `test`),
    dropped afterwards."""
    if "stack" not in _held:
        with _made(backend, posts, source, name) as data:
            yield data
        return
    key = (backend, posts, source)
    if key not in _held:
        _held[key] = _held["stack"].enter_context(_made(backend, posts, source, name))
    yield _held[key]


@contextmanager
def _made(backend: str, posts: int, source: str, name: str):
    if name == "test":
        raise ValueError("the test suite's database is not a scratch database")
    with tempfile.TemporaryDirectory(prefix="commons-bench-") as tmp:
        instance = Path(tmp)
        # One database per size: hold() keeps several open at once.
        with _database(backend, f"{name}_{posts}", instance) as (url, database_url):
            env = server_env(instance, database_url)
            flask_cli(env, "db", "upgrade")
            started = time.perf_counter()
            if source == "demo":
                flask_cli(env, "seed")
                flask_cli(env, "demo", "load")
            else:  # (it runs the seed step itself)
                flask_cli(env, "bench", "seed", "--posts", str(posts))
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


def run_sets(options: Options, *, name: str, measure, report, section: str) -> str:
    """Measure each dataset the options name; each backend's section of RESULTS.md (`section`
    with the backend's name) is written as its sets finish, so that a run of one backend
    leaves the other's as it was."""
    sets = []
    bodies = {}
    for backend, posts in options.datasets():
        with dataset(backend, posts, source=options.source, name=name) as data:
            sets.append(measure(data, options))
        bodies[backend] = report([m for m in sets if m.backend == backend], options)
        write_section(section_name(section, backend), bodies[backend], options.results)
    return "\n\n".join(bodies.values())


def section_name(section: str, backend: str) -> str:
    return f"{section} on {'SQLite' if backend == 'sqlite' else 'PostgreSQL'}"
