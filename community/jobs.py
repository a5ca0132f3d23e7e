"""The job loop: periodic work that the domains register, claimed in the database.

Each domain registers its jobs with `register_job(app, name, every, run)` (wired from
`create_app`; this module imports no domain). A job's due time and claim live in the `jobs`
table: a runner claims a due job with one UPDATE that only succeeds while the job is due and
unclaimed (or its claim has expired), using the database's clock, so two runners (two
`flask jobs run` processes, or one beside the loop embedded in the web process) never run the
same due job twice. After the run the job is rescheduled `every` later, the claim is cleared
and the outcome recorded; a runner that died mid-run leaves a claim that expires after the
job's `lease`, and the next runner takes the job over.

In the embedded mode the loop runs in a background thread of the web process (started by
wsgi.py; a greenlet under gevent). A job registered `heavy` (CPU-bound work) then runs in a
process of its own, `flask --app <the server's app> jobs run-one NAME`, which builds the same
app and runs the job in its app context (its writes in its own `atomic()` blocks, as every
job's). A real thread would not do: plain Python holds the GIL, and the hub, waiting for it
after each I/O, answered pages and WebSockets only now and then. The claim stays with the
loop in the web process, which waits for the child cooperatively and records its outcome:
the error line it printed, or its exit code (a child still running when the job's lease ends
is killed, since another runner may then take the job). Everywhere else (`flask jobs run`,
`flask jobs once`, tests, the threaded development server) a heavy job runs like any other,
in the runner's process: there is no hub there to starve.
"""

import atexit
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import DateTime, String, Text, func, literal_column, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, mapped_column

from .config import child_environment
from .db import atomic
from .extensions import db
from .offload import under_gevent

log = logging.getLogger(__name__)

# How long process exit waits for the in-process loop to finish the job it is running, so a
# message the SMTP server has accepted is marked sent instead of going again after a restart.
EXIT_WAIT_SECONDS = 5.0
# How long a claim keeps other runners off a job unless the job names its own lease: longer
# than any run takes, since a run still going when its claim expires may be run twice.
DEFAULT_LEASE = timedelta(minutes=15)
ERROR_MAX = 500
REGISTRY = "commons_jobs"  # app.extensions key: {name: Job}, in registration order
# app.extensions key: the app as `flask --app` loads it, for a heavy job's own process.
APP_IMPORT = "commons_jobs_app"
# How a failed `jobs run-one` starts the line with its error, on its standard output.
FAILED_MARK = "job failed:"


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    run: Callable[[], object]
    heavy: bool = False  # CPU-bound: in a process of its own in the embedded loop
    lease: timedelta = DEFAULT_LEASE


class ScheduledJob(db.Model):
    """One row per registered job: when it is next due, who holds it, how it last went."""

    __tablename__ = "jobs"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    next_run_at: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    claimed_until: Mapped[datetime | None]
    last_started_at: Mapped[datetime | None]
    last_finished_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


def register_job(
    app: Flask,
    name: str,
    every: timedelta,
    run: Callable[[], object],
    *,
    heavy: bool = False,
    lease: timedelta = DEFAULT_LEASE,
) -> Job:
    """Register a periodic job of this app (domains call this from create_app's wiring)."""
    jobs = app.extensions.setdefault(REGISTRY, {})
    if name in jobs:
        raise ValueError(f"job {name!r} is registered twice")
    if len(name) > 80:
        raise ValueError(f"job name {name!r} is longer than 80 characters")
    job = Job(name, every, run, heavy=heavy, lease=lease)
    jobs[name] = job
    return job


def registered_jobs(app: Flask | None = None) -> list[Job]:
    """Every periodic job of the app, in the order they were registered (and run)."""
    app = app or current_app._get_current_object()
    return list(app.extensions.get(REGISTRY, {}).values())


def runner_id() -> str:
    """Who claims: this host and process, and one loop of it."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


# --- the database's clock ------------------------------------------------------------------


def db_now(plus: timedelta = timedelta(0)):
    """The database's 'now' (+ `plus`) as a SQL expression, in the project's convention for
    stored times (community/db.py): naive UTC. Every runner then compares against one clock,
    whatever the hosts' clocks say."""
    seconds = plus.total_seconds()
    if db.session.get_bind().dialect.name == "sqlite":
        # SQLAlchemy stores SQLite datetimes as 'YYYY-MM-DD HH:MM:SS.ffffff' text, which
        # compares correctly as text: produce the same (SQLite gives milliseconds).
        shifted = func.strftime("%Y-%m-%d %H:%M:%f", "now", f"{seconds:+.6f} seconds")
        return shifted.op("||")("000")
    # statement_timestamp(), not now(): now() is when the transaction began.
    return literal_column(
        f"(timezone('UTC', statement_timestamp()) + interval '{seconds:.6f} seconds')",
        DateTime(),
    )


