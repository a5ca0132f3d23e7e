"""The discussion core, through its actions: posting, editing, deleting, reacting, moderating,
tagging, watching and reading. Every test runs on SQLite and on PostgreSQL."""

import pytest
from sqlalchemy import select

from community.accounts.models import User
from community.db import atomic
from community.errors import Forbidden, Invalid, NotFound
from community.extensions import db
from community.search.models import SearchDocument
from community.threads import actions, mentions, queries
from community.threads.models import (
    PostRevision,
    Reaction,
    Subscription,
    Tag,
    ThreadRead,
)
from tests.communities.helpers import run_concurrently
from tests.factories import join, make_moderator, make_user
from tests.threads.helpers import (
    audit,
    community,
    first_post_id,
    fresh,
    live,
    make_private,
    notifications,
    numbers,
    post,
    reply,
    start,
    suspend,
    thread,
)

# --- starting and replying ------------------------------------------------------------------


def test_starting_a_thread_makes_its_first_post_and_counts_it(alice, published):
    thread_id = start(alice, title="  Social   value in tenders ", body="**How** do you score it?")
    t = thread(thread_id)
    assert (t.title, t.slug) == ("Social value in tenders", "social-value-in-tenders")
    assert (t.post_count, t.last_number, t.author_id) == (1, 1, alice.id)
    first = post(first_post_id(thread_id))
    assert first.number == 1
    assert t.last_post_id == first.id
    assert first.html == "<p><strong>How</strong> do you score it?</p>"
    c = community("procurement")
    assert (c.thread_count, c.post_count) == (1, 1)
    assert c.last_activity_at == t.last_post_at
    # The author watches the thread and has read what they wrote.
    assert actions.is_watching(live(alice), t)
    assert actions.first_unread_number(live(alice), t) == 1
    assert published[-1][:2] == ("thread.reply", f"thread:{thread_id}")


def test_replies_are_numbered_and_counted(alice, bob):
    thread_id = start(alice)
    ids = [reply(bob, thread_id, f"Reply {n}") for n in range(3)]
    t = thread(thread_id)
    assert numbers(thread_id) == [1, 2, 3, 4]
    assert (t.post_count, t.last_number, t.last_post_id) == (4, 4, ids[-1])
    assert community("procurement").post_count == 4
    assert post(ids[0]).source == "Reply 0"


def test_a_reply_records_the_post_it_answers_within_the_same_thread(alice, bob):
    thread_id = start(alice)
    other_thread = start(alice, title="Another thread")
    first = first_post_id(thread_id)
    answer = reply(bob, thread_id, "> quoted\n\nI agree", reply_to_id=first)
    assert post(answer).reply_to_id == first
    # A post of another thread, a missing post or nonsense is not recorded.
    for bad in (first_post_id(other_thread), 999_999, 2**40, -1, "abc"):
        assert post(reply(bob, thread_id, "x", reply_to_id=bad)).reply_to_id is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": "", "body": "Hello"}, "Give the thread a title."),
        ({"title": "   ", "body": "Hello"}, "Give the thread a title."),
        ({"title": "x" * 201, "body": "Hello"}, "at most 200 characters"),
        ({"title": "Hello", "body": ""}, "the message is empty"),
        ({"title": "Hello", "body": " \n\t "}, "the message is empty"),
        ({"title": "Hello", "body": "é" * 32769}, "longer than 64 KB"),
    ],
)
def test_bad_thread_input_is_refused_with_a_clear_message(alice, fields, message):
    with pytest.raises(Invalid, match=message), atomic():
        actions.start_thread(live(alice), "procurement", **fields)
    assert community("procurement").thread_count == 0


def test_limits_are_exact(alice):
    # 200 characters of title and 64 KB of body are accepted; one more is not.
    thread_id = start(alice, title="t" * 200, body="b" * 65536)
    assert len(thread(thread_id).title) == 200
    with pytest.raises(Invalid, match="64 KB"), atomic():
        actions.post_reply(live(alice), thread_id, body="b" * 65537)


def test_empty_replies_are_refused(alice):
    thread_id = start(alice)
    for body in ("", "   ", "\r\n\r\n"):
        with pytest.raises(Invalid, match="empty"), atomic():
            actions.post_reply(live(alice), thread_id, body=body)
    assert thread(thread_id).post_count == 1


