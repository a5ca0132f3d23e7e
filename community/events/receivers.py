"""What events does when told (community/signals.py): each part of events connects its
receivers here, for this app; within a signal, receivers run in this order."""

from flask import Flask

from .. import signals


def connect(app: Flask) -> None:
    from . import reminders

    signals.connect(
        app,
        # Everyone who answered hears of a change of time or place, or a cancellation, once.
        (signals.event_changed, reminders.tell_of_change),
        # The other parts of events add their receivers below (search entry, room, …).
    )
