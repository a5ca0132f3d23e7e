"""What event notifications point at (events). Each part of events registers the wording
of its own kinds of notice beside the code that sends them."""

from sqlalchemy import and_, or_, select

from ..notifications.models import Notification
from ..notifications.targets import register_target
from . import access
from .links import event_url
from .models import Event

# Told even of an event out of view (reminders.py): its notice stays with it.
CANCELLED_NOTICE = "event_cancelled"


def _event_visible():
    """The event is still there and its recipient may still see it (a network-wide event's
    notification has no community for the notifications' own check); a cancellation, while
    they may read its community, hidden or not."""
    recipient = Notification.user_id
    return (
        select(Event.id)
        .where(
            and_(
                Event.id == Notification.target_id,
                or_(
                    access.visible_to_member_id(recipient),
                    and_(
                        Notification.kind == CANCELLED_NOTICE,
                        access.readable_by_member_id(recipient),
                    ),
                ),
            )
        )
        .exists()
    )


register_target("event", link=event_url, visible=_event_visible)