def _claimable():
    return or_(ScheduledJob.claimed_until.is_(None), ScheduledJob.claimed_until < db_now())


# --- claiming and recording ----------------------------------------------------------------


def ensure_rows(jobs: list[Job]) -> None:
    """Give each registered job without a row one, due now."""
    names = [j.name for j in jobs]
    existing = set(
        db.session.scalars(select(ScheduledJob.name).where(ScheduledJob.name.in_(names)))
    )
    missing = [n for n in names if n not in existing]
    if not missing:
        return
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    with atomic():
        for name in missing:
            db.session.execute(
                insert(ScheduledJob)
                .values(name=name, next_run_at=db_now())
                .on_conflict_do_nothing(index_elements=["name"])
            )


def ready_names(jobs: list[Job], *, force: bool = False) -> set[str]:
    """The jobs that are due (any, with `force`) and unclaimed: a read, so an idle tick takes
    no write lock."""
    ensure_rows(jobs)
    query = select(ScheduledJob.name).where(
        ScheduledJob.name.in_([j.name for j in jobs]), _claimable()
    )
    if not force:
        query = query.where(ScheduledJob.next_run_at <= db_now())
    return set(db.session.scalars(query))


def claim(job: Job, runner: str, *, force: bool = False) -> bool:
    """Take the job for `runner` if it is due (or `force`) and unclaimed or its claim has
    expired. One UPDATE decides: of two runners racing, exactly one changes the row."""
    conditions = [ScheduledJob.name == job.name, _claimable()]
    if not force:
        conditions.append(ScheduledJob.next_run_at <= db_now())
    with atomic():
        result = db.session.execute(
            update(ScheduledJob)
            .where(*conditions)
            .values(claimed_by=runner, claimed_until=db_now(job.lease), last_started_at=db_now()),
            execution_options={"synchronize_session": False},
        )
    return result.rowcount == 1


def finish(job: Job, runner: str, error: str | None) -> None:
    """Reschedule the job `every` from now, clear the claim and record the outcome (unless
    another runner has taken the job over after this one's claim expired)."""
    with atomic():
        db.session.execute(
            update(ScheduledJob)
            .where(ScheduledJob.name == job.name, ScheduledJob.claimed_by == runner)
            .values(
                next_run_at=db_now(job.every),
                claimed_by=None,
                claimed_until=None,
                last_finished_at=db_now(),
                last_error=error,
            ),
            execution_options={"synchronize_session": False},
        )


def short_error(exc: BaseException) -> str:
    message = " ".join(str(exc).split())
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return text if len(text) <= ERROR_MAX else text[: ERROR_MAX - 1] + "…"


def _run(app: Flask, job: Job) -> str | None:
    """Run the job in its own app context and session; its error, shortened, or None."""
    with app.app_context():
        try:
            job.run()
        except Exception as exc:
            log.exception("job %s failed", job.name)
            return short_error(exc)
        finally:
            db.session.remove()
    return None


_children: set[subprocess.Popen] = set()  # heavy jobs' processes still running


def _run_in_child(app: Flask, job: Job) -> str | None:
    """Run the job in `flask jobs run-one`, a process of its own building the same app, and
    wait for it (cooperatively under gevent); its error, or None."""
    command = [sys.executable, "-m", "flask", "--app", app.extensions.get(APP_IMPORT, "community")]
    env = child_environment(JOBS_IN_PROCESS="0")  # the child's app starts no loop of its own
    # Our own interpreter and CLI, with a registered job's name: no outside input.
    child = subprocess.Popen(  # noqa: S603
        [*command, "jobs", "run-one", job.name], env=env, stdout=subprocess.PIPE, text=True
    )  # its log goes where ours goes
    _children.add(child)
    try:
        output, _ = child.communicate(timeout=job.lease.total_seconds())
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        return f"killed: still running when its lease ({format_every(job.lease)}) ended"
    finally:
        _children.discard(child)
    if child.returncode == 0:
        return None
    return _child_error(output, child.returncode)


def _child_error(output: str, returncode: int) -> str:
    """The error a failed `jobs run-one` printed after FAILED_MARK, else how it ended."""
    said = [line for line in output.splitlines() if line.startswith(FAILED_MARK)]
    if said:
        return said[-1].removeprefix(FAILED_MARK).strip()
    if returncode < 0:
        return f"the job's process was killed by signal {-returncode}"
    return f"the job's process exited with code {returncode}"


def _in_context(app: Flask, fn: Callable, *args, **kwargs):
    with app.app_context():
        try:
            return fn(*args, **kwargs)
        finally:
            db.session.remove()


