"""What moderation does when told (community/signals.py)."""

from flask import Flask

from .. import signals
from . import flags


def connect(app: Flask) -> None:
    signals.connect(
        app,
        # Deleted by its author or a moderator, anywhere: its flags wait no longer.
        (signals.target_deleted, flags.close_flags_of_deleted),
    )
