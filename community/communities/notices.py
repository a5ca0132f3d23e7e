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


register_target("community", link=_link, visible=_still_there)
register_wording("community.suspended", "suspended you, read-only for a while, from", email=None)
