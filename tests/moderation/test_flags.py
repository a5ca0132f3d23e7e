"""Flags: one per member and item; enough of them hide the item at once, everywhere; a
moderator of its community decides, once, and those concerned are told."""

import re

import pytest
from sqlalchemy import select

from community.communities.models import Community
from community.db import atomic
from community.errors import Conflict, Forbidden, Invalid, NotFound
from community.extensions import db
from community.moderation import flags, queue
from community.moderation.models import AuditLog, Flag
from community.moderation.queries import recent_audit
from community.notifications.models import Notification
from community.search.queries import Filters, search
from community.threads import actions
from community.threads.models import Post, Thread
from tests.factories import make_moderator, make_user
from tests.threads.helpers import fresh, live, reply, start


def flag(user, post_id, reason="spam", note=""):
    with atomic():
        return flags.flag(live(user), "post", post_id, reason=reason, note=note)


def decide(user, post_id, decision, reason=""):
    with atomic():
        return flags.decide(live(user), "post", post_id, decision, reason=reason)


def first_post(thread_id: int) -> Post:
    fresh()
    return db.session.scalar(select(Post).where(Post.thread_id == thread_id, Post.number == 1))


def post(post_id: int) -> Post:
    fresh()
    return db.session.get(Post, post_id)


def notes_of(user) -> list[Notification]:
    fresh()
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)))


@pytest.fixture
def thread(alice):
    return start(alice, title="Cheap pills", body="Buy cheap pills at example.com")


@pytest.fixture
def a_reply(alice, flaggers, thread):
    return reply(alice, thread, "A reply with a rude word in it.")


def test_a_member_flags_once(alice, flaggers, a_reply):
    row = flag(flaggers[0], a_reply, "offensive", "Rude to another member")
    assert (row.reason, row.note, row.target_kind) == (
        "offensive",
        "Rude to another member",
        "post",
    )
    with pytest.raises(Conflict, match="flagged this already"):
        flag(flaggers[0], a_reply, "spam")
    assert post(a_reply).hidden_at is None  # one flag of three


@pytest.mark.parametrize(
    ("reason", "note", "error"),
    [(None, "", "Choose why"), ("bogus", "", "Choose why"), ("other", "  ", "Say what is wrong"),
     ("other", "x" * 501, "under 500")],
)  # fmt: skip
def test_a_flag_needs_a_reason(flaggers, a_reply, reason, note, error):
    with pytest.raises(Invalid, match=error):
        flag(flaggers[0], a_reply, reason, note)


def test_who_may_not_flag(communities, alice, a_reply):
    with pytest.raises(Forbidden, match="This is yours"):
        flag(alice, a_reply)
    unconfirmed = make_user("Una Unconfirmed", verified=False)
    with pytest.raises(Forbidden, match="Confirm your email"):
        flag(unconfirmed, a_reply)
    with pytest.raises(NotFound):
        flag(alice, 999_999)


def test_a_members_only_post_cannot_be_flagged_from_outside(communities, alice):
    with atomic():
        db.session.execute(
            Community.__table__.update()
            .where(Community.slug == "procurement")
            .values(visibility="members")
        )
    thread_id = start(alice, title="Members only")
    outsider = make_user("Olly Outsider", communities=("health",))
    with pytest.raises(NotFound):
        flag(outsider, first_post(thread_id).id)


def test_a_members_only_post_does_not_exist_for_an_outside_moderator(communities, alice):
    """Deciding on it answers as every page does: not found, not "not your community"."""
    outsider = make_moderator("health")
    member = make_user("Mo Member", communities=("procurement",))
    with atomic():
        db.session.execute(
            Community.__table__.update()
            .where(Community.slug == "procurement")
            .values(visibility="members")
        )
    post_id = first_post(start(alice, title="Members only")).id
    with pytest.raises(NotFound):
        decide(outsider, post_id, "hide")
    with pytest.raises(Forbidden):
        decide(member, post_id, "hide")


def test_three_flags_hide_a_reply_and_tell_its_author_why(alice, flaggers, reader, a_reply):
    flag(flaggers[0], a_reply, "offensive")
    flag(flaggers[1], a_reply, "spam")
    assert post(a_reply).hidden_at is None
    flag(flaggers[2], a_reply, "offensive")
    hidden = post(a_reply)
    assert hidden.hidden_at is not None
    assert hidden.hidden_reason == "flags"
    [notice] = [n for n in notes_of(alice) if n.kind == "flag.hidden"]
    assert notice.actor_name() == "Members' flags"
    assert notice.subject == "your reply in “Cheap pills”"
    assert notice.excerpt == "Flagged as: offensive or abusive, spam or advertising"
    assert notice.url == f"/p/{a_reply}"
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "flag.hide"))
    assert (entry.actor_id, entry.target_kind, entry.target_id) == (None, "post", a_reply)
    [logged] = [e for e in recent_audit() if "flagged it" in e.text]
    assert logged.text == (
        "Commons hid a reply to “Cheap pills” in Procurement when 3 members had flagged it"
    )


