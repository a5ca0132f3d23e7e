"""What announcements give the job loop (community/jobs.py runs them)."""

from datetime import timedelta

from flask import Flask

from ..jobs import register_job


def register(app: Flask) -> None:
    from . import mailing

    # The announcement emails asked for, queued in batches (each run a few thousand at most,
    # so the mail queue's own job gets its turn in between).
    register_job(app, "announcement mail", timedelta(seconds=15), mailing.send_announcement_mail)
