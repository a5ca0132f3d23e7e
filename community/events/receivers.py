"""What events do when told (community/signals.py): each part of events connects its
receivers here, for this app; within a signal, receivers run in this order."""

from flask import Flask

from .. import signals
from . import record, reminders, rooms, rsvp, searchable


def connect(app: Flask) -> None:
    # An event's room is made with it and follows its changes.
    rooms.connect(app)
    signals.connect(
        app,
        # Who may read a community, or write in it, changed: its events' live rooms recheck.
        (signals.membership_lost, rooms.recheck_community_rooms),
        (signals.community_access_changed, rooms.recheck_community_rooms),
    )
    signals.connect(
        app,
        # The search entry follows the event.
        (signals.event_created, searchable.reindex),
        (signals.event_changed, searchable.reindex),
        (signals.event_hidden, searchable.reindex),
        (signals.event_restored, searchable.reindex),
        (signals.target_deleted, searchable.unindex),
        # More places: the first on the waiting list move up.
        (signals.event_changed, rsvp.capacity_changed),
        # Everyone who answered hears of a change of time or place, or a cancellation, once.
        (signals.event_changed, reminders.tell_of_change),
        # A member who left the community, or was suspended, frees their places to come.
        (signals.membership_lost, rsvp.left_community),
        (signals.member_suspended, rsvp.suspended),
    )
    # A room that closes leaves its record.
    record.connect(app)