def test_a_hidden_reply_is_hidden_from_members_and_shown_to_moderators(
    app, browser, flaggers, reader, mod, a_reply, thread
):
    for member in flaggers:
        flag(member, a_reply, "offensive")
    browser.login(reader.email)
    page = browser.get(f"/t/{thread}").get_data(as_text=True)
    assert "rude word" not in page
    assert "hidden while a moderator reviews it" in page
    assert "rude word" not in browser.get(f"/t/{thread}/since/0").get_data(as_text=True)
    browser.logout()
    browser.login(mod.email)
    page = browser.get(f"/t/{thread}").get_data(as_text=True)
    assert "rude word" in page
    assert "Hidden from members after members flagged it" in page


def test_a_hidden_first_post_hides_its_thread_everywhere(alice, flaggers, reader, thread):
    search_hit = search(live(reader), "pills", Filters())
    assert [r.title for r in search_hit.items]
    for member in flaggers:
        flag(member, first_post(thread).id)
    fresh()
    assert db.session.get(Thread, thread).hidden_at is not None
    assert search(live(reader), "pills", Filters()).items == []
    with pytest.raises(NotFound, match="hidden while a moderator"):
        actions.access_thread(live(reader), thread)


def test_the_threshold_is_the_communitys(alice, flaggers, a_reply):
    with atomic():
        db.session.execute(
            Community.__table__.update()
            .where(Community.slug == "procurement")
            .values(flag_threshold=1)
        )
    flag(flaggers[0], a_reply)
    assert post(a_reply).hidden_at is not None


def test_the_queue_shows_the_flags_and_a_decision_closes_them(
    alice, flaggers, mod, other_mod, a_reply, thread
):
    flag(flaggers[0], a_reply, "offensive", "Aimed at Gus")
    flag(flaggers[1], a_reply, "spam")
    [waiting] = queue.waiting(live(mod))
    assert waiting.item.id == a_reply
    assert waiting.reasons == [("Spam or advertising", 1), ("Offensive or abusive", 1)]
    assert [f.note for f in waiting.flags] == ["Aimed at Gus", ""]
    assert queue.waiting(live(other_mod)) == []
    assert queue.waiting_count(live(mod)) == 1
    assert queue.waiting_count(live(other_mod)) == 0

    with pytest.raises(Forbidden):
        decide(other_mod, a_reply, "hide")
    decide(mod, a_reply, "keep")
    assert queue.waiting(live(mod)) == []
    fresh()
    decided = list(db.session.scalars(select(Flag).where(Flag.target_id == a_reply)))
    assert {(f.decision, f.decided_by_id) for f in decided} == {("keep", mod.id)}
    told = [n for m in flaggers[:2] for n in notes_of(m) if n.kind == "flag.decided.keep"]
    assert len(told) == 2
    assert told[0].phrase == "reviewed your flag and kept up"


def test_restoring_brings_a_hidden_reply_back(alice, flaggers, reader, mod, a_reply):
    for member in flaggers:
        flag(member, a_reply)
    decide(mod, a_reply, "keep")
    assert post(a_reply).hidden_at is None
    assert [r.url for r in search(live(reader), "rude", Filters()).items] == [f"/p/{a_reply}"]


def test_a_second_moderator_sees_what_the_first_decided(alice, flaggers, mod, a_reply):
    second = make_user("Max Moderator", communities=("procurement",))
    from tests.factories import make_moderator

    make_moderator("procurement", second)
    flag(flaggers[0], a_reply)
    decide(mod, a_reply, "keep")
    with pytest.raises(Conflict, match="Already decided: Mona Moderator kept it up"):
        decide(second, a_reply, "keep")


def test_a_moderator_hides_and_the_author_hears_the_reason(alice, flaggers, mod, a_reply):
    flag(flaggers[0], a_reply)
    decide(mod, a_reply, "hide", reason="Personal attack")
    assert post(a_reply).hidden_reason == "moderator"
    [notice] = [n for n in notes_of(alice) if n.kind == "moderator.hidden"]
    assert notice.excerpt == "Personal attack"
    assert notice.actor_name() == "Mona Moderator"


def test_deleting_a_flagged_reply(alice, flaggers, mod, a_reply):
    flag(flaggers[0], a_reply)
    decide(mod, a_reply, "delete")
    assert post(a_reply).deleted_at is not None
    assert queue.waiting(live(mod)) == []


def open_flags() -> list[Flag]:
    fresh()
    return list(db.session.scalars(select(Flag).where(Flag.decided_at.is_(None))))


