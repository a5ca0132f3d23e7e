from flask import Blueprint

bp = Blueprint("events", __name__)

from . import feedback_views, models, notices, record, rooms  # noqa: E402, F401

# Audit wording last: imported first, its models import would start an import cycle.
# isort: split
from . import audited  # noqa: E402, F401
