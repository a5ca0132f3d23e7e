from flask import Blueprint

bp = Blueprint("accounts", __name__)

from . import views  # noqa: E402, F401  (routes register on bp)

# Audit wording last: imported first, its models import would start an import cycle.
# isort: split
from . import audited  # noqa: E402, F401
