"""What the accounts domain does when told (community/signals.py)."""

from flask import Flask

from .. import signals
from . import administration


def connect(app: Flask) -> None:
    signals.connect(
        app,
        # Someone waits for approval: every admin hears of it.
        (signals.registration_awaits_approval, administration.tell_admins_of_registration),
    )
