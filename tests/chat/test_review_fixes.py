"""Fixes from the security review of chat: leaving a members-only community empties one's
live room, NUL bytes are refused (not a database error), edits and typing are limited, and an
edit never notifies the same member twice."""

import pytest
from sqlalchemy import select

from community.chat import actions
from community.communities import actions as community_actions
from community.errors import Invalid, NotFound
from community.extensions import db
from community.notifications.models import Notification
from community.realtime import CLOSE_ROOM
from tests.chat.conftest import live, run
from tests.communities.helpers import set_visibility


def test_leaving_a_members_only_community_empties_its_live_room(ada, published):
    run(actions.send_message, ada, "procurement", body="hi", client_id="a1")
    set_visibility("procurement", "members")
    published.clear()
    run(community_actions.leave_community, ada, "procurement")
    chat = [(e, r, p) for e, r, p in published if r.startswith("chat:")]
    assert chat == [
        ("chat.recheck", chat[0][1], {"room": "procurement"}),
        (CLOSE_ROOM, chat[0][1], {}),
    ]
    with pytest.raises(NotFound):
        actions.recent(live(ada), "procurement")


@pytest.mark.parametrize(
    ("room", "body", "client_id"),
    [("procurement", "a\x00b", "n1"), ("pro\x00c", "hi", "n2"), ("procurement", "hi", "n\x003")],
)
def test_nul_bytes_are_refused_cleanly(ada, room, body, client_id):
    with pytest.raises((Invalid, NotFound)):
        run(actions.send_message, ada, room, body=body, client_id=client_id)


def test_an_edit_never_notifies_the_same_member_twice(ada, bob):
    message, _ = run(actions.send_message, ada, "procurement", body="hello", client_id="e1")
    for body in ("@**Bob Builder** hi", "hi", "@**Bob Builder** hi again", "x", "@**Bob Builder**"):
        run(actions.edit_message, ada, "procurement", message.number, body=body)
    db.session.rollback()
    notes = db.session.scalars(select(Notification).where(Notification.user_id == bob.id)).all()
    assert len(notes) == 1


def test_edits_and_typing_are_rate_limited(app, ada):
    app.config["RATELIMIT_ENABLED"] = True
    app.config["RATE_LIMITS"] = {
        **app.config["RATE_LIMITS"], "chat_send": "3 per 10 seconds",
        "chat_typing": "2 per 10 seconds",
    }  # fmt: skip
    message, _ = run(actions.send_message, ada, "procurement", body="one", client_id="t1")
    run(actions.edit_message, ada, "procurement", message.number, body="two")
    run(actions.edit_message, ada, "procurement", message.number, body="three")
    with pytest.raises(Invalid, match="too fast"):
        run(actions.edit_message, ada, "procurement", message.number, body="four")
    run(actions.typing, ada, "procurement")
    run(actions.typing, ada, "procurement")
    with pytest.raises(Invalid, match="too fast"):
        run(actions.typing, ada, "procurement")