def test_the_same_form_submitted_twice_makes_one_post(alice, bob):
    thread_id = start(alice, client_token="tok-thread")
    assert start(alice, client_token="tok-thread", title="Again") == thread_id
    first = reply(bob, thread_id, "Once", client_token="tok-1")
    assert reply(bob, thread_id, "Once", client_token="tok-1") == first
    assert reply(bob, thread_id, "Twice", client_token="tok-2") != first
    assert thread(thread_id).post_count == 3
    assert community("procurement").thread_count == 1
    # Another member's token may be the same string: it is theirs alone.
    assert reply(alice, thread_id, "Mine", client_token="tok-1") != first


def test_a_token_longer_than_any_form_makes_is_ignored_not_an_error(alice):
    thread_id = start(alice)
    post_id = reply(alice, thread_id, "Hello", client_token="x" * 500)
    assert post(post_id).client_token is None


# --- permissions ----------------------------------------------------------------------------


def test_non_members_cannot_start_reply_or_react(alice, stranger):
    thread_id = start(alice)
    first = first_post_id(thread_id)
    with pytest.raises(Forbidden, match="Join Procurement to take part"), atomic():
        actions.start_thread(live(stranger), "procurement", title="Hi", body="Hi")
    with pytest.raises(Forbidden, match="Join Procurement to take part"), atomic():
        actions.post_reply(live(stranger), thread_id, body="Hi")
    with pytest.raises(Forbidden, match="Join Procurement to take part"), atomic():
        actions.toggle_reaction(live(stranger), first, "heart")
    assert thread(thread_id).post_count == 1


def test_suspended_members_cannot_post_or_react(alice, bob):
    thread_id = start(alice)
    suspend(bob)
    with pytest.raises(Forbidden, match="suspended"), atomic():
        actions.post_reply(live(bob), thread_id, body="Hi")
    with pytest.raises(Forbidden, match="suspended"), atomic():
        actions.start_thread(live(bob), "procurement", title="Hi", body="Hi")
    with pytest.raises(Forbidden, match="suspended"), atomic():
        actions.toggle_reaction(live(bob), first_post_id(thread_id), "heart")


def test_members_only_threads_do_not_exist_for_outsiders(alice, bob, stranger):
    thread_id = start(alice)
    first = first_post_id(thread_id)
    make_private("procurement")
    for who in (None, live(stranger)):
        with pytest.raises(NotFound):
            actions.access_thread(who, thread_id)
        with pytest.raises(NotFound):
            actions.access_post(who, first)
        with pytest.raises(NotFound):
            actions.revisions_of(who, first)
    with pytest.raises(NotFound), atomic():
        actions.post_reply(live(stranger), thread_id, body="Hi")
    with pytest.raises(NotFound), atomic():
        actions.toggle_reaction(live(stranger), first, "heart")
    # Members and admins still read it.
    assert actions.access_thread(live(bob), thread_id).id == thread_id
    assert actions.access_thread(make_user(admin=True), thread_id).id == thread_id


def test_only_the_author_or_a_moderator_edits_or_deletes(alice, bob, mod):
    thread_id = start(alice)
    first = first_post_id(thread_id)
    with pytest.raises(Forbidden, match="only change your own"), atomic():
        actions.edit_post(live(bob), first, body="Hijacked")
    with pytest.raises(Forbidden, match="only change your own"), atomic():
        actions.delete_post(live(bob), first)
    with atomic():
        actions.edit_post(live(mod), first, body="Tidied by a moderator", reason="Tidied")
    assert post(first).source == "Tidied by a moderator"


def test_a_member_who_left_cannot_edit_their_posts(alice):
    thread_id = start(alice)
    from community.communities import actions as community_actions

    with atomic():
        community_actions.leave_community(live(alice), "procurement")
    with pytest.raises(Forbidden, match="Join Procurement"), atomic():
        actions.edit_post(live(alice), first_post_id(thread_id), body="Changed")


def test_locked_threads_refuse_replies_except_from_moderators(alice, bob, mod):
    thread_id = start(alice)
    with atomic():
        actions.set_locked(live(mod), thread_id, locked=True)
    with pytest.raises(Forbidden, match="locked: it takes no more replies"), atomic():
        actions.post_reply(live(bob), thread_id, body="Hi")
    with pytest.raises(Forbidden, match="locked"), atomic():
        actions.edit_post(live(alice), first_post_id(thread_id), body="Changed")
    reply(mod, thread_id, "Closing note from the moderators.")
    assert thread(thread_id).post_count == 2
    with atomic():
        actions.set_locked(live(mod), thread_id, locked=False)
    reply(bob, thread_id, "Open again")
    assert thread(thread_id).post_count == 3


