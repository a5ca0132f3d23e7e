"""Notifications about a community itself: a member suspended from it is told why."""

from sqlalchemy import select

from ..extensions import db
from ..notifications.models import Notification
from ..notifications.targets import register_target, register_wording
from .models import Community


def _link(community_id: int) -> str:
    slug = db.session.scalar(select(Community.slug).where(Community.id == community_id))
    return f"/c/{slug}" if slug else "/"


def _still_there():
    return select(Community.id).where(Community.id == Notification.target_id).exists()


def tell_suspended(member, community: Community, actor) -> None:
    """The member suspended from a community hears it, with the moderators' reason."""
    from ..db import utcnow
    from ..notifications import actions as notify

    notify.notify(
        member.user_id, "community.suspended", actor=actor, community_id=community.id,
        target=("community", community.id), subject=community.name,
        excerpt=member.suspended_reason, occurrence=utcnow().isoformat(),
    )  # fmt: skip
    notify.publish_counts({member.user_id})


register_target("community", link=_link, visible=_still_there)
register_wording(
    "community.suspended", "suspended you, read-only for a while, from", email="moderation"
)
