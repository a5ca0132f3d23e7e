"""The production app (as wsgi.py builds it) plus two heavy jobs (test_jobs_live.py): one
CPU-bound, and one whose process exits with code 3 once the first has finished.

The job reads the database, then computes in plain Python, never yielding to gevent, until the
test creates `heavy-release` in the instance folder (or a minute passes). It writes
`heavy-started` (the member count it read, whether its process runs gevent's hub, and its
process id) and `heavy-finished` in the instance folder, so the test can tell where it ran and
whether it is still running.
"""

import os
import sys
import time
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from community import create_app
from community.accounts.models import User
from community.extensions import db
from community.jobs import register_job, start_in_process
from community.offload import under_gevent


def burn() -> None:
    instance = Path(current_app.config["INSTANCE_DIR"])
    members = db.session.scalar(select(func.count()).select_from(User))
    started = f"members={members} gevent={under_gevent()} pid={os.getpid()}"
    (instance / "heavy-started").write_text(started)
    release = instance / "heavy-release"
    deadline = time.monotonic() + 60
    while not release.exists() and time.monotonic() < deadline:
        sum(i * i for i in range(20_000))
    (instance / "heavy-finished").write_text("released" if release.exists() else "timed out")


def exit_with_code_3() -> None:
    sys.exit(3)  # not an exception the job records itself: the loop reads the exit code


app = create_app()
register_job(app, "heavy", timedelta(hours=1), burn, heavy=True)
register_job(app, "heavy-exit", timedelta(hours=1), exit_with_code_3, heavy=True)
if app.config["JOBS_IN_PROCESS"]:
    start_in_process(app, "tests.live.heavy_job_app:app")
