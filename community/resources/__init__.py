from flask import Blueprint

bp = Blueprint("resources", __name__)

from . import feeds, flaggable, notices, review, searchable, views  # noqa: E402, F401  (routes register on import)

# Audit wording last: imported first, its models import would start an import cycle.
# isort: split
from . import audited  # noqa: E402, F401
