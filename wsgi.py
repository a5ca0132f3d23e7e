"""The server entry point: `gunicorn wsgi:app` (see the Makefile for the exact command)."""

from community import create_app
from community.jobs import start_in_process

app = create_app()
if app.config["JOBS_IN_PROCESS"]:
    start_in_process(app)
