"""Email beyond account mail: members' choices, notifications mailed as they happen, the
daily and weekly digests, and the one-click unsubscribe that stops any of it."""

from flask import Blueprint

bp = Blueprint("digests", __name__)

from . import models, views  # noqa: E402, F401
