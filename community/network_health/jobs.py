"""What network health gives the job loop: the rollup, every 10 minutes."""

from datetime import timedelta

from flask import Flask

from ..jobs import register_job
from . import rollup

EVERY = timedelta(minutes=10)


def register(app: Flask) -> None:
    # heavy: a full rebuild (after an organisation merge) reads every post.
    register_job(app, "network health", EVERY, rollup.run_job, heavy=True)
