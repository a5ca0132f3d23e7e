"""Jobs registered by their parts, due times and claims in the `jobs` table (both backends):
a due job runs once however many runners race for it, an expired claim is taken over, a
crash is recorded and rescheduled, `flask jobs list` shows it all; core imports no domain."""

import ast
import logging
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from community import jobs
from community.db import atomic, utcnow
from community.extensions import db
from community.jobs import Job, ScheduledJob, claim, ensure_rows, register_job, run_due
from tests.conftest import make_test_app

COMMUNITY = Path(jobs.__file__).parent


def row(name: str) -> ScheduledJob:
    db.session.rollback()  # a fresh read: the runners wrote in their own sessions
    return db.session.get(ScheduledJob, name)


def set_row(name: str, **values) -> None:
    with atomic():
        db.session.execute(update(ScheduledJob).where(ScheduledJob.name == name).values(**values))


class Counter:
    def __init__(self, seconds: float = 0.0):
        self.seconds = seconds
        self.runs = 0
        self.lock = threading.Lock()

    def __call__(self):
        with self.lock:
            self.runs += 1
        time.sleep(self.seconds)


def test_the_parts_register_their_jobs(app):
    assert [(j.name, j.every) for j in jobs.registered_jobs(app)] == [
        ("mail", timedelta(seconds=3)),
        ("files", timedelta(hours=1)),
        ("suspensions", timedelta(seconds=60)),
        ("ended sessions", timedelta(seconds=2)),
        ("event rooms", timedelta(minutes=1)),
        ("event reminders", timedelta(minutes=1)),
        ("notification mail", timedelta(seconds=30)),
        ("digests", timedelta(minutes=5)),
        ("network health", timedelta(minutes=10)),
        ("announcement mail", timedelta(seconds=15)),
        ("planner statistics", timedelta(hours=6)),
    ]
    with pytest.raises(ValueError, match="registered twice"):
        register_job(app, "mail", timedelta(seconds=1), print)


def test_a_new_job_gets_a_row_due_now_and_then_runs_every_interval(app):
    counter = Counter()
    job = Job("digest", timedelta(hours=1), counter)
    before = utcnow() - timedelta(seconds=2)
    ensure_rows([job])
    new = row("digest")
    assert before <= new.next_run_at <= utcnow() + timedelta(seconds=2)
    assert new.claimed_by is None
    assert new.last_started_at is None

    assert run_due(app, [job], "runner-a") == []
    assert counter.runs == 1
    done = row("digest")
    assert done.claimed_by is None
    assert done.claimed_until is None
    assert done.last_error is None
    assert done.last_started_at <= done.last_finished_at
    assert done.next_run_at - done.last_finished_at == timedelta(hours=1)

    assert run_due(app, [job], "runner-b") == []  # not due for another hour
    assert counter.runs == 1


