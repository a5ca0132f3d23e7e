"""What events give the job loop (community/jobs.py runs them): each part of events
registers its periodic jobs here, and `create_app` calls `register(app)` once."""

from datetime import timedelta

from flask import Flask

from ..jobs import register_job


def register(app: Flask) -> None:
    from . import reminders

    # Reminders a day and an hour before the start, each claimed once (events/reminders.py).
    register_job(app, "event reminders", timedelta(minutes=1), reminders.send_due_reminders)
    # The other parts of events add their jobs below (the live room's opening and closing).
