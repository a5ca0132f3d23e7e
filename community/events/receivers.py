"""What events do when told: an event's room is made with it and follows its changes
(rooms.py), and a room that closes leaves its record (record.py). Connected per app
(signals.py), from create_app."""

from flask import Flask

from . import record, rooms


def connect(app: Flask) -> None:
    rooms.connect(app)
    record.connect(app)