def test_deleted_threads_are_gone_for_members_and_closed_for_moderators(alice, bob, mod):
    thread_id = start(alice)
    first = first_post_id(thread_id)
    with atomic():
        actions.delete_thread(live(mod), thread_id)
    with pytest.raises(NotFound):
        actions.access_thread(live(bob), thread_id)
    with pytest.raises(NotFound):
        actions.access_post(live(alice), first)
    # Replying says why, to those who could read the community.
    with pytest.raises(NotFound, match="deleted"), atomic():
        actions.post_reply(live(bob), thread_id, body="Hi")
    assert actions.access_thread(live(mod), thread_id).deleted_at is not None
    with pytest.raises(Forbidden, match="deleted"), atomic():
        actions.post_reply(live(mod), thread_id, body="Hi")


def test_malformed_ids_are_not_found(alice):
    for bad in (0, -1, 2**31, 10**30):
        with pytest.raises(NotFound):
            actions.access_thread(live(alice), bad)
        with pytest.raises(NotFound):
            actions.access_post(live(alice), bad)


# --- editing and revisions ------------------------------------------------------------------


def test_every_edit_keeps_the_earlier_text_with_who_and_when(alice, mod, published):
    thread_id = start(alice, body="First draft")
    first = first_post_id(thread_id)
    with atomic():
        actions.edit_post(live(alice), first, body="Second draft")
    with atomic():
        actions.edit_post(live(mod), first, body="Third, *tidied*", reason="Tidied")
    fresh()
    found, revisions = actions.revisions_of(None, first)
    assert found.source == "Third, *tidied*"
    assert found.html == "<p>Third, <em>tidied</em></p>"
    assert found.edited_at is not None
    assert [(r.source, r.editor_id) for r in revisions] == [
        ("Second draft", mod.id),
        ("First draft", alice.id),
    ]
    assert revisions[0].created_at >= revisions[1].created_at
    assert ("thread.edited", f"thread:{thread_id}") in [p[:2] for p in published]
    # The search index follows the text.
    fresh()
    doc = db.session.scalar(select(SearchDocument).where(SearchDocument.thread_id == thread_id))
    assert "tidied" in doc.body
    assert "First draft" not in doc.body


def test_an_edit_that_changes_nothing_keeps_no_revision(alice):
    thread_id = start(alice, body="Same")
    with atomic():
        actions.edit_post(live(alice), first_post_id(thread_id), body="Same\n")
    fresh()
    assert db.session.scalar(select(PostRevision.id)) is None
    assert post(first_post_id(thread_id)).edited_at is None


def test_edits_are_validated_like_posts(alice):
    first = first_post_id(start(alice))
    with pytest.raises(Invalid, match="empty"), atomic():
        actions.edit_post(live(alice), first, body="  ")
    with pytest.raises(Invalid, match="64 KB"), atomic():
        actions.edit_post(live(alice), first, body="x" * 70000)


# --- deleting -------------------------------------------------------------------------------


def test_deleting_a_post_is_soft_and_keeps_the_counters_right(alice, bob, mod, published):
    thread_id = start(alice)
    own = reply(bob, thread_id, "Oops")
    other = reply(bob, thread_id, "Rude")
    with atomic():
        actions.delete_post(live(bob), own)
    with atomic():
        actions.delete_post(live(mod), other)
    p = post(own)
    assert p.deleted_at is not None
    assert p.deleted_by_id == bob.id
    assert p.source == "Oops"
    assert post(other).deleted_by_id == mod.id
    t = thread(thread_id)
    assert (t.post_count, t.last_number) == (1, 3)  # numbers are never reused
    assert community("procurement").post_count == 1
    # A moderator deleting someone else's post is on the record; an author's own is not.
    assert [(a.target_id, a.actor_id) for a in audit("post.delete")] == [(other, mod.id)]
    # Gone from search; the next reply still gets the next number.
    fresh()
    assert db.session.scalar(select(SearchDocument).where(SearchDocument.object_id == own)) is None
    assert post(reply(alice, thread_id, "Moving on")).number == 4
    assert ("thread.deleted", f"thread:{thread_id}") in [p[:2] for p in published]


def test_a_deleted_post_cannot_be_deleted_edited_or_reacted_to_again(alice):
    thread_id = start(alice)
    own = reply(alice, thread_id, "Oops")
    with atomic():
        actions.delete_post(live(alice), own)
    for act in (
        lambda: actions.delete_post(live(alice), own),
        lambda: actions.edit_post(live(alice), own, body="x"),
        lambda: actions.toggle_reaction(live(alice), own, "heart"),
    ):
        with pytest.raises(Forbidden, match="deleted"), atomic():
            act()
    assert thread(thread_id).post_count == 1
    assert community("procurement").post_count == 1


