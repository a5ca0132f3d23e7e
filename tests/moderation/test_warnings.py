"""Warning an author from the queue: a private message with a reason, which they must
acknowledge before they post again."""

import pytest
from sqlalchemy import select

from community.db import atomic
from community.errors import Forbidden, Invalid
from community.extensions import db
from community.moderation import flags, warnings
from community.moderation.models import MemberWarning
from community.notifications.models import Notification
from tests.threads.helpers import fresh, live, reply, start


@pytest.fixture
def a_reply(alice, flaggers):
    post_id = reply(alice, start(alice, title="Cheap pills"), "Rude words")
    with atomic():
        flags.flag(live(flaggers[0]), "post", post_id, reason="offensive")
    return post_id


def warn(by, post_id, reason="Please keep it civil."):
    with atomic():
        return warnings.warn(live(by), "post", post_id, reason=reason).id


def test_a_warned_member_reads_and_acknowledges_before_posting(alice, mod, a_reply):
    warning_id = warn(mod, a_reply)
    fresh()
    topic = db.session.scalar(select(MemberWarning.target_id))
    assert topic == a_reply
    with pytest.raises(Forbidden, match="sent you a warning"):
        start(alice, title="Another")
    [told] = db.session.scalars(
        select(Notification).where(
            Notification.user_id == alice.id, Notification.kind == "member.warned"
        )
    )
    assert (told.url, told.excerpt) == (f"/warnings/{warning_id}", "Please keep it civil.")
    with atomic():
        warnings.acknowledge(live(alice), warning_id)
    start(alice, title="Another")


def test_who_may_warn_whom(alice, mod, other_mod, a_reply):
    with pytest.raises(Forbidden):
        warn(other_mod, a_reply)
    with pytest.raises(Invalid, match="Say why"):
        warn(mod, a_reply, reason="  ")
    own = reply(mod, start(alice, title="Mine"), "The moderator's own")
    with pytest.raises(Forbidden, match="cannot warn yourself"):
        warn(mod, own)


def test_warning_through_the_pages(browser, alice, mod, a_reply):
    browser.login(mod.email)
    empty = browser.submit("/mod", {"reason": ""}, action=f"/mod/post/{a_reply}/warn")
    assert empty.status_code == 400
    assert "Say why" in empty.get_data(as_text=True)
    sent = browser.submit("/mod", {"reason": "Keep it civil"}, action=f"/mod/post/{a_reply}/warn")
    assert sent.status_code == 302
    browser.logout()
    browser.login(alice.email)
    home = browser.get("/").get_data(as_text=True)
    assert "A moderator has sent you a warning" in home
    warning_id = db.session.scalar(select(MemberWarning.id))
    page = browser.get(f"/warnings/{warning_id}").get_data(as_text=True)
    assert "Keep it civil" in page
    done = browser.submit(f"/warnings/{warning_id}", {})
    assert done.status_code == 302
    assert "sent you a warning" not in browser.get("/").get_data(as_text=True)
    browser.logout()
    browser.login(mod.email)
    assert browser.get(f"/warnings/{warning_id}").status_code == 404  # not theirs