def test_a_flagged_reply_its_author_deletes_waits_no_longer(
    alice, flaggers, mod, a_reply, published
):
    flag(flaggers[0], a_reply)
    assert queue.waiting_count(live(mod)) == 1
    with atomic():
        actions.delete_post(live(alice), a_reply)
    assert open_flags() == []
    [closed] = db.session.scalars(select(Flag)).all()
    assert (closed.decision, closed.decided_by_id) == ("delete", alice.id)
    assert queue.waiting_count(live(mod)) == 0
    assert ("moderation.count", f"user:{mod.id}", {"waiting": 0}) in published


def test_deleting_a_thread_outside_the_queue_closes_its_posts_flags(
    alice, flaggers, mod, thread, a_reply
):
    flag(flaggers[0], a_reply)
    flag(flaggers[1], first_post(thread).id)
    other = start(alice, title="Another thread", body="Flagged and kept")
    flag(flaggers[0], first_post(other).id)
    with atomic():
        actions.delete_thread(live(mod), thread)
    assert [(f.target_id, f.flagger_id) for f in open_flags()] == [
        (first_post(other).id, flaggers[0].id)
    ]  # another thread's flags stay open
    assert queue.waiting_count(live(mod)) == 1


# --- the pages --------------------------------------------------------------------------------


def test_flagging_through_the_page(browser, flaggers, a_reply, thread):
    browser.login(flaggers[0].email)
    page = browser.get(f"/t/{thread}").get_data(as_text=True)
    assert f'href="/flag/post/{a_reply}"' in page
    bad = browser.submit(f"/flag/post/{a_reply}", {"reason": "other", "note": ""})
    assert bad.status_code == 400
    assert "Say what is wrong" in bad.get_data(as_text=True)
    done = browser.submit(f"/flag/post/{a_reply}", {"reason": "off_topic", "note": "Wrong place"})
    assert done.status_code == 302
    assert db.session.scalar(select(Flag.note).where(Flag.target_id == a_reply)) == "Wrong place"
    page = browser.get(f"/t/{thread}").get_data(as_text=True)
    assert "You flagged this" in page
    again = browser.submit(f"/t/{thread}", {"reason": "spam"}, action=f"/flag/post/{a_reply}")
    assert again.status_code == 409


def test_a_moderator_restores_a_hidden_reply_from_its_page(
    browser, alice, flaggers, mod, other_mod, a_reply, thread
):
    flag(flaggers[0], a_reply)
    decide(mod, a_reply, "hide")  # the flags are closed: the queue no longer lists it
    browser.login(mod.email)
    page = browser.get(f"/t/{thread}").get_data(as_text=True)
    assert "Restore it for members" in page
    done = browser.submit(f"/t/{thread}", {"back": "item"}, action=f"/mod/post/{a_reply}/keep")
    assert done.status_code == 302
    assert done.headers["Location"] == f"/p/{a_reply}"
    assert post(a_reply).hidden_at is None


def test_flagging_needs_a_csrf_token(client, browser, flaggers, a_reply):
    browser.login(flaggers[0].email)
    assert client.post(f"/flag/post/{a_reply}", data={"reason": "spam"}).status_code == 400
    assert db.session.scalar(select(Flag.id)) is None


def test_the_queue_page_is_for_moderators(client, browser, alice, flaggers, mod, a_reply, thread):
    flag(flaggers[0], a_reply, "spam", "Selling pills")
    assert client.get("/mod").status_code == 302  # to sign in
    browser.login(alice.email)
    assert browser.get("/mod").status_code == 403
    browser.logout()
    browser.login(mod.email)
    page = browser.get("/mod").get_data(as_text=True)
    assert "A reply in “Cheap pills”" in page
    assert "Selling pills" in page
    done = browser.submit("/mod", {}, action=f"/mod/post/{a_reply}/hide")
    assert done.status_code == 302
    assert post(a_reply).hidden_reason == "moderator"
    assert "Nothing is flagged" in browser.get("/mod").get_data(as_text=True)
    again = browser.submit(f"/t/{thread}", {}, action=f"/mod/post/{a_reply}/keep")
    assert again.status_code == 302
    assert post(a_reply).hidden_at is None


def test_the_header_shows_moderators_what_waits(browser, alice, flaggers, mod, other_mod, a_reply):
    flag(flaggers[0], a_reply)
    browser.login(mod.email)
    header = browser.get("/").get_data(as_text=True)
    assert re.search(r'href="/mod"[^>]*>Moderation<span class="nav-count" data-waiting-count '
                     r'data-count="1">', header)  # fmt: skip
    assert ", 1 waiting for a moderator" in header
    browser.logout()
    browser.login(other_mod.email)
    header = browser.get("/").get_data(as_text=True)
    assert 'data-waiting-count data-count="0" hidden' in header  # theirs is empty
    browser.logout()
    browser.login(alice.email)
    assert 'href="/mod"' not in browser.get("/").get_data(as_text=True)