def test_revisions_of_a_deleted_post_are_for_moderators_only(alice, bob, mod):
    second = reply(bob, start(alice), "Draft")
    with atomic():
        actions.edit_post(live(bob), second, body="Final")
    with atomic():
        actions.delete_post(live(bob), second)
    with pytest.raises(NotFound):
        actions.revisions_of(live(alice), second)
    _, revisions = actions.revisions_of(live(mod), second)
    assert [r.source for r in revisions] == ["Draft"]


def test_a_moderator_deleting_a_post_of_a_deleted_thread_counts_it_once(alice, mod):
    thread_id = start(alice)
    extra = reply(alice, thread_id, "Second")
    reply(alice, start(alice, title="Stays"), "Third")
    with atomic():
        actions.delete_thread(live(mod), thread_id)
    with atomic():
        actions.delete_post(live(mod), extra)
    c = community("procurement")
    assert (c.thread_count, c.post_count) == (1, 2)


# --- reactions ------------------------------------------------------------------------------


def test_reactions_come_from_a_fixed_set_and_toggle(alice, bob, published):
    first = first_post_id(start(alice))
    with atomic():
        assert actions.toggle_reaction(live(bob), first, "heart") == {"heart": 1}
    with atomic():
        assert actions.toggle_reaction(live(alice), first, "heart") == {"heart": 2}
    with atomic():
        counts = actions.toggle_reaction(live(alice), first, "thumbs_up")
    assert counts == {"heart": 2, "thumbs_up": 1}
    with atomic():
        assert actions.toggle_reaction(live(bob), first, "heart") == {"heart": 1, "thumbs_up": 1}
    with pytest.raises(Invalid, match="not one of the choices"), atomic():
        actions.toggle_reaction(live(bob), first, "poop")
    fresh()
    assert queries.reactions_for([post(first)], live(alice))[first] == {
        "thumbs_up": (1, True),
        "heart": (1, True),
    }
    assert queries.reactions_for([post(first)], live(bob))[first]["heart"] == (1, False)
    reactors = queries.reactors(first)
    assert {kind: [u.display_name for u in users] for kind, users in reactors.items()} == {
        "heart": ["Alice Author"],
        "thumbs_up": ["Alice Author"],
    }
    assert published[-1] == (
        "thread.reactions",
        f"thread:{post(first).thread_id}",
        {"thread_id": post(first).thread_id, "post_id": first, "counts": counts | {"heart": 1}},
    )


def test_members_may_react_in_a_locked_thread(alice, bob, mod):
    thread_id = start(alice)
    with atomic():
        actions.set_locked(live(mod), thread_id, locked=True)
    with atomic():
        assert actions.toggle_reaction(live(bob), first_post_id(thread_id), "celebrate") == {
            "celebrate": 1
        }


# --- moderation -----------------------------------------------------------------------------


def test_moderators_pin_lock_and_each_change_is_audited(alice, mod):
    thread_id = start(alice)
    with atomic():
        actions.set_pinned(live(mod), thread_id, pinned=True)
    with atomic():
        actions.set_locked(live(mod), thread_id, locked=True)
    t = thread(thread_id)
    assert t.pinned
    assert t.locked
    with atomic():
        actions.set_pinned(live(mod), thread_id, pinned=False)
    with atomic():
        actions.set_locked(live(mod), thread_id, locked=False)
    t = thread(thread_id)
    assert not t.pinned
    assert not t.locked
    for action in ("thread.pin", "thread.unpin", "thread.lock", "thread.unlock"):
        [row] = audit(action)
        assert (row.actor_id, row.target_kind, row.target_id) == (mod.id, "thread", thread_id)


def test_pinned_threads_come_first_in_the_community(alice, mod):
    old = start(alice, title="Old but pinned")
    newer = [start(alice, title=f"Newer {n}") for n in range(3)]
    with atomic():
        actions.set_pinned(live(mod), old, pinned=True)
    fresh()
    page = queries.community_threads(community("procurement"), None)
    assert [r.thread.id for r in page.items] == [old, *reversed(newer)]


def test_members_cannot_moderate(alice, bob):
    thread_id = start(alice)
    for act in (
        lambda: actions.set_pinned(live(alice), thread_id, pinned=True),
        lambda: actions.set_locked(live(bob), thread_id, locked=True),
        lambda: actions.move_thread(live(alice), thread_id, to_slug="finance"),
        lambda: actions.delete_thread(live(alice), thread_id),
    ):
        with pytest.raises(Forbidden, match="moderators"), atomic():
            act()
    t = thread(thread_id)
    assert not t.pinned
    assert not t.locked
    assert not t.deleted_at
    assert t.community.slug == "procurement"
    assert audit("thread.pin") == []


