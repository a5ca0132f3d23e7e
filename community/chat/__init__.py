from flask import Blueprint

bp = Blueprint("chat", __name__)

from . import audited, notices, sockets, views  # noqa: E402, F401  (routes and handlers register on import)
