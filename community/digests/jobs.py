"""What the email step gives the job loop (community/jobs.py runs them)."""

from datetime import timedelta

from flask import Flask

from ..jobs import register_job


def register(app: Flask) -> None:
    from . import build, immediate

    # Notifications chosen "immediately", held two minutes so a burst becomes one email.
    register_job(
        app, "notification mail", timedelta(seconds=30), immediate.mail_pending_notifications
    )
    # Digests for whoever reached their chosen local hour: rendering thousands is CPU work,
    # so the embedded loop runs it in a process of its own (heavy).
    register_job(
        app, "digests", timedelta(minutes=5), build.send_due_digests, heavy=True,
        lease=timedelta(minutes=30),
    )  # fmt: skip