def test_moving_a_thread_moves_its_counters_tags_and_search_documents(alice, bob, mod):
    thread_id = start(alice, tags="social value, tendering")
    reply(bob, thread_id, "One")
    reply(bob, thread_id, "Two")
    start(alice, title="Stays behind")
    make_moderator("finance", mod)  # the role is needed in both communities
    with atomic():
        actions.move_thread(live(mod), thread_id, to_slug="finance")
    t = thread(thread_id)
    assert t.community.slug == "finance"
    assert [tag.name for tag in t.tags] == ["social value", "tendering"]
    assert all(tag.community_id == t.community_id for tag in t.tags)
    procurement, finance = community("procurement"), community("finance")
    assert (procurement.thread_count, procurement.post_count) == (1, 1)
    assert (finance.thread_count, finance.post_count) == (1, 3)
    fresh()
    docs = db.session.scalars(
        select(SearchDocument.community_id).where(SearchDocument.thread_id == thread_id)
    ).all()
    assert len(docs) == 3
    assert set(docs) == {finance.id}
    [row] = audit("thread.move")
    assert row.detail == {"from_community": procurement.id, "to_community": finance.id}


def test_moving_needs_the_moderator_role_in_the_target_too(alice, mod):
    thread_id = start(alice)
    with pytest.raises(Forbidden), atomic():
        actions.move_thread(live(mod), thread_id, to_slug="finance")
    with pytest.raises(NotFound), atomic():
        actions.move_thread(live(mod), thread_id, to_slug="no-such-place")
    with pytest.raises(Invalid, match="already in that community"), atomic():
        actions.move_thread(live(mod), thread_id, to_slug="procurement")
    assert thread(thread_id).community.slug == "procurement"


def test_deleting_a_thread_takes_it_and_its_posts_out_of_the_counts(alice, bob, mod):
    thread_id = start(alice)
    reply(bob, thread_id)
    keep = start(alice, title="Keep")
    with atomic():
        actions.delete_thread(live(mod), thread_id)
    with atomic():
        actions.delete_thread(live(mod), thread_id)  # twice: counted once
    c = community("procurement")
    assert (c.thread_count, c.post_count) == (1, 1)
    fresh()
    assert [r.thread.id for r in queries.community_threads(c, None).items] == [keep]
    assert len(audit("thread.delete")) == 1
    fresh()
    assert (
        db.session.scalar(select(SearchDocument).where(SearchDocument.thread_id == thread_id))
        is None
    )
    with pytest.raises(Invalid, match="deleted"), atomic():
        actions.move_thread(make_user(admin=True), thread_id, to_slug="finance")


# --- tags -----------------------------------------------------------------------------------


def test_threads_start_with_free_tags(alice):
    thread_id = start(alice, tags="Social value, tendering , social value,,  ")
    assert [t.name for t in thread(thread_id).tags] == ["Social value", "tendering"]
    other = start(alice, title="Other", tags=["social-value"])  # same slug: the same tag
    assert [t.id for t in thread(other).tags] == [thread(thread_id).tags[0].id]


@pytest.mark.parametrize(
    ("tags", "message"),
    [
        ("a, b, c, d, e, f", "at most 5 tags"),
        ("<script>", "letters, digits, spaces and hyphens"),
        ("x" * 31, "up to 30 characters"),
    ],
)
def test_bad_tags_are_refused(alice, tags, message):
    with pytest.raises(Invalid, match=message) as caught, atomic():
        actions.start_thread(live(alice), "procurement", title="T", body="B", tags=tags)
    assert caught.value.field == "tags"


def test_the_author_or_a_moderator_changes_the_tags(alice, bob, mod):
    thread_id = start(alice, tags="one")
    with atomic():
        actions.set_tags(live(alice), thread_id, tags="two, three")
    assert [t.name for t in thread(thread_id).tags] == ["three", "two"]
    with atomic():
        actions.set_tags(live(mod), thread_id, tags="")
    assert thread(thread_id).tags == []
    with pytest.raises(Forbidden, match="author or a moderator"), atomic():
        actions.set_tags(live(bob), thread_id, tags="spam")


