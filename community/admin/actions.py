"""The audit trail: every moderator and admin action leaves a row."""

from ..accounts.models import User
from ..errors import Forbidden
from ..extensions import db
from .models import AuditLog


def record(actor: User | None, action: str, target, **detail) -> AuditLog:
    """Write an audit row for `action` on `target` (any model with an id) in this transaction."""
    entry = AuditLog(
        actor_id=actor.id if actor is not None else None,
        action=action,
        target_type=type(target).__name__.lower(),
        target_id=getattr(target, "id", None),
        detail=detail,
    )
    db.session.add(entry)
    return entry


def require_admin(user: User) -> None:
    if not (user.is_authenticated and user.is_admin):
        raise Forbidden("Only the site's admins can do that.")
