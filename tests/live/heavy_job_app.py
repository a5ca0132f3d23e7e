"""The production app (as wsgi.py builds it) plus one CPU-heavy job (test_jobs_live.py).

The job reads the database, then computes in plain Python, never yielding to gevent, until the
test creates `heavy-release` in the instance folder (or a minute passes). It writes
`heavy-started` (the member count it read, and whether it ran off the hub's OS thread) and
`heavy-finished` in the instance folder, so the test can tell whether it is still running.
"""

import threading
import time
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from community import create_app
from community.accounts.models import User
from community.extensions import db
from community.jobs import register_job, start_in_process


def _native_thread_id() -> int:
    try:
        from gevent import monkey
    except ImportError:
        return threading.get_native_id()
    return monkey.get_original("threading", "get_native_id")()


HUB_THREAD = _native_thread_id()


def burn() -> None:
    instance = Path(current_app.config["INSTANCE_DIR"])
    members = db.session.scalar(select(func.count()).select_from(User))
    off_hub = _native_thread_id() != HUB_THREAD
    (instance / "heavy-started").write_text(f"members={members} off_hub={off_hub}")
    release = instance / "heavy-release"
    deadline = time.monotonic() + 60
    while not release.exists() and time.monotonic() < deadline:
        sum(i * i for i in range(20_000))
    (instance / "heavy-finished").write_text("released" if release.exists() else "timed out")


app = create_app()
register_job(app, "heavy", timedelta(hours=1), burn, heavy=True)
if app.config["JOBS_IN_PROCESS"]:
    start_in_process(app)
