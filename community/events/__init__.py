from flask import Blueprint

bp = Blueprint("events", __name__)

from . import (  # noqa: E402, F401  (routes and panels register on import)
    calendar_views,
    models,
    notices,
    rsvp_views,
)

# Audit wording last: imported first, its models import would start an import cycle.
# isort: split
from . import audited  # noqa: E402, F401
