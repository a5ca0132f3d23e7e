"""What waits for a moderator, in the communities they moderate (admins: all): items with
open flags, with the flags' reasons and notes and each item's earlier decisions; and each
section a domain registers (sections.py: new members' held posts, resources to review),
shown on /mod and counted in the header.

`publish_waiting(community_ids)` pushes the new counts to whoever must hear them; every
action that changes what waits calls it in its transaction (it is sent after commit)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from . import sections
from .flags import REASONS, Flagged, flaggable, kinds, moderated_ids, refusal_to_decide
from .models import Flag

if TYPE_CHECKING:  # accounts' package imports its views, which import every domain
    from ..accounts.models import User


@dataclass
class Waiting:
    item: Flagged
    flags: list[Flag]  # open, oldest first
    history: list[Flag] = field(default_factory=list)  # decided earlier, newest first
    refusal: str | None = None  # why this moderator may not decide on it (an admin's item)

    @property
    def reasons(self) -> list[tuple[str, int]]:
        counts = Counter(f.reason for f in self.flags)
        return [(REASONS[r], counts[r]) for r in REASONS if counts[r]]

    @property
    def first_flagged_at(self) -> datetime:
        return self.flags[0].created_at


def may_moderate(user: User | None) -> bool:
    """Whether the user has a moderation queue: an admin, or a moderator of a community."""
    if user is None or not user.is_authenticated:
        return False
    return user.is_admin or bool(moderated_ids(user))


def scope(user: User) -> set[int] | None:
    """The communities whose queue the user sees: None for all (an admin)."""
    return None if user.is_admin else moderated_ids(user)


def waiting(user: User, *, community_id: int | None = None, kind: str | None = None):
    """The flagged items waiting for the user's decision, most flagged first."""
    stmt = (
        select(Flag)
        .options(joinedload(Flag.flagger))
        .where(Flag.decided_at.is_(None))
        .order_by(Flag.created_at, Flag.id)
    )
    communities = scope(user)
    if communities is not None:
        stmt = stmt.where(Flag.community_id.in_(communities))
    if community_id is not None:
        stmt = stmt.where(Flag.community_id == community_id)
    if kind is not None:
        stmt = stmt.where(Flag.target_kind == kind)
    grouped: dict[tuple[str, int], list[Flag]] = {}
    for row in db.session.scalars(stmt):
        grouped.setdefault((row.target_kind, row.target_id), []).append(row)
    items = []
    for (target_kind, target_id), flags in grouped.items():
        if target_kind not in kinds():
            continue
        item = flaggable(target_kind).load(target_id)
        if item is None or item.deleted:
            continue
        history = _history(target_kind, target_id)
        items.append(Waiting(item, flags, history, refusal_to_decide(user, item)))
    items.sort(key=lambda w: (-len(w.flags), w.first_flagged_at))
    return items


def _history(kind: str, target_id: int) -> list[Flag]:
    return list(
        db.session.scalars(
            select(Flag)
            .options(joinedload(Flag.flagger), joinedload(Flag.decided_by))
            .where(
                Flag.target_kind == kind,
                Flag.target_id == target_id,
                Flag.decided_at.is_not(None),
            )
            .order_by(Flag.decided_at.desc(), Flag.id.desc())
        )
    )


def _flagged_counts() -> dict[int | None, int]:
    """Community id -> number of distinct items with open flags there."""
    items = (
        select(Flag.community_id, Flag.target_kind, Flag.target_id)
        .where(Flag.decided_at.is_(None))
        .distinct()
        .subquery()
    )
    return dict(
        db.session.execute(
            select(items.c.community_id, func.count()).group_by(items.c.community_id)
        ).all()
    )


def waiting_count(user: User | None) -> int:
    """How many items wait for this moderator (0 for everyone else)."""
    if user is None or not user.is_authenticated:
        return 0
    communities = scope(user)
    if communities is not None and not communities:
        return 0
    counts = _flagged_counts()
    flagged = sum(n for c, n in counts.items() if communities is None or c in communities)
    return flagged + sections.waiting(user)


def waiting_counts(community_id: int | None) -> dict[int, int]:
    """The waiting count of each moderator of `community_id` and of each admin: who must
    hear that it changed."""
    from ..accounts.models import User
    from ..communities.models import Membership

    per_community = _flagged_counts()
    total = sum(per_community.values())
    admins = list(db.session.scalars(select(User).where(User.site_role == "admin")))
    counts = {admin.id: total + sections.waiting(admin) for admin in admins}
    if community_id is not None:
        moderators = db.session.scalars(
            select(Membership.user_id).where(
                Membership.community_id == community_id, Membership.role == "moderator"
            )
        )
        for user_id in moderators:
            if user_id not in counts:
                user = db.session.get(User, user_id)
                mine = moderated_ids(user)
                flagged = sum(n for c, n in per_community.items() if c in mine)
                counts[user_id] = flagged + sections.waiting(user)
    return counts


def publish_waiting(community_ids) -> None:
    """Send the header's new count to the moderators of these communities and to the
    admins, once the transaction commits."""
    from .. import realtime
    from ..rooms import user_room

    counts: dict[int, int] = {}
    for community_id in list(community_ids) or [None]:
        counts.update(waiting_counts(community_id))
    for user_id, count in counts.items():
        realtime.publish("moderation.count", {"waiting": count}, room=user_room(user_id))
