"""The job loop: periodic work (the mail queue now; reminders and digests register later).

In the embedded mode the loop runs in a background thread of the app process (started by
wsgi.py). In the scaled-out mode it runs as its own process, `flask jobs run`; running two is
safe because every job claims its work before doing it.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import click
from flask import Flask
from flask.cli import AppGroup

from . import mail
from .extensions import db

log = logging.getLogger(__name__)


@dataclass
class Job:
    name: str
    every_seconds: float
    run: Callable[[], object]
    next_run: float = field(default=0.0)


def registered_jobs() -> list[Job]:
    """Every periodic job of the application, in the order they run."""
    return [Job("mail", 3.0, mail.send_queued)]


def run_due(app: Flask, jobs: list[Job], now: float) -> None:
    for job in jobs:
        if job.next_run > now:
            continue
        job.next_run = now + job.every_seconds
        with app.app_context():
            try:
                job.run()
            except Exception:  # one failing job must not stop the others
                log.exception("job %s failed", job.name)
            finally:
                db.session.remove()


def run_forever(app: Flask, stop: threading.Event, tick: float = 0.5) -> None:
    jobs = registered_jobs()
    log.info("job loop started: %s", ", ".join(j.name for j in jobs))
    while not stop.is_set():
        run_due(app, jobs, time.monotonic())
        stop.wait(tick)


def start_in_process(app: Flask) -> threading.Event:
    """Start the loop in a daemon thread of this process; set the returned event to stop it."""
    stop = threading.Event()
    thread = threading.Thread(target=run_forever, args=(app, stop), name="jobs", daemon=True)
    thread.start()
    return stop


jobs_cli = AppGroup("jobs", help="Background jobs: the mail queue, reminders and digests.")


@jobs_cli.command("run")
def run_command() -> None:
    """Run the job loop in this process until interrupted."""
    from flask import current_app

    app = current_app._get_current_object()
    try:
        run_forever(app, threading.Event())
    except KeyboardInterrupt:
        click.echo("job loop stopped")


@jobs_cli.command("once")
def once_command() -> None:
    """Run every job once now (useful after an outage, and in scripts)."""
    from flask import current_app

    run_due(current_app._get_current_object(), registered_jobs(), time.monotonic())
    click.echo("jobs run once")
