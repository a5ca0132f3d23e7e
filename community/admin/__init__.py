from flask import Blueprint

bp = Blueprint("admin", __name__)

from . import audited, communities, members, organisations, site, views  # noqa: E402, F401  (routes register on bp)
