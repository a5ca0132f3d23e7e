"""What chat does when told: mention notices, and a community's live room rechecked when
who may read the community changes. Connected per app (signals.py)."""

from flask import Flask

from .. import signals
from ..communities.models import Community
from . import notices
from .actions import recheck_live_room


def _recheck_community_room(_app, *, community: Community, **_) -> None:
    recheck_live_room("community", community.id)


def _recheck_after_leaving(app, *, community: Community, **_) -> None:
    # Leaving a public community changes nothing anyone may read.
    if not community.is_public:
        _recheck_community_room(app, community=community)


def connect(app: Flask) -> None:
    signals.connect(
        app,
        (signals.chat_message_posted, notices.tell_mentioned),
        (signals.chat_message_edited, notices.tell_mentioned),
        (signals.membership_lost, _recheck_after_leaving),
        (signals.community_access_changed, _recheck_community_room),
    )
