from flask import Blueprint

bp = Blueprint("communities", __name__)

from . import rooms, views  # noqa: E402, F401  (routes register on bp; the chat room kind)

# Audit wording last: imported first, its models import would start an import cycle.
# isort: split
from . import audited, notices  # noqa: E402, F401