def test_moderators_rename_tags_and_a_clash_says_merge(alice, bob, mod):
    a = start(alice, tags="tender")
    start(alice, title="Other", tags="procurement law")
    tag_id = thread(a).tags[0].id
    with atomic():
        actions.rename_tag(live(mod), "procurement", tag_id, name="Tendering")
    assert (thread(a).tags[0].name, thread(a).tags[0].slug) == ("Tendering", "tendering")
    assert audit("tag.rename")[0].detail == {"old": "tender", "new": "Tendering"}
    with pytest.raises(Invalid, match="“procurement law” exists: merge into it"), atomic():
        actions.rename_tag(live(mod), "procurement", tag_id, name="Procurement Law")
    with pytest.raises(Invalid, match="Give the tag a new name"), atomic():
        actions.rename_tag(live(mod), "procurement", tag_id, name="  ")
    with pytest.raises(Forbidden), atomic():
        actions.rename_tag(live(bob), "procurement", tag_id, name="Bids")
    with pytest.raises(NotFound), atomic():
        actions.rename_tag(live(mod), "procurement", 2**40, name="Bids")
    assert thread(a).tags[0].name == "Tendering"


def test_merging_tags_moves_their_threads_without_duplicates(alice, mod):
    only_source = start(alice, tags="tender")
    both = start(alice, title="Both", tags="tender, tendering")
    fresh()
    source = db.session.scalar(select(Tag).where(Tag.slug == "tender"))
    target = db.session.scalar(select(Tag).where(Tag.slug == "tendering"))
    source_id, target_id = source.id, target.id
    with pytest.raises(Invalid, match="two different tags"), atomic():
        actions.merge_tags(live(mod), "procurement", source_id=target_id, target_id=target_id)
    with atomic():
        actions.merge_tags(live(mod), "procurement", source_id=source_id, target_id=target_id)
    assert [t.slug for t in thread(only_source).tags] == ["tendering"]
    assert [t.slug for t in thread(both).tags] == ["tendering"]
    fresh()
    assert db.session.get(Tag, source_id) is None
    assert audit("tag.merge")[0].detail == {"merged": "tender"}


# --- watching and notifications -------------------------------------------------------------


def test_a_reply_notifies_the_watchers_but_not_its_author(alice, bob, published):
    thread_id = start(alice)
    first_reply = reply(bob, thread_id, "Hello Alice")
    assert notifications(alice) == [("reply", first_reply)]
    assert notifications(bob) == []  # bob wrote it (and now watches)
    second = reply(alice, thread_id, "Hello Bob")
    assert notifications(bob) == [("reply", second)]
    assert notifications(alice) == [("reply", first_reply)]
    assert ("notification.count", f"user:{bob.id}", {"unread": 1}) in published


def test_stop_watching_is_remembered_when_replying_again(alice, bob):
    thread_id = start(alice)
    reply(bob, thread_id)
    with atomic():
        actions.set_thread_watching(live(bob), thread_id, watching=False)
    reply(bob, thread_id, "One more thought")
    assert not actions.is_watching(live(bob), thread(thread_id))
    reply(alice, thread_id, "Thanks")
    assert notifications(bob) == []
    with atomic():
        actions.set_thread_watching(live(bob), thread_id, watching=True)
    last = reply(alice, thread_id, "Welcome back")
    assert notifications(bob) == [("reply", last)]


def test_watching_a_community_notifies_of_every_new_post(alice, bob, stranger):
    with atomic():
        actions.set_community_watching(live(stranger), "procurement", watching=True)
    thread_id = start(alice)
    answer = reply(bob, thread_id)
    first = first_post_id(thread_id)
    assert notifications(stranger) == [("thread", first), ("reply", answer)]
    # Unwatching one thread wins over watching the community.
    with atomic():
        actions.set_thread_watching(live(stranger), thread_id, watching=False)
    reply(bob, thread_id)
    assert len(notifications(stranger)) == 2
    with atomic():
        actions.set_community_watching(live(stranger), "procurement", watching=False)
    start(alice, title="Quiet now")
    assert len(notifications(stranger)) == 2


def test_community_watchers_who_cannot_read_it_hear_nothing(alice, stranger):
    with atomic():
        actions.set_community_watching(live(stranger), "procurement", watching=True)
    make_private("procurement")
    start(alice)
    assert notifications(stranger) == []


def test_a_mention_notifies_once_as_a_mention(alice, bob):
    thread_id = start(alice)
    reply(bob, thread_id)  # bob now watches the thread
    mention = reply(alice, thread_id, "Thanks @**Bob Reader**, and @**Bob Reader** again")
    assert notifications(bob) == [("mention", mention)]
    html = post(mention).html
    assert f'<a href="/u/{bob.id}">@Bob Reader</a>' in html


