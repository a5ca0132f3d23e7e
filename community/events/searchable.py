"""How events are searched (community/search/kinds.py): an event's entry is filed under its
community, so found by that community's readers; a network-wide event's entry has no
community and is found by whoever may see the event (access.visible_filter, asked of the
event the entry stands for).

The entry holds the title, the description as plain text and the place, and is dated by the
event's start (the date a reader filters on and sees in the result). A cancelled event stays
findable, its title marked "Cancelled:", so a member who heard of it learns what became of
it. An event hidden by moderation leaves the index at once, and comes back when restored.
"""

from markupsafe import Markup
from sqlalchemy import ColumnElement, exists

from ..accounts.models import User
from ..search import actions as search
from ..search.kinds import register_document_kind
from ..search.models import SearchDocument
from . import access, bp
from .links import event_url
from .models import Event

KIND = "event"
CANCELLED = "Cancelled: "


def visible(reader: User | None) -> ColumnElement[bool]:
    """The events rule for the entries of network-wide events: the event is visible."""
    return exists().where(Event.id == SearchDocument.object_id, access.visible_filter(reader))


@bp.record_once
def _register_search_kind(state) -> None:
    register_document_kind(state.app, KIND, label="Event", visible=visible)


def plain_description(event: Event) -> str:
    """The description as plain text (the rendered Markdown with its tags stripped)."""
    # Only read: the stored, sanitised HTML is parsed for its text, never output as markup.
    return Markup(event.description_html or "").striptags()  # noqa: S704


def index_event(event: Event) -> None:
    """Put the event's entry in step with the event (inside the caller's transaction): a
    hidden event has none (an edit of it while hidden does not bring it back)."""
    if not event.is_in_view:
        search.remove_document(KIND, event.id)
        return
    title = f"{CANCELLED}{event.title}" if event.is_cancelled else event.title
    words = [plain_description(event), event.location]
    if event.is_cancelled and event.cancel_reason:
        words.insert(0, event.cancel_reason)
    search.index_document(
        KIND,
        event.id,
        title=title,
        body="\n".join(w for w in words if w),
        url=event_url(event.id),
        community_id=event.community_id,
        author_id=event.organiser_id,
        created_at=event.starts_at,
    )


def reindex(_app, *, event: Event, **_) -> None:
    """event_created, event_changed, event_hidden, event_restored: the entry follows the
    event (a hidden one leaves the index; restored, it comes back)."""
    index_event(event)


def unindex(_app, *, kind: str, id: int, **_) -> None:  # noqa: A002 (the signal's keyword)
    """target_deleted: an event gone for good leaves the index."""
    if kind == KIND:
        search.remove_document(KIND, id)
