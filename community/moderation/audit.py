"""The audit trail: every moderator and admin action leaves a row, in its transaction."""

from ..accounts.models import User
from ..extensions import db
from .models import AuditLog


def record(
    actor: User | None,
    action: str,
    target: tuple[str, int | None],
    *,
    community=None,
    **detail,
) -> AuditLog:
    """Write an audit row: `actor` (None: the command line or a job) did `action` to
    `target`, a (kind, id) pair such as ("resource", 25), in `community` (a Community, its
    id, or None for a site-wide action). `detail` is kept as JSON for the wording."""
    kind, target_id = target
    entry = AuditLog(
        actor_id=actor.id if actor is not None else None,
        action=action,
        target_kind=kind,
        target_id=target_id,
        community_id=getattr(community, "id", community),
        detail=detail,
    )
    db.session.add(entry)
    return entry
