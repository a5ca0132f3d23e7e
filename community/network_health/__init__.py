from flask import Blueprint

from . import models  # noqa: F401  (tables known to the app and to migrations)

bp = Blueprint("network_health", __name__)

from . import views  # noqa: E402, F401  (routes register on import)
