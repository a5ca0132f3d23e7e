from flask import Blueprint

bp = Blueprint("communities", __name__)

from . import audited, rooms, views  # noqa: E402, F401  (routes register on bp; the chat room kind; audit wording)