def run_due(app: Flask, jobs: list[Job], runner: str, *, force: bool = False) -> list[str]:
    """Claim and run each due job (every unclaimed one with `force`); returns the names of
    the jobs that failed. One failing job never stops the others."""
    failed = []
    ready = _in_context(app, ready_names, jobs, force=force)
    for job in jobs:
        if job.name not in ready or not _in_context(app, claim, job, runner, force=force):
            continue
        error = _run_in_child(app, job) if job.heavy and under_gevent() else _run(app, job)
        _in_context(app, finish, job, runner, error)
        if error:
            failed.append(job.name)
    return failed


def run_forever(
    app: Flask, stop: threading.Event, tick: float = 0.5, jobs: list[Job] | None = None
) -> None:
    """Run the jobs until `stop` is set. Only setting `stop` ends the loop."""
    jobs = registered_jobs(app) if jobs is None else jobs
    runner = runner_id()
    log.info("job loop started as %s: %s", runner, ", ".join(j.name for j in jobs))
    while not stop.is_set():
        try:
            run_due(app, jobs, runner)
        except Exception:  # e.g. the database is unreachable: keep the loop alive
            log.exception("job loop iteration failed")
        stop.wait(tick)
    log.info("job loop stopped")


def start_in_process(app: Flask, import_path: str = "community") -> threading.Event:
    """Start the loop in a daemon thread of this process; set the returned event to stop it.
    `import_path` is the app as `flask --app` loads it (by default `create_app()`, as for
    `flask --app community`): a heavy job's process builds the app from it. At process exit
    the loop is stopped and given a moment to finish its current job; a heavy job's process
    still running then is ended (its claim expires and the job runs again later)."""
    app.extensions[APP_IMPORT] = import_path
    stop = threading.Event()
    thread = threading.Thread(target=run_forever, args=(app, stop), name="jobs", daemon=True)
    thread.start()

    def stop_at_exit() -> None:
        stop.set()
        thread.join(EXIT_WAIT_SECONDS)
        for child in list(_children):
            child.terminate()

    atexit.register(stop_at_exit)
    return stop


# --- the command line ----------------------------------------------------------------------

jobs_cli = AppGroup("jobs", help="Background jobs: the mail queue, reminders and digests.")


@jobs_cli.command("run")
def run_command() -> None:
    """Run the job loop in this process until interrupted (SIGINT or SIGTERM)."""
    app = current_app._get_current_object()
    stop = threading.Event()

    def request_stop(signum, _frame) -> None:
        # Finish the job in hand (a message being sent is then marked sent), then leave.
        log.info("signal %s: stopping the job loop", signum)
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, request_stop)
    run_forever(app, stop)
    click.echo("job loop stopped")


@jobs_cli.command("once")
def once_command() -> None:
    """Run every job once now, due or not, unless another runner holds it (useful in
    scripts); exits 1 when a job failed."""
    app = current_app._get_current_object()
    failed = run_due(app, registered_jobs(app), runner_id(), force=True)
    if failed:
        click.echo(f"jobs failed: {', '.join(failed)} (see the log)", err=True)
        sys.exit(1)
    click.echo("jobs run once")


def format_every(every: timedelta) -> str:
    seconds = int(every.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "never"


@jobs_cli.command("run-one", hidden=True)
@click.argument("name")
def run_one_command(name: str) -> None:
    """Run the job NAME once, without claiming it: the embedded loop runs a heavy job this
    way, in a process of its own, and holds the claim itself. Exits 1 when the job failed,
    its error on a line of its own after FAILED_MARK."""
    app = current_app._get_current_object()
    job = {j.name: j for j in registered_jobs(app)}.get(name)
    if job is None:
        raise click.ClickException(f"no job {name!r} is registered by this app")
    error = _run(app, job)
    if error:
        click.echo(f"{FAILED_MARK} {error}")
        sys.exit(1)


@jobs_cli.command("list")
def list_command() -> None:
    """Every job with its interval, last run, next run (UTC) and last error; a job in the
    table that this code does not register (removed, or another version's) shows EVERY "?"."""
    jobs = registered_jobs()
    ensure_rows(jobs)
    rows = {r.name: r for r in db.session.scalars(select(ScheduledJob).order_by(ScheduledJob.name))}
    every = {j.name: format_every(j.every) for j in jobs}
    names = [j.name for j in jobs] + [n for n in rows if n not in every]
    table = [("NAME", "EVERY", "LAST RUN", "NEXT RUN", "LAST ERROR")]
    for name in names:
        row = rows[name]
        next_run = _when(row.next_run_at)
        if row.claimed_by:
            next_run = f"running since {_when(row.last_started_at)} ({row.claimed_by})"
        last_run = _when(row.last_finished_at)
        table.append((name, every.get(name, "?"), last_run, next_run, row.last_error or "-"))
    widths = [max(len(r[i]) for r in table) for i in range(4)]
    for r in table:
        click.echo("  ".join(v.ljust(w) for v, w in zip(r[:4], widths, strict=True)) + "  " + r[4])