def test_mentions_of_members_who_cannot_read_the_community_notify_no_one(alice, bob, stranger):
    make_private("procurement")
    thread_id = start(alice, body="Ping @**Sam Stranger** and @**Bob Reader**")
    assert notifications(stranger) == []
    assert notifications(bob) == [("mention", first_post_id(thread_id))]


def test_mentions_resolve_by_name_or_by_name_and_id(alice, communities):
    twin_a = make_user("Jo Smith", communities=("procurement",))
    twin_b = make_user("Jo Smith", communities=("procurement",))
    source = (
        f"@**Alice Author** @**jo smith** @**Jo Smith|{twin_b.id}** @**Nobody Here** "
        "@**Alice Author|999**"
    )
    fresh()
    linked, mentioned = mentions.resolve(source)
    assert [u.id for u in mentioned] == [alice.id, twin_b.id]
    assert linked == (
        f"[@Alice Author](/u/{alice.id}) @**jo smith** [@Jo Smith](/u/{twin_b.id}) "
        "@**Nobody Here** @**Alice Author|999**"
    )
    thread_id = start(alice, body=source)
    assert notifications(twin_b) == [("mention", first_post_id(thread_id))]
    assert notifications(twin_a) == []  # ambiguous without the id
    assert notifications(alice) == []  # mentioning oneself notifies no one


def test_mentions_inside_code_stay_code(alice, bob):
    body = "Use `@**Bob Reader**` like this:\n\n```\n@**Bob Reader**\n```\n"
    first = first_post_id(start(alice, body=body))
    html = post(first).html
    assert "<code>@**Bob Reader**</code>" in html
    assert "/u/" not in html
    assert notifications(bob) == []


def test_an_edit_that_adds_a_mention_notifies_only_the_newcomer(alice, bob, communities):
    carol = make_user("Carol Third", communities=("procurement",))
    first = first_post_id(start(alice, body="Hi @**Bob Reader**"))
    assert notifications(bob) == [("mention", first)]
    with atomic():
        actions.edit_post(live(alice), first, body="Hi @**Bob Reader** and @**Carol Third**")
    assert notifications(bob) == [("mention", first)]
    assert notifications(carol) == [("mention", first)]


def test_suspended_watchers_are_not_notified(alice, bob):
    thread_id = start(alice)
    reply(bob, thread_id)
    suspend(bob)
    reply(alice, thread_id)
    assert notifications(bob) == []


# --- reading and unread ---------------------------------------------------------------------


def _rows(user):
    fresh()
    page = queries.community_threads(community("procurement"), live(user) if user else None)
    return {r.thread.id: (r.unread, r.new) for r in page.items}


def test_unread_counts_and_new_badges_for_a_second_member(alice, bob):
    quiet = start(alice, title="Quiet")
    busy = start(alice, title="Busy")
    reply(alice, busy, "More")
    assert _rows(bob) == {quiet: (1, True), busy: (2, True)}
    assert _rows(alice) == {quiet: (0, False), busy: (0, False)}
    assert _rows(None) == {quiet: (0, False), busy: (0, False)}
    with atomic():
        actions.mark_read(live(bob), busy, up_to=1)
    assert _rows(bob)[busy] == (1, False)
    assert actions.first_unread_number(live(bob), thread(busy)) == 2
    with atomic():
        actions.mark_read(live(bob), busy, up_to=99)  # clamped to the last post
    assert _rows(bob)[busy] == (0, False)
    reply(alice, busy, "Newer")
    assert _rows(bob)[busy] == (1, False)
    assert actions.first_unread_number(live(bob), thread(busy)) == 3


def test_mark_all_read_clears_a_community_and_later_posts_count_from_there(alice, bob):
    read_before = start(alice, title="Opened")
    with atomic():
        actions.mark_read(live(bob), read_before, up_to=1)
    never_opened = start(alice, title="Never opened")
    reply(alice, read_before)
    assert _rows(bob) == {read_before: (1, False), never_opened: (1, True)}
    with atomic():
        actions.mark_community_read(live(bob), "procurement")
    assert _rows(bob) == {read_before: (0, False), never_opened: (0, False)}
    fresh()
    assert queries.unread_by_community(live(bob)) == {}
    reply(alice, read_before, "After marking")
    assert _rows(bob)[read_before] == (1, False)  # one new post, not the whole thread
    assert actions.first_unread_number(live(bob), thread(read_before)) == 3


