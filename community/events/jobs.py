"""What events give the job loop (community/jobs.py runs them): each part of events
registers its periodic jobs here, and `create_app` calls `register(app)` once."""

from datetime import timedelta

from flask import Flask

from ..jobs import register_job


def register(app: Flask) -> None:
    from . import reminders, rooms

    # The live rooms open 15 minutes before the start and close at the end (rooms.py).
    rooms.register(app)
    # Reminders a day and an hour before the start, each claimed once (reminders.py).
    register_job(app, "event reminders", timedelta(minutes=1), reminders.send_due_reminders)
