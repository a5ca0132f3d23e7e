"""Events as moderation sees them (community/moderation/flags.py): flagged by members who
can see them, hidden from everyone while a moderator looks (access.py keeps every list,
feed, search entry, digest, reminder, notice and room to `Event.in_view`), restored, or
deleted.

Events are never deleted: a moderator's "delete" cancels the event through the organisers'
own action, with the moderator's reason (those who meant to come are told, as of any
cancellation; one that has ended or was cancelled already is not cancelled again), and keeps
it out of view for good ("removed"), so its words are gone with it."""

from sqlalchemy import select

from .. import signals
from ..db import utcnow
from ..extensions import db
from ..moderation.flags import FlaggableKind, Flagged, register_flaggable
from ..notifications.models import Notification
from ..notifications.targets import register_target
from ..threads import mentions
from . import access, actions
from .links import event_url
from .models import Event

KIND = "event"
REMOVED = "removed"  # Event.hidden_reason of an event a moderator deleted from the queue


def _load(event_id: int) -> Flagged | None:
    event = db.session.get(Event, event_id)
    if event is None:
        return None
    return Flagged(
        kind=KIND,
        id=event.id,
        community_id=event.community_id,
        author_id=event.organiser_id,
        title=f"the event “{event.title}”",
        own_title=f"your event “{event.title}”",
        excerpt=mentions.excerpt(event.description) or event.where,
        url=event_url(event.id),
        hidden=not event.is_in_view,
        deleted=event.hidden_reason == REMOVED,
    )


def _can_see(user, event_id: int) -> bool:
    event = db.session.get(Event, event_id)
    return event is not None and access.can_see(user, event)


def _locked(event_id: int) -> Event:
    """The event under its row lock (PostgreSQL): two flaggers crossing the threshold at
    once hide it once."""
    stmt = select(Event).where(Event.id == event_id)
    if db.engine.dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=Event)
    event = db.session.scalar(stmt)
    db.session.refresh(event)
    return event


def hide(event_id: int, _moderator, why: str) -> None:
    """Out of everyone's view at once (its page stays for those who decide, marked)."""
    event = _locked(event_id)
    if event.hidden_at is not None:
        return
    event.hidden_at, event.hidden_reason = utcnow(), why
    signals.event_hidden.emit(event=event, reason=why)


def restore(event_id: int, _moderator) -> None:
    event = _locked(event_id)
    if event.hidden_at is None:
        return
    event.hidden_at, event.hidden_reason = None, ""
    signals.event_restored.emit(event=event)


def _cancellable(event: Event) -> bool:
    """Whether the organisers' cancel action applies (actions.cancel_event's own rules)."""
    open_community = event.community is None or event.community.archived_at is None
    return not event.is_cancelled and event.ends_at > utcnow() and open_community


def delete(event_id: int, moderator, reason: str) -> None:
    """Cancel it with the moderator's reason (when still to come) and keep it hidden."""
    event = _locked(event_id)
    if _cancellable(event):
        actions.cancel_event(moderator, event.id, reason)
    was_hidden = event.hidden_at is not None
    event.hidden_at, event.hidden_reason = event.hidden_at or utcnow(), REMOVED
    if not was_hidden:
        signals.event_hidden.emit(event=event, reason=REMOVED)


register_flaggable(
    KIND,
    FlaggableKind(
        label="event", load=_load, can_see=_can_see, hide=hide, restore=restore,
        delete=delete, notice_target="moderated_event", delete_label="Cancel and remove it",
        delete_takes_reason=True,
    ),
)  # fmt: skip


def _event_still_there():
    """A moderation notice stays while its event exists (hidden, or removed, is the point)."""
    return select(Event.id).where(Event.id == Notification.target_id).exists()


register_target("moderated_event", link=event_url, visible=_event_still_there)
