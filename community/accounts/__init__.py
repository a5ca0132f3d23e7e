from flask import Blueprint

bp = Blueprint("accounts", __name__)

from . import audited, views  # noqa: E402, F401  (routes register on bp; audit wording)
