from flask import Blueprint

bp = Blueprint("accounts", __name__)

from . import views  # noqa: E402, F401  (routes register on bp)

# Audit wording and the flaggable profile last: imported first, their moderation imports
# would start an import cycle.
# isort: split
from . import audited, flaggable  # noqa: E402, F401
