from flask import Blueprint

bp = Blueprint("threads", __name__)

from . import audited, feeds, notices, searchable, sockets, views  # noqa: E402, F401  (routes and handlers register on import)
