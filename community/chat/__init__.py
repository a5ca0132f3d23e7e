from flask import Blueprint

bp = Blueprint("chat", __name__)

from . import flaggable, notices, sockets, views  # noqa: E402, F401  (routes and handlers register on import)

# Audit wording last: imported first, its models import would start an import cycle.
# isort: split
from . import audited  # noqa: E402, F401