def test_unread_per_community_for_the_home_page(alice, bob, communities):
    join(bob, "finance")
    join(alice, "finance")
    start(alice)
    start(alice, title="Two")
    start(alice, "finance", title="Money")
    fresh()
    counts = queries.unread_by_community(live(bob))
    assert counts == {community("procurement").id: 2, community("finance").id: 1}
    assert queries.unread_by_community(live(alice)) == {}
    assert queries.unread_by_community(None) == {}


def test_reading_twice_at_once_records_one_marker(app, alice, bob):
    """Two tabs opening a thread for the first time: one read marker, no error."""
    thread_id = start(alice)
    reply(alice, thread_id)
    bob_id = bob.id  # worker threads must not touch this session's objects

    def work(_: int) -> None:
        with atomic():
            actions.mark_read(db.session.get(User, bob_id), thread_id, up_to=2)

    assert run_concurrently(app, work, [1, 2, 3]) == []
    fresh()
    rows = db.session.scalars(select(ThreadRead).where(ThreadRead.user_id == bob.id)).all()
    assert [r.last_read_number for r in rows] == [2]


# --- concurrency ----------------------------------------------------------------------------


@pytest.mark.postgresql_only
def test_concurrent_replies_keep_every_counter_exact(app, alice, communities):
    """Eight members reply to one thread at the same moment, three times each."""
    members = [make_user(f"Writer {n}", communities=("procurement",)).id for n in range(8)]
    thread_id = start(alice)

    def work(index: int) -> None:
        for n in range(3):
            with atomic():
                actions.post_reply(
                    db.session.get(User, members[index]), thread_id, body=f"{index}-{n}"
                )

    assert run_concurrently(app, work, list(range(8))) == []
    expected = 1 + 8 * 3
    t = thread(thread_id)
    assert (t.post_count, t.last_number) == (expected, expected)
    assert numbers(thread_id) == list(range(1, expected + 1))
    c = community("procurement")
    assert (c.post_count, c.thread_count) == (expected, 1)
    fresh()
    last = db.session.scalar(
        select(ThreadRead.last_read_number).where(ThreadRead.user_id == members[0])
    )
    assert 1 < last <= expected


@pytest.mark.postgresql_only
def test_concurrent_replies_and_a_delete_lose_no_update(app, alice, bob, communities):
    members = [make_user(f"Writer {n}", communities=("procurement",)).id for n in range(4)]
    thread_id = start(alice)
    doomed = reply(bob, thread_id, "Delete me")
    bob_id = bob.id

    def work(index: int) -> None:
        with atomic():
            if index == 4:
                actions.delete_post(db.session.get(User, bob_id), doomed)
            else:
                actions.post_reply(db.session.get(User, members[index]), thread_id, body="x")

    assert run_concurrently(app, work, list(range(5))) == []
    t = thread(thread_id)
    assert (t.post_count, t.last_number) == (1 + 1 + 4 - 1, 6)
    assert community("procurement").post_count == 5


def test_reacting_twice_at_once_keeps_one_reaction(app, alice, bob):
    first = first_post_id(start(alice))
    bob_id = bob.id

    def work(_: int) -> None:
        with atomic():
            actions.toggle_reaction(db.session.get(User, bob_id), first, "heart")

    errors = run_concurrently(app, work, [1, 2])
    assert errors == []
    fresh()
    # Either both toggles ran one after the other (on, then off) or they raced (one kept).
    kept = db.session.scalars(select(Reaction.kind).where(Reaction.post_id == first)).all()
    assert kept in ([], ["heart"])


def test_watch_rows_are_one_per_member_and_thread(alice, bob):
    thread_id = start(alice)
    for _ in range(3):
        reply(bob, thread_id)
    with atomic():
        actions.set_thread_watching(live(bob), thread_id, watching=True)
    fresh()
    subs = db.session.scalars(select(Subscription).where(Subscription.user_id == bob.id)).all()
    assert len(subs) == 1


def test_watching_twice_at_once_keeps_one_row(app, alice, bob):
    thread_id = start(alice)
    bob_id = bob.id

    def work(index: int) -> None:
        with atomic():
            if index % 2:
                actions.set_thread_watching(db.session.get(User, bob_id), thread_id, watching=True)
            else:
                actions.set_community_watching(
                    db.session.get(User, bob_id), "procurement", watching=True
                )

    assert run_concurrently(app, work, [1, 2, 3, 4]) == []
    fresh()
    subs = db.session.scalars(select(Subscription).where(Subscription.user_id == bob_id)).all()
    assert sorted((s.thread_id is None, s.watching) for s in subs) == [(False, True), (True, True)]
