"""Who may see an event and who may organise it: the rules every part of events asks
(lists, the event page, feeds, search, iCal, notifications, the room).

An event of a community is seen by whoever may read that community (communities/access.py);
a network-wide event by everyone (it is public, like a public community's). Moderators of
the community and the admins organise a community's events; only admins organise
network-wide ones. Reads only: any part of events may ask.

An event hidden by moderation (Event.in_view) is seen by nobody: every list, feed, search
entry, digest, reminder, notice and room asks `can_see` or `visible_filter` and so leaves it
out. Only its page stays, for those who decide on it (`sees_hidden`), marked.
"""

from sqlalchemy import ColumnElement, or_, select

from ..accounts.models import User
from ..communities import access as community_access
from ..communities.models import Community
from ..communities.queries import communities_for
from ..errors import Forbidden, NotFound
from ..extensions import db
from .models import Event

NOT_FOUND = "We could not find that event."
HIDDEN = "This event is hidden while a moderator reviews it."


def can_read(user: User | None, event: Event) -> bool:
    """The community's rule alone, hidden or not (a cancellation still reaches attendees)."""
    if event.community is None:
        return True
    return community_access.can_read(user, event.community)


def can_see(user: User | None, event: Event) -> bool:
    return event.is_in_view and can_read(user, event)


def visible_filter(user: User | None) -> ColumnElement[bool]:
    """`can_see` as a WHERE clause on Event (correlated; no join needed)."""
    readable = select(Community.id).where(community_access.readable_filter(user))
    return Event.in_view() & or_(Event.community_id.is_(None), Event.community_id.in_(readable))


def readable_by_member_id(user_id) -> ColumnElement[bool]:
    """`can_read` as a WHERE clause on Event for the member whose id is the column
    `user_id` (a notification's recipient, or User.id): many members at once."""
    readable = select(Community.id).where(community_access.readable_by_member_id(user_id))
    return or_(Event.community_id.is_(None), Event.community_id.in_(readable))


def visible_to_member_id(user_id) -> ColumnElement[bool]:
    """`can_see` as a WHERE clause on Event for the member whose id is the column
    `user_id`."""
    return Event.in_view() & readable_by_member_id(user_id)


def sees_hidden(user: User | None, event: Event) -> bool:
    """Who still reads a hidden event (its page, marked) and decides on it: those who
    decide on flags there (moderation/flags.py): its community's moderators and the
    admins; for a network-wide event, the admins. The same people as its organisers."""
    return can_organise(user, event.community)


def check_in_view(event: Event) -> None:
    """Nobody takes part in a hidden event (RSVP, feedback), moderators included."""
    if not event.is_in_view:
        raise Forbidden(HIDDEN)


def can_organise(user: User | None, community: Community | None) -> bool:
    """May `user` create, edit and cancel events of `community` (None: network-wide)?"""
    if user is None or not user.is_authenticated:
        return False
    if community is None:
        return user.is_admin
    return community_access.is_moderator(user, community)


def communities_organised_by(user: User | None) -> list[Community]:
    """The communities `user` may create events in (admins: all open ones), in the site's
    order. An archived community takes no new events (nor changes to its events)."""
    if user is None or not user.is_authenticated:
        return []
    # `can_organise` for every community at once: the roles come with them, in one query.
    return [c for c, role in communities_for(user) if user.is_admin or role == "moderator"]


def access_event(user: User | None, event_id: int, *, need: str = "read") -> Event:
    """Load an event and check `need` ("read" or "organise"). An event the user may not
    see does not exist for them (404), as for members-only communities; a hidden one is
    still there for those who decide on it (`sees_hidden`)."""
    event = db.session.get(Event, event_id)
    if event is None or not can_read(user, event):
        raise NotFound(NOT_FOUND)
    if not event.is_in_view and not sees_hidden(user, event):
        raise NotFound(NOT_FOUND)
    if need == "organise" and not can_organise(user, event.community):
        raise Forbidden("Only this event's organisers can do that.")
    return event
