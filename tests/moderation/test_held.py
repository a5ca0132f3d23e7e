"""New members' safeguards: a community that holds first posts keeps them from everyone
but their author and the moderators until one approves; a new member's links and pace are
limited; trust comes with approved posts."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from community.communities.models import Community, Membership
from community.db import atomic, utcnow
from community.errors import Conflict, Forbidden, Invalid, NotFound, TooMany
from community.extensions import db
from community.moderation import queue
from community.notifications.models import Notification
from community.search.queries import Filters, search
from community.threads import actions
from community.threads.held import held_posts
from community.threads.models import Post, Thread
from tests.factories import make_user
from tests.threads.helpers import fresh, live, reply, start


def set_rules(**values) -> None:
    with atomic():
        db.session.execute(
            update(Community).where(Community.slug == "procurement").values(**values)
        )


@pytest.fixture
def holding(topic):
    """Procurement holds new members' first two posts (from after the topic was started)."""
    set_rules(hold_first_posts=2)


@pytest.fixture
def newcomer(communities):
    return make_user("Nina Newcomer", email="nina@example.org", communities=("procurement",))


@pytest.fixture
def topic(alice):
    return start(alice, title="Tender scoring", body="How do you score it?")


def post(post_id: int) -> Post:
    fresh()
    return db.session.get(Post, post_id)


def joined_days_ago(user, days: int) -> None:
    with atomic():
        db.session.execute(
            update(Membership)
            .where(Membership.user_id == user.id)
            .values(created_at=utcnow() - timedelta(days=days))
        )


def approve(user, post_id):
    with atomic():
        return actions.approve_held(live(user), post_id)


def decline(user, post_id, reason=""):
    with atomic():
        return actions.reject_held(live(user), post_id, reason=reason)


def test_a_held_reply_waits_unseen_until_approved(
    holding, alice, newcomer, reader, mod, topic, published
):
    held = reply(newcomer, topic, "Hello from a newcomer, @**Alice Author**")
    assert post(held).hidden_reason == "held"
    assert db.session.get(Thread, topic).post_count == 1  # not counted yet
    assert [e for e, _r, _p in published if e == "thread.reply"] == []
    assert search(live(reader), "newcomer", Filters()).items == []
    assert db.session.scalar(select(Notification).where(Notification.user_id == alice.id)) is None
    assert [h.post.id for h in held_posts(live(mod))] == [held]
    assert queue.waiting_count(live(mod)) == 1
    assert ("moderation.count", f"user:{mod.id}", {"waiting": 1}) in published

    approve(mod, held)
    assert post(held).hidden_at is None
    assert db.session.get(Thread, topic).post_count == 2
    assert [p["post_id"] for e, _r, p in published if e == "thread.reply"] == [held]
    assert [r.url for r in search(live(reader), "newcomer", Filters()).items] == [f"/p/{held}"]
    kinds = set(db.session.scalars(select(Notification.kind)))
    assert {"mention", "post.approved"} <= kinds
    assert queue.waiting_count(live(mod)) == 0
    with pytest.raises(Conflict, match="no longer waiting"):
        approve(mod, held)


def test_other_members_see_no_trace_of_a_held_reply(holding, newcomer, reader, mod, topic, browser):
    held = reply(newcomer, topic, "Newcomer first words")
    declined = reply(newcomer, topic, "Newcomer second words")
    decline(mod, declined, "Not here")
    browser.login(reader.email)
    page = browser.get(f"/t/{topic}").get_data(as_text=True)
    assert f'id="p{held}"' not in page
    assert f'id="p{declined}"' not in page
    assert "reviews it" not in page
    assert "deleted" not in page
    assert browser.get(f"/p/{held}").status_code == 404
    browser.logout()
    browser.login(newcomer.email)
    own = browser.get(f"/t/{topic}").get_data(as_text=True)
    assert "Newcomer first words" in own
    assert "Waiting for a moderator" in own
    browser.logout()
    browser.login(mod.email)
    assert "post, waiting for approval" in browser.get(f"/t/{topic}").get_data(as_text=True)


def test_trust_comes_after_enough_approved_posts(holding, newcomer, mod, topic):
    first, second = reply(newcomer, topic, "One"), reply(newcomer, topic, "Two")
    approve(mod, first)
    third = reply(newcomer, topic, "Three")  # one approved of two: still held
    assert post(third).hidden_reason == "held"
    approve(mod, second)
    assert post(reply(newcomer, topic, "Four")).hidden_at is None


