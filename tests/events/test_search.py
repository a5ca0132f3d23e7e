"""Events in search: found by title, description and place, by whoever may see the event
(members-only communities' events by their readers only; network-wide events by everyone),
and the entry follows the event when it changes or is cancelled. Every test runs on SQLite
and PostgreSQL."""

from datetime import timedelta

from community import signals
from community.db import atomic, utcnow
from community.events.models import Event
from community.extensions import db
from community.search.actions import index_document
from community.search.queries import Filters
from tests.factories import make_event
from tests.search.helpers import find, result_urls, urls
from tests.threads.helpers import live, make_private, signed_in, start


def url(event_id: int) -> str:
    return f"/events/{event_id}"


def change(actor, event_id: int, changes: set[str], **fields) -> None:
    """Change an event as the organisers' edit and cancel actions do: its fields, its
    sequence raised, then `event_changed` inside the same transaction."""
    with atomic():
        event = db.session.get(Event, event_id)
        for name, value in fields.items():
            setattr(event, name, value)
        event.sequence += 1
        signals.event_changed.emit(event=event, changes=frozenset(changes), actor=live(actor))


def test_an_event_is_found_by_its_title_description_and_place(mod, alice):
    event_id = make_event(
        mod,
        title="Social value networking morning",
        description="Bring your **tender scoring** questions.",
        location="Riverfront Theatre, Newport",
    )

    for words in ("social value networking", "tender scoring", "Riverfront Newport"):
        assert urls(alice, words) == [url(event_id)], words
    assert urls(alice, "lunch") == []
    [result] = find(alice, "riverfront").items
    assert result.kind == "event"
    assert result.label == "Event"
    assert result.community.slug == "procurement"
    assert result.author.display_name == "Mona Moderator"
    assert "<mark>Riverfront</mark>" in result.snippet
    # The Markdown is indexed as the text a reader sees.
    assert "**" not in str(find(alice, "tender").items[0].snippet)


def test_the_result_is_dated_by_the_start(mod, alice):
    event_id = make_event(mod, title="Procurement clinic", starts_in=timedelta(days=40))
    event = db.session.get(Event, event_id)

    [result] = find(alice, "clinic").items
    assert result.created_at == event.starts_at
    # The date filters ask when the event happens.
    assert urls(alice, "clinic", Filters(since=event.starts_at - timedelta(hours=1))) == [
        url(event_id)
    ]
    assert urls(alice, "clinic", Filters(until=event.starts_at - timedelta(days=1))) == []


def test_members_only_events_are_not_found_by_outsiders(app, mod, alice, stranger):
    make_private("procurement")
    event_id = make_event(mod, title="Closed tender workshop", location="Council chamber")

    assert urls(alice, "tender workshop") == [url(event_id)]
    assert urls(mod, "council chamber") == [url(event_id)]
    assert urls(stranger, "tender workshop") == []
    assert urls(None, "tender workshop") == []
    assert result_urls(signed_in(app, stranger).get("/search?q=tender").text) == []
    assert result_urls(signed_in(app, alice).get("/search?q=tender").text) == [url(event_id)]


def test_a_public_communitys_event_is_found_by_anyone(mod, stranger):
    event_id = make_event(mod, title="Open procurement surgery")

    assert urls(None, "surgery") == [url(event_id)]
    assert urls(stranger, "surgery") == [url(event_id)]


def test_a_network_wide_event_is_found_by_everyone(admin, stranger, alice):
    event_id = make_event(admin, community=None, title="Networking day in Cardiff")

    for reader in (None, stranger, alice, admin):
        assert urls(reader, "cardiff networking") == [url(event_id)]
    [result] = find(None, "cardiff").items
    assert result.community is None


def test_a_changed_event_is_found_by_its_new_words_only(mod, alice):
    event_id = make_event(mod, title="Framework briefing", location="Guildhall, Swansea")

    change(mod, event_id, {"details", "place"}, title="Frameworks explained",
           location="Brangwyn Hall, Swansea")  # fmt: skip

    assert urls(alice, "briefing") == []
    assert urls(alice, "guildhall") == []
    assert urls(alice, "frameworks explained") == [url(event_id)]
    assert urls(alice, "brangwyn") == [url(event_id)]


def test_a_moved_event_is_found_at_its_new_time(mod, alice):
    event_id = make_event(mod, title="Lots and lotting")
    event = db.session.get(Event, event_id)
    later = event.starts_at + timedelta(days=30)

    change(mod, event_id, {"time"}, starts_at=later, ends_at=later + timedelta(hours=2))

    [result] = find(alice, "lotting").items
    assert result.created_at == later


def test_a_cancelled_event_stays_findable_marked_cancelled(mod, alice):
    event_id = make_event(mod, title="Bid writing day", description="Hands-on bid writing.")
    with atomic():
        cancelled_at = db.session.get(Event, event_id).starts_at - timedelta(days=3)

    change(mod, event_id, {"cancelled"}, cancelled_at=cancelled_at,
           cancel_reason="The venue flooded.")  # fmt: skip

    [result] = find(alice, "bid writing").items
    assert result.url == url(event_id)
    assert result.title == "Cancelled: Bid writing day"
    assert urls(alice, "venue flooded") == [url(event_id)]


def test_the_search_page_lists_events_and_filters_to_them(app, mod, alice):
    event_id = make_event(mod, title="Tendering networking lunch")
    thread_id = start(alice, title="Tendering questions", body="Networking help please.")
    browser = signed_in(app, alice)

    page = browser.get("/search?q=networking").text
    assert sorted(result_urls(page)) == sorted([url(event_id), f"/t/{thread_id}"])
    assert "Event in Procurement" in page
    page = browser.get("/search?q=networking&what=events").text
    assert result_urls(page) == [url(event_id)]
    assert '<option value="events" selected>Events</option>' in page
    page = browser.get("/search?q=networking&what=discussions").text
    assert result_urls(page) == [f"/t/{thread_id}"]


def test_a_deleted_event_leaves_the_index(mod, alice, admin):
    gone = make_event(mod, title="Withdrawn tender day")
    kept = make_event(admin, community=None, title="Tender day for everyone")

    with atomic():
        db.session.delete(db.session.get(Event, gone))
        signals.target_deleted.emit(kind="event", id=gone, by=None)
        signals.target_deleted.emit(kind="thread", id=kept, by=None)  # another kind's id: not ours

    assert urls(alice, "tender day") == [url(kept)]


def test_a_network_wide_entry_is_found_only_while_its_event_may_be_seen(admin, stranger):
    """The entry of a network-wide event is let through by its own event's visibility
    (access.visible_filter): an entry left with no event behind it is found by no one."""
    everyone = make_event(admin, community=None, title="Regional forum")
    with atomic():
        index_document(
            "event", everyone + 1000, title="Regional forum (orphan)", body="",
            url=url(everyone + 1000), community_id=None, author_id=None,
            created_at=utcnow(),
        )  # fmt: skip

    assert urls(stranger, "regional forum") == [url(everyone)]
    assert urls(None, "regional forum") == [url(everyone)]
