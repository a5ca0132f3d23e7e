"""The job loop: periodic work (the mail queue now; reminders and digests register later).

In the embedded mode the loop runs in a background thread of the app process (started by
wsgi.py). In the scaled-out mode it runs as its own process, `flask jobs run`; running two is
safe because every job claims its work before doing it.
"""

import atexit
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from . import mail
from .extensions import db

log = logging.getLogger(__name__)

# How long process exit waits for the in-process loop to finish the job it is running, so a
# message the SMTP server has accepted is marked sent instead of going again after a restart.
EXIT_WAIT_SECONDS = 5.0


@dataclass
class Job:
    name: str
    every_seconds: float
    run: Callable[[], object]
    next_run: float = field(default=0.0)


def registered_jobs() -> list[Job]:
    """Every periodic job of the application, in the order they run."""
    from .filesweep import sweep_unreferenced
    from .sockets import disconnect_ended_sessions

    return [
        Job("mail", 3.0, mail.send_queued),
        Job("files", 3600.0, sweep_unreferenced),
        Job("suspensions", 60.0, lift_lapsed_suspensions),
        Job("ended sessions", 2.0, disconnect_ended_sessions),
    ]


def lift_lapsed_suspensions() -> int:
    """Unsuspend the members whose suspension has reached its end date."""
    from .accounts.actions import lift_lapsed_suspensions as lift
    from .db import atomic

    with atomic():
        return lift()


def run_due(app: Flask, jobs: list[Job], now: float) -> list[str]:
    """Run each job whose time has come, each in its own app context and session; returns
    the names of the jobs that failed. One failing job never stops the others."""
    failed = []
    for job in jobs:
        if job.next_run > now:
            continue
        job.next_run = now + job.every_seconds
        with app.app_context():
            try:
                job.run()
            except Exception:
                log.exception("job %s failed", job.name)
                failed.append(job.name)
            finally:
                db.session.remove()
    return failed


def run_forever(
    app: Flask, stop: threading.Event, tick: float = 0.5, jobs: list[Job] | None = None
) -> None:
    """Run the jobs until `stop` is set. Only setting `stop` ends the loop."""
    jobs = registered_jobs() if jobs is None else jobs
    log.info("job loop started: %s", ", ".join(j.name for j in jobs))
    while not stop.is_set():
        try:
            run_due(app, jobs, time.monotonic())
        except Exception:  # e.g. pushing the app context failed: keep the loop alive
            log.exception("job loop iteration failed")
        stop.wait(tick)
    log.info("job loop stopped")


def start_in_process(app: Flask) -> threading.Event:
    """Start the loop in a daemon thread of this process; set the returned event to stop it.
    At process exit the loop is stopped and given a moment to finish its current job."""
    stop = threading.Event()
    thread = threading.Thread(target=run_forever, args=(app, stop), name="jobs", daemon=True)
    thread.start()

    def stop_at_exit() -> None:
        stop.set()
        thread.join(EXIT_WAIT_SECONDS)

    atexit.register(stop_at_exit)
    return stop


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
    """Run every job once now (useful in scripts); exits 1 when a job failed."""
    failed = run_due(current_app._get_current_object(), registered_jobs(), time.monotonic())
    if failed:
        click.echo(f"jobs failed: {', '.join(failed)} (see the log)", err=True)
        sys.exit(1)
    click.echo("jobs run once")