def test_a_held_thread_is_its_authors_to_read_and_nobody_elses(
    holding, newcomer, reader, mod, browser
):
    thread_id = start(newcomer, title="My first question", body="Where do I start?")
    fresh()
    assert db.session.get(Thread, thread_id).hidden_at is not None
    actions.access_thread(live(newcomer), thread_id)
    with pytest.raises(NotFound):
        actions.access_thread(live(reader), thread_id)
    browser.login(newcomer.email)
    page = browser.get(f"/t/{thread_id}").get_data(as_text=True)
    assert "Where do I start?" in page
    assert "Waiting for a moderator" in page
    browser.logout()
    browser.login(mod.email)
    queue_page = browser.get("/mod").get_data(as_text=True)
    assert "A new thread, “My first question”" in queue_page
    first = db.session.scalar(select(Post.id).where(Post.thread_id == thread_id))
    done = browser.submit("/mod", {"reason": "Please ask in Finance"},
                          action=f"/mod/held/{first}/decline")  # fmt: skip
    assert done.status_code == 302
    fresh()
    assert db.session.get(Thread, thread_id).deleted_at is not None
    [told] = db.session.scalars(
        select(Notification).where(Notification.user_id == newcomer.id)
    ).all()
    assert (told.kind, told.excerpt, told.url) == (
        "post.declined",
        "Please ask in Finance",
        "/c/procurement",
    )


def test_only_the_communitys_moderators_decide(holding, newcomer, other_mod, topic):
    held = reply(newcomer, topic, "Held")
    with pytest.raises(Forbidden):
        decline(other_mod, held)


def test_moderators_are_never_held(holding, mod, topic):
    assert post(reply(mod, topic, "From the moderator")).hidden_at is None


def test_new_members_links_are_limited(communities, newcomer, alice, topic):
    three = "See https://a.example, https://b.example and https://c.example"
    with pytest.raises(Invalid, match="at most 2 links .this one has 3"):
        reply(newcomer, topic, three)
    set_rules(new_member_links=0)
    with pytest.raises(Invalid, match="no links"):
        reply(newcomer, topic, "See https://a.example")
    for n in range(3):
        reply(newcomer, topic, f"Post {n}")
    with pytest.raises(Invalid, match="no links"):
        reply(newcomer, topic, "See https://a.example")  # joined today: still new
    joined_days_ago(newcomer, 3)
    reply(newcomer, topic, three)  # three published posts, joined days ago: no longer new


def test_new_members_post_at_a_slower_pace(app, communities, newcomer, alice, topic):
    app.config["RATELIMIT_ENABLED"] = True
    try:
        for n in range(5):
            reply(newcomer, topic, f"Quick {n}")
        with pytest.raises(TooMany, match="New members post a few times"):
            reply(newcomer, topic, "One too many")
        reply(alice, topic, "Old hands are not slowed")
    finally:
        app.config["RATELIMIT_ENABLED"] = False


def test_moderators_set_the_safeguards_on_the_manage_page(browser, communities, mod, alice):
    browser.login(mod.email)
    page = browser.get("/c/procurement/manage").get_data(as_text=True)
    assert "Hold a new member&#39;s first posts" in page or "Hold a new member's first" in page
    bad = browser.submit(
        "/c/procurement/manage",
        {"flag_threshold": "0", "hold_first_posts": "2", "new_member_links": "1"},
        action="/c/procurement/manage/safeguards",
    )
    assert bad.status_code == 400
    assert "Choose a number from 1 to 50." in bad.get_data(as_text=True)
    done = browser.submit(
        "/c/procurement/manage",
        {"flag_threshold": "2", "hold_first_posts": "1", "new_member_links": "0"},
        action="/c/procurement/manage/safeguards",
    )
    assert done.status_code == 302
    fresh()
    community = db.session.scalar(select(Community).where(Community.slug == "procurement"))
    assert (community.flag_threshold, community.hold_first_posts, community.new_member_links) == (
        2, 1, 0,
    )  # fmt: skip
    browser.logout()
    browser.login(alice.email)
    refused = browser.submit(
        "/c/procurement", {"flag_threshold": "9", "hold_first_posts": "0", "new_member_links": "5"},
        action="/c/procurement/manage/safeguards",
    )  # fmt: skip
    assert refused.status_code == 403
