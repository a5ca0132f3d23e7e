from flask import Blueprint

bp = Blueprint("events", __name__)

from . import (  # noqa: E402, F401  (routes, panels, feeds and search kinds register on import)
    calendar_views,
    feeds,
    models,
    notices,
    rsvp_views,
    searchable,
)

# Audit wording last: imported first, its models import would start an import cycle.
# isort: split
from . import audited  # noqa: E402, F401
