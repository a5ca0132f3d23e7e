from flask import Blueprint

bp = Blueprint("events", __name__)

from . import (  # noqa: E402, F401  (routes, panels, feeds, search, flag kinds register)
    calendar_views,
    feedback_views,
    feeds,
    flaggable,
    models,
    notices,
    record,
    rooms,
    rsvp_views,
    searchable,
)

# Audit wording and the pages last: imported first, their models imports would start an
# import cycle.
# isort: split
from . import audited, views  # noqa: E402, F401
