"""What events do when told: their search entries follow them. Connected per app
(signals.py); the other parts of events add their receivers here."""

from flask import Flask

from .. import signals
from . import searchable


def connect(app: Flask) -> None:
    signals.connect(
        app,
        (signals.event_created, searchable.reindex),
        (signals.event_changed, searchable.reindex),
        (signals.target_deleted, searchable.unindex),
    )
