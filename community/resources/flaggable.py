"""Resources as moderation sees them (community/moderation/flags.py): a published resource
is flagged by members, hidden from every list, page, download, feed, digest and search while
a moderator looks (`Resource.in_view`), then restored or removed.

A resource may be in several communities; its flags belong to one: the first of its live
communities (`actions.home_community`, by their position), else the first of all. That
community's moderators decide, and its flag threshold counts.

Removing one is archiving it (`actions.set_archived`), what a curator does to take a
resource out of the bank: it keeps its history and versions, is audited, and can be
brought back; the bank has no deletion. Removed by moderation it stays hidden as well, so
the archive's list does not show it either: archived and hidden is "deleted" here, and
archiving a hidden resource from its page closes its flags the same way (target_deleted).
"""

from sqlalchemy import select

from .. import signals
from ..db import utcnow
from ..extensions import db
from ..moderation.flags import FlaggableKind, Flagged, register_flaggable
from ..notifications.models import Notification
from ..notifications.targets import register_target
from ..threads import mentions
from . import actions
from .models import VISIBLE_TO_READERS, Resource

KIND = "resource"
REMOVED = "Removed by a moderator after members flagged it."


def _flag_community_id(resource: Resource) -> int | None:
    community = actions.home_community(resource) or next(iter(resource.communities), None)
    return community.id if community is not None else None


def _load(resource_id: int) -> Flagged | None:
    resource = db.session.get(Resource, resource_id)
    if resource is None or resource.status not in VISIBLE_TO_READERS:
        return None  # one not yet published waits in the review queue instead
    return Flagged(
        kind=KIND,
        id=resource.id,
        community_id=_flag_community_id(resource),
        author_id=resource.submitter_id,
        title=f"the resource “{resource.title}”",
        own_title=f"your resource “{resource.title}”",
        excerpt=mentions.excerpt(resource.summary or resource.title),
        url=f"/resources/{resource.id}",
        hidden=resource.hidden_at is not None,
        deleted=resource.status == "archived" and resource.hidden_at is not None,
    )


def _can_see(user, resource_id: int) -> bool:
    """Members flag what they can read in the bank: a published resource in view."""
    resource = db.session.get(Resource, resource_id)
    return resource is not None and resource.is_in_view and actions.can_view(user, resource)


def _locked(resource_id: int) -> Resource:
    """The resource under its row lock on PostgreSQL (two decisions at once: one waits)."""
    stmt = select(Resource).where(Resource.id == resource_id)
    if db.engine.dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=Resource)
    return db.session.scalar(stmt.execution_options(populate_existing=True))


def _hide(resource: Resource, why: str) -> None:
    resource.hidden_at, resource.hidden_reason = utcnow(), why
    signals.resource_changed.emit(resource=resource)  # out of search at once


def hide(resource_id: int, _moderator, why: str) -> None:
    """Out of members' view at once (`Resource.in_view`): its submitter and curators still
    open its page, marked."""
    resource = _locked(resource_id)
    if resource.hidden_at is None:
        _hide(resource, why)


def restore(resource_id: int, _moderator) -> None:
    resource = _locked(resource_id)
    if resource.hidden_at is not None:
        resource.hidden_at, resource.hidden_reason = None, ""
        signals.resource_changed.emit(resource=resource)  # back in search


def delete(resource_id: int, moderator) -> None:
    resource = _locked(resource_id)
    if resource.hidden_at is None:
        _hide(resource, "moderator")
    if resource.status == "published":
        actions.set_archived(moderator, resource_id, True, reason=REMOVED)


register_flaggable(
    KIND,
    FlaggableKind(
        label="resource", load=_load, can_see=_can_see, hide=hide, restore=restore,
        delete=delete, notice_target="moderated_resource",
    ),
)  # fmt: skip


def _resource_still_there():
    """A moderation notice stays while its resource exists (the bank deletes none): hidden
    or removed is what it tells."""
    return select(Resource.id).where(Resource.id == Notification.target_id).exists()


register_target(
    "moderated_resource",
    link=lambda resource_id: f"/resources/{resource_id}",
    visible=_resource_still_there,
)
# The audit trail names resources already (audited.py registers the "resource" target).
