"""Reads for the administration pages."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..accounts.models import User
from ..communities.models import Community
from ..extensions import db
from .models import AuditLog

# How each recorded action reads on /admin; other actions fall back to their raw name.
AUDIT_WORDING = {
    "community.add_member": "added {user} to {community}",
    "community.add_moderator": "made {user} a moderator of {community}",
    "community.remove_moderator": "removed {user} as a moderator of {community}",
}


@dataclass
class AuditEntry:
    created_at: datetime
    actor: str
    text: str


def _names(model, ids: set[int], column) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.session.execute(select(model.id, column).where(model.id.in_(ids))).all())


def recent_audit(limit: int = 50) -> list[AuditEntry]:
    """The latest audit rows, worded for people, in a fixed number of queries."""
    rows = list(
        db.session.scalars(
            select(AuditLog)
            .options(joinedload(AuditLog.actor))
            .order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
            .limit(limit)
        )
    )
    community_ids = {r.target_id for r in rows if r.target_type == "community" and r.target_id}
    user_ids = {
        r.detail["user_id"]
        for r in rows
        if isinstance(r.detail, dict) and isinstance(r.detail.get("user_id"), int)
    }
    communities = _names(Community, community_ids, Community.name)
    users = _names(User, user_ids, User.display_name)
    entries = []
    for r in rows:
        detail = r.detail if isinstance(r.detail, dict) else {}
        wording = AUDIT_WORDING.get(r.action)
        community = communities.get(r.target_id) if r.target_type == "community" else None
        user = users.get(detail.get("user_id"))
        if wording and community and user:
            text = wording.format(user=user, community=community)
        else:
            text = f"{r.action} ({r.target_type} {r.target_id})"
        actor = r.actor.display_name if r.actor else "the command line"
        entries.append(AuditEntry(created_at=r.created_at, actor=actor, text=text))
    return entries
