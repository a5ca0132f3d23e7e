from flask import Blueprint

bp = Blueprint("resources", __name__)

from . import audited, feeds, notices, searchable, views  # noqa: E402, F401  (routes register on import)
