"""Announcements from the site's admins: a banner on every page between two times (each
member may dismiss it) and, once, an email to the audience through the mail queue."""

from flask import Blueprint

from . import models  # noqa: F401  (tables known to the app and to migrations)

bp = Blueprint("announcements", __name__)

from . import audited, views  # noqa: E402, F401  (routes register on bp; how the log reads)
