"""A moderator changes someone else's words only with a reason, which the author hears and
every reader sees beside the post; the audit log keeps it. Authors edit their own posts as
before, without one."""

import pytest
from sqlalchemy import select

from community.db import atomic
from community.errors import Invalid
from community.extensions import db
from community.moderation.models import AuditLog
from community.moderation.queries import recent_audit
from community.notifications.models import Notification
from community.threads import actions
from community.threads.models import Post
from tests.threads.helpers import fresh, live, reply, start


@pytest.fixture
def a_reply(alice):
    topic = start(alice, title="Suppliers", body="Who do you use?")
    return reply(alice, topic, "Call me on 07700 900123")


def edit(user, post_id, body, reason=""):
    with atomic():
        return actions.edit_post(live(user), post_id, body=body, reason=reason)


def test_a_moderator_edit_needs_a_reason(mod, a_reply):
    with pytest.raises(Invalid, match="Say why") as refused:
        edit(mod, a_reply, "Call me (number removed)", "   ")
    assert refused.value.field == "reason"
    with pytest.raises(Invalid, match="under 300"):
        edit(mod, a_reply, "Call me (number removed)", "x" * 301)
    fresh()
    assert db.session.get(Post, a_reply).source == "Call me on 07700 900123"


def test_the_reason_is_shown_told_and_logged(alice, mod, a_reply, published):
    edit(mod, a_reply, "Call me (number removed)", "Removed a phone number")
    fresh()
    post = db.session.get(Post, a_reply)
    assert (post.moderator_edit_reason, post.moderator_edited_by_id) == (
        "Removed a phone number", mod.id,
    )  # fmt: skip
    [told] = db.session.scalars(select(Notification).where(Notification.user_id == alice.id))
    assert (told.kind, told.excerpt, told.actor_name()) == (
        "moderator.edited", "Removed a phone number", "Mona Moderator",
    )  # fmt: skip
    assert told.url == f"/p/{a_reply}"
    [live_edit] = [p for e, _r, p in published if e == "thread.edited"]
    assert live_edit["moderator_edit_reason"] == "Removed a phone number"
    assert db.session.scalar(select(AuditLog.detail).where(AuditLog.action == "post.edit")) == {
        "reason": "Removed a phone number"
    }
    assert recent_audit()[0].text == (
        "Mona Moderator edited a reply to “Suppliers”: “Removed a phone number” in Procurement"
    )


def test_an_author_edits_without_a_reason(alice, a_reply):
    edit(alice, a_reply, "Email me instead")
    fresh()
    assert db.session.get(Post, a_reply).moderator_edit_reason == ""
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "post.edit")) is None


def test_the_edit_page_asks_a_moderator_why_and_keeps_the_text(browser, alice, mod, a_reply):
    browser.login(mod.email)
    page = browser.get(f"/p/{a_reply}/edit").get_data(as_text=True)
    assert "as a moderator" in page
    refused = browser.submit(f"/p/{a_reply}/edit", {"body": "Call me (number removed)"})
    assert refused.status_code == 400
    text = refused.get_data(as_text=True)
    assert "Say why" in text
    assert "Call me (number removed)" in text
    done = browser.submit(
        f"/p/{a_reply}/edit",
        {"body": "Call me (number removed)", "reason": "Removed a phone number"},
    )
    assert done.status_code == 302
    browser.logout()
    browser.login(alice.email)
    at = browser.get(done.headers["Location"]).headers["Location"].split("#")[0]
    thread = browser.get(at).get_data(as_text=True)
    assert "Edited by a moderator: <span>Removed a phone number</span>" in thread
    own = browser.get(f"/p/{a_reply}/edit").get_data(as_text=True)
    assert "as a moderator" not in own
