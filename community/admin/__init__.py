from flask import Blueprint

bp = Blueprint("admin", __name__)

from . import models, views  # noqa: E402, F401  (routes register on bp)

# isort: split
from . import communities, organisations  # noqa: E402, F401  (/admin/communities, /admin/organisations)
