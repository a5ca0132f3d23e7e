"""Suspension from one community: read-only there for a while, with a reason the member
sees; its moderators decide, never on themselves, a moderator or an admin."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from community.chat import actions as chat
from community.communities import actions
from community.communities.models import Membership
from community.db import atomic, utcnow
from community.errors import Forbidden, Invalid, NotFound
from community.extensions import db
from community.notifications.models import Notification
from community.threads import actions as thread_actions
from tests.factories import make_user
from tests.threads.helpers import fresh, live, reply, start


def suspend(by, user, days=7, reason="Repeated off-topic posts", slug="procurement"):
    with atomic():
        return actions.suspend_in_community(
            live(by), slug, user_id=user.id, days=days, reason=reason
        )


def test_a_suspended_member_reads_but_cannot_post_chat_or_start(alice, mod, communities):
    topic = start(alice)
    suspend(mod, alice)
    fresh()
    thread_actions.access_thread(live(alice), topic)  # reading goes on
    with pytest.raises(Forbidden, match="suspended from Procurement until .*off-topic posts"):
        reply(alice, topic, "Still here?")
    with pytest.raises(Forbidden, match="suspended from Procurement"):
        start(alice, title="Another")
    assert "suspended from Procurement" in chat.write_problem(live(alice), "procurement")
    [told] = db.session.scalars(select(Notification).where(Notification.user_id == alice.id))
    assert (told.kind, told.excerpt, told.url) == (
        "community.suspended",
        "Repeated off-topic posts",
        "/c/procurement",
    )


def test_a_suspension_ends_by_itself_or_when_lifted(alice, mod, communities):
    topic = start(alice)
    suspend(mod, alice, days=1)
    with atomic():
        db.session.execute(
            update(Membership)
            .where(Membership.user_id == alice.id)
            .values(suspended_until=utcnow() - timedelta(minutes=1))
        )
    reply(alice, topic, "Back")
    suspend(mod, alice)
    with atomic():
        actions.lift_community_suspension(live(mod), "procurement", user_id=alice.id)
    reply(alice, topic, "Back again")


def test_who_may_be_suspended(alice, mod, other_mod, communities):
    admin = make_user("Ada Admin", admin=True, communities=("procurement",))
    with pytest.raises(Forbidden, match="cannot suspend yourself"):
        suspend(mod, mod)
    with pytest.raises(Forbidden, match="Admins cannot be suspended"):
        suspend(mod, admin)
    with pytest.raises(Forbidden, match="Only this community's moderators"):
        suspend(other_mod, alice)
    second = make_user("Max Moderator", communities=("procurement",))
    from tests.factories import make_moderator

    make_moderator("procurement", second)
    with pytest.raises(Forbidden, match="moderator role first"):
        suspend(mod, second)
    with pytest.raises(NotFound, match="not a member"):
        suspend(mod, other_mod)
    for days, error in ((0, "1 to 365"), (366, "1 to 365"), (7, "Say why")):
        with pytest.raises(Invalid, match=error):
            suspend(mod, alice, days=days, reason="" if days == 7 else "x")


def test_suspending_through_the_manage_page(browser, alice, mod, communities):
    browser.login(mod.email)
    bad = browser.submit(
        "/c/procurement/manage",
        {"suspend-email": alice.email, "suspend-days": "0", "suspend-reason": "Spam"},
        action="/c/procurement/manage/suspensions",
    )
    assert bad.status_code == 400
    assert "Suspend for 1 to 365 days." in bad.get_data(as_text=True)
    done = browser.submit(
        "/c/procurement/manage",
        {"suspend-email": alice.email, "suspend-days": "3", "suspend-reason": "Spam"},
        action="/c/procurement/manage/suspensions",
    )
    assert done.status_code == 302
    page = browser.get("/c/procurement/manage").get_data(as_text=True)
    assert "Alice Author, until" in page
    browser.logout()
    browser.login(alice.email)
    page = browser.get("/c/procurement").get_data(as_text=True)
    assert "You are suspended from Procurement until" in page
    assert "The moderators said: “Spam”" in page


def test_the_queue_links_to_suspend_its_author_without_showing_their_address(
    browser, alice, flaggers, mod, communities
):
    from community.moderation import flags

    post_id = reply(alice, start(alice), "Buy pills")
    with atomic():
        flags.flag(live(flaggers[0]), "post", post_id, reason="spam")
    browser.login(mod.email)
    queue = browser.get("/mod").get_data(as_text=True)
    link = f"/c/procurement/manage?suspend={alice.id}#suspend-heading"
    assert f'href="{link}"' in queue
    page = browser.get(link.split("#")[0]).get_data(as_text=True)
    assert "Suspending <strong>Alice Author</strong>" in page
    assert alice.email not in page
    done = browser.submit(
        link.split("#")[0],
        {"suspend-user_id": str(alice.id), "suspend-days": "2", "suspend-reason": "Spam"},
        action="/c/procurement/manage/suspensions",
    )
    assert done.status_code == 302
    fresh()
    assert db.session.scalar(
        select(Membership.suspended_until).where(Membership.user_id == alice.id)
    )