@pytest.mark.parametrize("apps", ["one app", "two apps"])
def test_racing_runners_run_a_due_job_exactly_once(app, database_url, tmp_path, apps):
    """Four runners (threads; in two app instances on one database) claim the same due job
    at the same moment: exactly one claim succeeds, and a full run happens once."""
    other = app if apps == "one app" else make_test_app(database_url, tmp_path / "other")
    try:
        counter = Counter(seconds=0.3)
        job = Job("race", timedelta(hours=1), counter)
        ensure_rows([job])
        start = threading.Barrier(4)
        claimed: list[str] = []

        def claimer(instance, runner: str):
            with instance.app_context():
                start.wait()
                try:
                    if claim(job, runner):
                        claimed.append(runner)
                finally:
                    db.session.remove()

        threads = [
            threading.Thread(target=claimer, args=(instance, f"runner-{i}"))
            for i, instance in enumerate([app, other, app, other])
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert len(claimed) == 1
        assert row("race").claimed_by == claimed[0]

        # The same race through the whole loop step, once the job is due again.
        set_row("race", next_run_at=utcnow() - timedelta(seconds=5), claimed_by=None,
                claimed_until=None)  # fmt: skip
        start = threading.Barrier(2)

        def runner(instance, name: str):
            start.wait()
            run_due(instance, [job], name)

        threads = [
            threading.Thread(target=runner, args=(instance, f"loop-{i}"))
            for i, instance in enumerate([app, other])
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert counter.runs == 1
        assert row("race").claimed_by is None
    finally:
        if other is not app:
            with other.app_context():
                db.engine.dispose()


def test_a_live_claim_keeps_others_off_and_an_expired_one_is_taken_over(app):
    counter = Counter()
    job = Job("sweep", timedelta(hours=1), counter)
    ensure_rows([job])
    # A runner claimed the job and is still within its lease: nobody else runs it.
    set_row("sweep", claimed_by="crashed-host:1:x", claimed_until=utcnow() + timedelta(hours=1))
    assert run_due(app, [job], "runner-b") == []
    assert run_due(app, [job], "runner-b", force=True) == []  # not even `flask jobs once`
    assert counter.runs == 0
    # Its lease has run out (the runner died mid-run): the next runner takes the job over.
    set_row("sweep", claimed_until=utcnow() - timedelta(seconds=1))
    assert claim(job, "runner-b")
    assert row("sweep").claimed_by == "runner-b"
    set_row("sweep", claimed_by="crashed-host:1:x", claimed_until=utcnow() - timedelta(seconds=1))
    assert run_due(app, [job], "runner-c") == []
    assert counter.runs == 1
    done = row("sweep")
    assert done.claimed_by is None
    assert done.last_finished_at is not None


def test_a_crash_is_recorded_and_the_job_rescheduled(app, caplog):
    caplog.set_level(logging.ERROR, logger="community.jobs")
    counter = Counter()

    def crash():
        raise ValueError("the template\nis missing")

    job_list = [Job("crashy", timedelta(minutes=10), crash), Job("after", timedelta(0), counter)]
    assert run_due(app, job_list, "runner-a") == ["crashy"]
    assert counter.runs == 1  # the crash stopped nothing
    crashed = row("crashy")
    assert crashed.last_error == "ValueError: the template is missing"
    assert crashed.claimed_by is None
    assert crashed.claimed_until is None
    assert crashed.next_run_at - crashed.last_finished_at == timedelta(minutes=10)
    assert "Traceback" in caplog.text
    assert "job crashy failed" in caplog.text
    assert run_due(app, job_list, "runner-a") == []  # not due again yet

    # A later good run clears the error.
    set_row("crashy", next_run_at=utcnow() - timedelta(seconds=1))
    job_list[0] = Job("crashy", timedelta(minutes=10), counter)
    assert run_due(app, job_list, "runner-a") == []
    assert row("crashy").last_error is None


def test_flask_jobs_once_runs_jobs_that_are_not_due(app, monkeypatch):
    counter = Counter()
    monkeypatch.setitem(
        app.extensions, jobs.REGISTRY, {"weekly": Job("weekly", timedelta(days=7), counter)}
    )
    for _ in range(2):
        result = app.test_cli_runner().invoke(args=["jobs", "once"])
        assert result.exit_code == 0, result.output
    assert counter.runs == 2


def test_flask_jobs_list_shows_every_job_with_its_runs_and_last_error(app):
    def crash():
        raise RuntimeError("digest renderer exploded")

    register_job(app, "renderer", timedelta(minutes=5), crash)
    run_due(app, [j for j in jobs.registered_jobs(app) if j.name == "renderer"], "runner-a")
    ensure_rows(jobs.registered_jobs(app))  # the others: registered, never run
    set_row("files", claimed_by="host:42:abcd", claimed_until=utcnow() + timedelta(minutes=5),
            last_started_at=utcnow())  # fmt: skip

    result = app.test_cli_runner().invoke(args=["jobs", "list"])
    assert result.exit_code == 0, result.output
    header, *lines = result.output.splitlines()
    assert header.split() == ["NAME", "EVERY", "LAST", "RUN", "NEXT", "RUN", "LAST", "ERROR"]
    by_name = {line.split()[0]: line for line in lines}
    assert [name for name in by_name if name in {"mail", "files", "renderer"}] == [
        "mail",
        "files",
        "renderer",
    ]
    mail_line = by_name["mail"].split()
    assert mail_line[1:3] == ["3s", "never"]  # registered, never run: due now
    assert mail_line[-1] == "-"
    renderer = row("renderer")
    assert by_name["renderer"].split()[1] == "5m"
    assert renderer.last_finished_at.strftime("%Y-%m-%d %H:%M:%S") in by_name["renderer"]
    assert renderer.next_run_at.strftime("%Y-%m-%d %H:%M:%S") in by_name["renderer"]
    assert by_name["renderer"].endswith("RuntimeError: digest renderer exploded")
    assert "running since" in by_name["files"]
    assert "host:42:abcd" in by_name["files"]

    # A job in the table that no part registers any more is still listed.
    app.extensions[jobs.REGISTRY].pop("renderer")
    result = app.test_cli_runner().invoke(args=["jobs", "list"])
    [gone] = [line for line in result.output.splitlines() if line.startswith("renderer ")]
    assert gone.split()[1] == "?"
    assert gone.endswith("RuntimeError: digest renderer exploded")


DOMAINS = sorted(p.name for p in COMMUNITY.iterdir() if p.is_dir() and (p / "__init__.py").exists())
CORE = ["jobs.py", "filesweep.py", "offload.py", "mail.py"]


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            names |= {f"{base}.{a.name}" if not node.module else base for a in node.names}
    return names


@pytest.mark.parametrize("module", CORE)
def test_core_job_code_imports_no_domain(module):
    assert "accounts" in DOMAINS
    assert "resources" in DOMAINS
    for name in imported_modules(COMMUNITY / module):
        parts = name.lstrip(".").split(".")
        if name.startswith("community."):
            parts = parts[1:]
        if name.startswith(".") or name.startswith("community."):
            assert parts[0] not in DOMAINS, f"{module} imports the {parts[0]} domain"


def test_flask_jobs_run_one_runs_a_job_without_claiming_it_and_prints_its_error(app):
    """The command a heavy job's own process runs (the embedded loop holds the claim)."""
    counter = Counter()

    def crash():
        raise RuntimeError("digest   renderer\nexploded")

    register_job(app, "renders", timedelta(hours=1), counter, heavy=True)
    register_job(app, "crashes", timedelta(hours=1), crash, heavy=True)
    runner = app.test_cli_runner()

    result = runner.invoke(args=["jobs", "run-one", "renders"])
    assert result.exit_code == 0, result.output
    assert counter.runs == 1
    assert row("renders") is None  # nothing claimed, nothing recorded: that is the caller's

    result = runner.invoke(args=["jobs", "run-one", "crashes"])
    assert result.exit_code == 1
    assert jobs._child_error(result.output, 1) == "RuntimeError: digest renderer exploded"

    result = runner.invoke(args=["jobs", "run-one", "nobody registered this"])
    assert result.exit_code != 0
    assert "no job 'nobody registered this' is registered" in result.output


def test_a_heavy_jobs_process_that_ended_without_a_word_is_described_by_how_it_ended():
    assert jobs._child_error("", 3) == "the job's process exited with code 3"
    assert jobs._child_error("some output\n", -9) == "the job's process was killed by signal 9"
