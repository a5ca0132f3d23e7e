"""What accounts gives the background jobs: the profile pictures the file sweep must keep,
suspensions that lapse by themselves, and live connections of sessions that ended."""

from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from .. import filesweep
from ..extensions import db
from .models import User


def avatar_hashes() -> list[str]:
    return list(
        db.session.scalars(select(User.avatar_sha256).where(User.avatar_sha256.is_not(None)))
    )


def lift_lapsed_suspensions() -> int:
    """Unsuspend the members whose suspension has reached its end date."""
    from ..db import atomic
    from .actions import lift_lapsed_suspensions as lift

    with atomic():
        return lift()


def register(app: Flask) -> None:
    from ..jobs import register_job
    from ..sockets import disconnect_ended_sessions

    filesweep.register_references(app, avatar_hashes)
    register_job(app, "suspensions", timedelta(seconds=60), lift_lapsed_suspensions)
    # A backstop for the one-process mode, where an action run from the command line has no
    # message queue to reach this process's connections through.
    register_job(app, "ended sessions", timedelta(seconds=2), disconnect_ended_sessions)
