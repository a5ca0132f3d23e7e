"""What event notifications point at (events). Each part of events registers the wording
of its own kinds of notice beside the code that sends them."""

from sqlalchemy import and_, select

from ..notifications.models import Notification
from ..notifications.targets import register_target
from . import access
from .links import event_url
from .models import Event


def _event_visible():
    """The event is still there and its recipient may still see it (a network-wide event's
    notification has no community for the notifications' own check)."""
    return (
        select(Event.id)
        .where(
            and_(
                Event.id == Notification.target_id,
                access.visible_to_member_id(Notification.user_id),
            )
        )
        .exists()
    )


register_target("event", link=event_url, visible=_event_visible)
