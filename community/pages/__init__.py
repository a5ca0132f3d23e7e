from flask import Blueprint

from . import models  # noqa: F401  (tables known to the app and to migrations)

bp = Blueprint("pages", __name__)
