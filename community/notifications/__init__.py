from flask import Blueprint

bp = Blueprint("notifications", __name__)

from . import views  # noqa: E402, F401  (routes register on bp)


@bp.app_context_processor
def _unread_notifications():
    """`unread_notifications()` in templates: the header's count, computed once per page."""
    from functools import cache

    from flask_login import current_user

    from ..auth import actor
    from .actions import unread_count

    @cache
    def count() -> int:
        return unread_count(actor()) if current_user.is_authenticated else 0

    return {"unread_notifications": count}
