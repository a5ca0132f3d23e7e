"""The periodic jobs of events, registered from create_app: the rooms job (every minute, on
the database clock) opens and closes the events' live rooms (rooms.py)."""

from flask import Flask

from . import rooms


def register(app: Flask) -> None:
    rooms.register(app)
