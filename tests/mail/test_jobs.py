"""The job loop: due jobs run, intervals hold, a failing job stops nothing; the in-process
thread and `flask jobs once` deliver queued mail."""

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from flask import current_app
from sqlalchemy import text

from community import jobs
from community.extensions import db
from community.jobs import Job, ScheduledJob, run_due, run_forever, start_in_process
from community.mail import OutboundMail

from .conftest import queue_verify, rows


class Calls:
    def __init__(self):
        self.log: list[str] = []

    def job(self, name: str, every: float, *, fail: bool = False) -> Job:
        def run():
            self.log.append(name)
            assert current_app  # each job runs in an app context
            db.session.scalar(db.select(db.func.count()).select_from(OutboundMail))
            if fail:
                # Leave the session broken, as a failed statement does.
                db.session.execute(text("SELECT * FROM no_such_table"))

        return Job(name, timedelta(seconds=every), run)


def test_run_due_respects_intervals_and_a_failing_job_stops_nothing(app, caplog):
    calls = Calls()
    job_list = [
        calls.job("hourly", 3600),
        calls.job("broken", 0, fail=True),
        calls.job("often", 0),
    ]

    assert run_due(app, job_list, "runner-1") == ["broken"]
    assert calls.log == ["hourly", "broken", "often"]
    assert "job broken failed" in caplog.text

    calls.log.clear()
    # The hourly job is not due again, whichever runner asks; the others are.
    assert run_due(app, job_list, "runner-2") == ["broken"]
    assert calls.log == ["broken", "often"]
    db.session.rollback()
    hourly = db.session.get(ScheduledJob, "hourly")
    assert hourly.next_run_at - hourly.last_finished_at == timedelta(hours=1)


def test_run_forever_keeps_going_after_failures_until_stopped(app):
    calls = Calls()
    stop = threading.Event()

    def count_then_stop():
        calls.log.append("count")
        if calls.log.count("count") == 3:
            stop.set()

    job_list = [calls.job("broken", 0, fail=True), Job("count", timedelta(0), count_then_stop)]
    run_forever(app, stop, tick=0.001, jobs=job_list)
    assert calls.log == ["broken", "count"] * 3


def outbox_files(app) -> list[Path]:
    directory = Path(app.config["INSTANCE_DIR"]) / "outbox"
    return sorted(directory.glob("*.eml")) if directory.exists() else []


@pytest.mark.slow
def test_the_in_process_loop_delivers_mail_and_stops(app):
    queue_verify()
    before = set(threading.enumerate())
    stop = start_in_process(app)
    [thread] = [t for t in threading.enumerate() if t not in before]
    try:
        assert thread.daemon
        assert thread.name == "jobs"
        deadline = time.monotonic() + 30
        while not outbox_files(app) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(outbox_files(app)) == 1
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()
    db.session.remove()
    [mail] = rows()
    assert mail.sent_at is not None


@pytest.mark.slow
def test_flask_jobs_run_delivers_by_smtp_and_stops_on_sigterm(app, smtp_sink, tmp_path):
    """The scaled-out mode's runner as its own process, as an operator starts it."""
    queue_verify()
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SMTP_URL": smtp_sink.url,
        "SECRET_KEY": "test-secret-key",
        "INSTANCE_DIR": str(tmp_path / "runner-instance"),
        "LOG_LEVEL": "INFO",
    }
    env.pop("REDIS_URL", None)
    runner = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "community", "jobs", "run"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not smtp_sink.received and time.monotonic() < deadline:
            assert runner.poll() is None, runner.stdout.read()
            time.sleep(0.05)
        assert [r.rcpt_tos for r in smtp_sink.received] == [["zoe@example.org"]]
        runner.send_signal(signal.SIGTERM)
        output, _ = runner.communicate(timeout=30)
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.communicate()
    assert runner.returncode == 0, output
    assert "job loop stopped" in output
    [mail] = rows()
    assert mail.sent_at is not None


def test_flask_jobs_once_sends_queued_mail(app):
    queue_verify()
    result = app.test_cli_runner().invoke(args=["jobs", "once"])
    assert result.exit_code == 0, result.output
    assert "jobs run once" in result.output
    assert len(outbox_files(app)) == 1
    [mail] = rows()
    assert mail.sent_at is not None


def test_flask_jobs_once_exits_non_zero_when_a_job_fails(app, monkeypatch, caplog):
    caplog.set_level(logging.ERROR, logger="community.jobs")
    calls = Calls()
    monkeypatch.setitem(
        app.extensions,
        jobs.REGISTRY,
        {"broken": calls.job("broken", 1, fail=True), "ok": calls.job("ok", 1)},
    )
    result = app.test_cli_runner().invoke(args=["jobs", "once"])
    assert result.exit_code == 1
    assert "broken" in result.output
    assert calls.log == ["broken", "ok"]
