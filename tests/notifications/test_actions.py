"""In-app notifications through their actions: counts, visibility, opening, marking read."""

import pytest
from sqlalchemy import select

from community.db import atomic
from community.errors import NotFound
from community.extensions import db
from community.notifications import actions
from community.notifications.models import Notification
from community.threads import actions as thread_actions
from tests.factories import make_moderator
from tests.threads.helpers import (
    fresh,
    live,
    make_private,
    notifications,
    reply,
    start,
)


def _ids(page) -> list[int]:
    return [n.id for n in page.items]


def test_counts_and_lists_follow_what_the_member_may_still_read(alice, bob, mod):
    thread_id = start(alice)
    reply(bob, thread_id)  # bob watches
    mention = reply(alice, thread_id, "Thanks @**Bob Reader**")
    fresh()
    assert actions.unread_count(live(bob)) == 1
    assert actions.unread_counts({bob.id, alice.id}) == {bob.id: 1, alice.id: 1}
    # The thread moves to a members-only community bob is not in: its notifications go too.
    make_moderator("health", mod)
    with atomic():
        thread_actions.move_thread(live(mod), thread_id, to_slug="health")
    make_private("health")
    fresh()
    assert actions.unread_count(live(bob)) == 0
    assert actions.unread_counts({bob.id}) == {bob.id: 0}
    assert actions.list_for(live(bob)).items == []
    [note_id] = db.session.scalars(select(Notification.id).where(Notification.user_id == bob.id))
    with pytest.raises(NotFound):
        actions.open_notification(live(bob), note_id)
    assert notifications(bob) == [("mention", mention)]  # kept, only hidden


def test_notifications_about_deleted_posts_or_threads_are_hidden(alice, bob, mod):
    thread_id = start(alice)
    reply(bob, thread_id)
    gone = reply(alice, thread_id, "Soon deleted")
    kept = reply(alice, thread_id, "Stays")
    with atomic():
        thread_actions.delete_post(live(alice), gone)
    fresh()
    assert [n.target_id for n in actions.list_for(live(bob)).items] == [kept]
    assert actions.unread_count(live(bob)) == 1
    with atomic():
        thread_actions.delete_thread(live(mod), thread_id)
    fresh()
    assert actions.list_for(live(bob)).items == []
    assert actions.unread_count(live(bob)) == 0


def test_the_list_is_newest_first_in_keyset_pages(alice, bob):
    thread_id = start(alice)
    reply(bob, thread_id)
    for n in range(actions.PAGE_SIZE + 4):
        reply(alice, thread_id, f"News {n}")
    fresh()
    first = actions.list_for(live(bob))
    assert len(first.items) == actions.PAGE_SIZE
    assert first.next_cursor
    assert _ids(first) == sorted(_ids(first), reverse=True)
    assert first.items[0].excerpt == f"News {actions.PAGE_SIZE + 3}"
    second = actions.list_for(live(bob), after=first.next_cursor)
    assert len(second.items) == 4
    assert second.next_cursor is None
    assert max(_ids(second)) < min(_ids(first))
    # A cursor from a URL that is nonsense, or past any id, starts from the top.
    for bad in ("garbage", "WzEwMDAwMDAwMDAwMDAwXQ", "WyJ4Il0", ""):
        assert _ids(actions.list_for(live(bob), after=bad)) == _ids(first)


def test_opening_marks_read_and_publishes_the_new_count(alice, bob, published):
    thread_id = start(alice)
    reply(bob, thread_id)
    reply(alice, thread_id, "One")
    reply(alice, thread_id, "Two")
    fresh()
    newest, older = actions.list_for(live(bob)).items
    published.clear()
    with atomic():
        note = actions.open_notification(live(bob), older.id)
        assert note.url == f"/p/{older.target_id}"
    assert published == [("notification.count", f"user:{bob.id}", {"unread": 1})]
    with atomic():
        actions.open_notification(live(bob), older.id)  # again: nothing changes
    assert len(published) == 1
    fresh()
    assert actions.unread_count(live(bob)) == 1
    with pytest.raises(NotFound):
        actions.open_notification(live(alice), newest.id)  # someone else's
    for bad in (0, -1, 2**31, 10**20):
        with pytest.raises(NotFound):
            actions.open_notification(live(bob), bad)
    with atomic():
        actions.mark_all_read(live(bob))
    assert published[-1] == ("notification.count", f"user:{bob.id}", {"unread": 0})
    fresh()
    assert actions.unread_count(live(bob)) == 0
    assert all(n.read_at for n in actions.list_for(live(bob)).items)


def test_a_mention_and_a_reply_in_one_post_make_one_notification(alice, bob):
    thread_id = start(alice)
    reply(bob, thread_id)
    reply(alice, thread_id, "@**Bob Reader** see above")
    fresh()
    assert [n.kind for n in actions.list_for(live(bob)).items] == ["mention"]


def test_the_same_occurrence_never_notifies_a_member_twice(alice, bob):
    thread_id = start(alice)
    post_id = reply(bob, thread_id, "Hello")
    fresh()
    kwargs = dict(actor=live(bob), community_id=None, target=("post", post_id), subject="Hi")
    with atomic():
        first = actions.notify(alice.id, "mention", **kwargs)
        again = actions.notify(alice.id, "mention", **kwargs)
        other_round = actions.notify(alice.id, "mention", occurrence="2", **kwargs)
    assert (first, again, other_round) == (True, False, True)
    keys = db.session.scalars(
        select(Notification.dedupe_key).where(
            Notification.user_id == alice.id, Notification.kind == "mention"
        )
    ).all()
    assert sorted(keys) == [f"mention:post:{post_id}", f"mention:post:{post_id}:2"]


def test_a_notification_waits_to_be_mailed_and_its_excerpt_is_plain_text(alice, bob):
    thread_id = start(alice)
    reply(bob, thread_id)  # bob watches
    reply(
        alice,
        thread_id,
        "**Bold** and _slanted_ with [a link](https://example.org) @**Bob Reader**",
    )
    fresh()
    [note] = actions.list_for(live(bob)).items
    assert note.email_state == "pending"
    assert note.emailed_at is None
    assert note.excerpt == "Bold and slanted with a link @Bob Reader"
    assert (note.target_kind, note.url) == ("post", f"/p/{note.target_id}")


def test_a_deleted_post_takes_its_notifications_with_it(alice, bob):
    thread_id = start(alice)
    reply(bob, thread_id)
    post_id = reply(alice, thread_id, "Soon gone")
    fresh()
    assert actions.unread_count(live(bob)) == 1
    with atomic():
        thread_actions.delete_post(live(alice), post_id)
    fresh()
    assert actions.unread_count(live(bob)) == 0
    assert actions.list_for(live(bob)).items == []
