from flask import Blueprint

from . import models  # noqa: F401  (tables known to the app and to migrations)

bp = Blueprint("pages", __name__)

from . import audited, views  # noqa: E402, F401  (how page actions read; routes register on bp)
