from flask import Blueprint

bp = Blueprint("events", __name__)

from . import models, notices  # noqa: E402, F401

# Audit wording and the pages last: imported first, their models imports would start an
# import cycle.
# isort: split
from . import audited, views  # noqa: E402, F401
