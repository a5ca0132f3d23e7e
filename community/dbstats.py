"""The query planner's statistics, kept fresh by a job.

SQLite gathers none by itself: without them it chose to read every thread to count a member's
unread ones (6-10 ms at a million posts, 0.01 ms once analysed). `analysis_limit` makes the
ANALYZE approximate (it samples each index), so the job takes milliseconds and holds the write
lock no longer than a post does. PostgreSQL's autovacuum analyses its tables on its own.
"""

from datetime import timedelta

from sqlalchemy import text

from .db import atomic
from .extensions import db
from .jobs import register_job

EVERY = timedelta(hours=6)
ANALYSIS_LIMIT = 1000  # rows sampled per index: SQLite's own suggestion is 100 to 1000


def refresh_statistics() -> str:
    if db.engine.dialect.name != "sqlite":
        return "PostgreSQL: autovacuum keeps the statistics"
    with atomic():  # the write lock up front: ANALYZE writes sqlite_stat1
        db.session.execute(text(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}"))
        db.session.execute(text("ANALYZE"))
    return "analysed"


def register(app) -> None:
    register_job(app, "planner statistics", EVERY, refresh_statistics)
