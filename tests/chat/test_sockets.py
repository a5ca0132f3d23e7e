"""The chat handlers through Flask-SocketIO's test client: the protocol's acks, broadcasts
to the room, presence deltas, and errors that come back in the ack (never in the log)."""

import logging
import time

import pytest

from community.chat import sockets
from community.chat.presence import MemoryPresence
from community.db import atomic, utcnow
from tests.chat.conftest import live
from tests.communities.helpers import set_visibility
from tests.sockets import connect, events


@pytest.fixture(autouse=True)
def fresh_presence(app):
    """Presence is per app (memory here); forget this process's connections between tests."""
    sockets._local.clear()
    app.extensions.pop("chat_presence", None)
    app.extensions.pop("chat_presence_changes", None)


def call(sio, event, payload):
    return sio.emit(event, payload, callback=True)


def other_client(app, user):
    from tests.conftest import Browser

    return connect(app, Browser(app.test_client()), user)


def test_join_send_and_receive(app, browser, ada, bob):
    a = connect(app, browser, ada)
    joined = call(a, "chat.join", {"room": "procurement"})
    assert joined["ok"] is True
    assert joined["messages"] == []
    assert joined["last_id"] == 0
    assert joined["present"] == [{"id": ada.id, "name": "Ada Lovelace"}]
    assert events(a, "chat.presence") == [
        {"room": "procurement", "joined": [{"id": ada.id, "name": "Ada Lovelace"}], "left": []}
    ]
    b = other_client(app, bob)
    joined_b = call(b, "chat.join", {"room": "procurement"})
    assert [p["name"] for p in joined_b["present"]] == ["Ada Lovelace", "Bob Builder"]
    assert events(a, "chat.presence") == [
        {"room": "procurement", "joined": [{"id": bob.id, "name": "Bob Builder"}], "left": []}
    ]
    ack = call(b, "chat.send", {"room": "procurement", "body": "Hi *all*", "client_id": "b-1"})
    assert ack == {"ok": True, "id": 1}
    got = events(a, "chat.message")
    assert len(got) == 1
    assert got[0]["id"] == 1
    assert got[0]["html"] == "<p>Hi <em>all</em></p>"
    assert got[0]["author"] == {"id": bob.id, "name": "Bob Builder"}
    assert got[0]["client_id"] == "b-1"
    # The same client_id again: the same id, no second broadcast.
    again = call(b, "chat.send", {"room": "procurement", "body": "Hi *all*", "client_id": "b-1"})
    assert again == {"ok": True, "id": 1}
    assert events(a, "chat.message") == []
    # Typing reaches the others, not the typist.
    assert call(a, "chat.typing", {"room": "procurement"}) == {"ok": True}
    assert events(b, "chat.typing") == [
        {"room": "procurement", "member": {"id": ada.id, "name": "Ada Lovelace"}}
    ]
    assert events(a, "chat.typing") == []


def test_since_history_edit_delete_read(app, browser, ada):
    a = connect(app, browser, ada)
    call(a, "chat.join", {"room": "procurement"})
    for i in range(3):
        call(a, "chat.send", {"room": "procurement", "body": f"m{i}", "client_id": f"x{i}"})
    since = call(a, "chat.since", {"room": "procurement", "after_id": 1})
    assert [m["id"] for m in since["messages"]] == [2, 3]
    assert since["more"] is False
    history = call(a, "chat.history", {"room": "procurement", "before_id": 3})
    assert [m["id"] for m in history["messages"]] == [1, 2]
    assert call(a, "chat.edit", {"room": "procurement", "id": 2, "body": "edited"}) == {"ok": True}
    assert call(a, "chat.delete", {"room": "procurement", "id": 3}) == {"ok": True}
    received = a.get_received()
    edited = [r["args"][0] for r in received if r["name"] == "chat.edited"]
    assert edited[0]["html"] == "<p>edited</p>"
    assert edited[0]["edited_at"]
    deleted = [r["args"][0] for r in received if r["name"] == "chat.deleted"]
    assert deleted == [{"room": "procurement", "id": 3}]
    assert call(a, "chat.read", {"room": "procurement", "id": 3}) == {"ok": True}
    rejoined = call(a, "chat.join", {"room": "procurement"})
    assert rejoined["messages"][-1] == {"room": "procurement", "id": 3, "deleted": True}


@pytest.mark.parametrize(
    ("event", "payload", "error"),
    [
        ("chat.join", None, "Malformed request"),
        ("chat.join", "procurement", "Malformed request"),
        ("chat.join", {"room": 5}, "could not find that chat room"),
        ("chat.join", {"room": "nowhere"}, "could not find that chat room"),
        ("chat.send", {"room": "procurement", "body": ""}, "Malformed request"),
        ("chat.send", {"room": "procurement", "body": "", "client_id": "a"}, "empty"),
        ("chat.send", {"room": "procurement", "body": "x" * 2001, "client_id": "a"}, "2,000"),
        ("chat.send", {"room": "procurement", "body": ["x"], "client_id": "a"}, "text"),
        ("chat.send", {"room": "procurement", "body": "x", "client_id": {"a": 1}}, "client_id"),
        ("chat.since", {"room": "procurement", "after_id": "0"}, "Malformed"),
        ("chat.history", {"room": "procurement", "before_id": -4}, "Malformed"),
        ("chat.edit", {"room": "procurement", "id": 99, "body": "x"}, "not there"),
        ("chat.delete", {"room": "procurement", "id": True}, "Malformed"),
    ],
)
def test_errors_come_back_in_the_ack(app, browser, ada, caplog, event, payload, error):
    a = connect(app, browser, ada)
    with caplog.at_level(logging.WARNING):
        ack = call(a, event, payload)
    assert ack["ok"] is False
    assert error in ack["error"]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_non_members_read_public_rooms_but_cannot_write(app, browser, stranger, ada):
    s = connect(app, browser, stranger)
    assert call(s, "chat.join", {"room": "procurement"})["ok"] is True
    ack = call(s, "chat.send", {"room": "procurement", "body": "hi", "client_id": "s1"})
    assert ack == {"ok": False, "error": "Join Procurement to take part."}
    typing = call(s, "chat.typing", {"room": "procurement"})
    assert typing["ok"] is False


def test_members_only_rooms_are_invisible_to_others(app, browser, stranger):
    set_visibility("procurement", "members")
    s = connect(app, browser, stranger)
    ack = call(s, "chat.join", {"room": "procurement"})
    assert ack == {"ok": False, "error": "We could not find that chat room."}
    ack = call(s, "chat.since", {"room": "procurement", "after_id": 0})
    assert ack["ok"] is False


def test_a_muted_member_is_told_and_refused(app, browser, ada, mod):
    from community.chat import actions

    with atomic():
        actions.mute(live(mod), "procurement", user_id=ada.id, minutes=5)
    a = connect(app, browser, ada)
    joined = call(a, "chat.join", {"room": "procurement"})
    assert joined["muted_until"] is not None
    ack = call(a, "chat.send", {"room": "procurement", "body": "hi", "client_id": "m1"})
    assert ack["ok"] is False
    assert "muted you" in ack["error"]


def test_rate_limit_answers_in_the_ack(app, browser, ada):
    app.config["RATELIMIT_ENABLED"] = True
    app.config["RATE_LIMITS"] = {**app.config["RATE_LIMITS"], "chat_send": "2 per 10 seconds"}
    a = connect(app, browser, ada)
    results = [
        call(a, "chat.send", {"room": "procurement", "body": "x", "client_id": f"q{i}"})
        for i in range(3)
    ]
    assert [r["ok"] for r in results] == [True, True, False]
    assert "too fast" in results[2]["error"]


def test_leaving_and_disconnecting_update_presence(app, browser, ada, bob):
    a = connect(app, browser, ada)
    call(a, "chat.join", {"room": "procurement"})
    b = other_client(app, bob)
    call(b, "chat.join", {"room": "procurement"})
    events(a, "chat.presence")
    assert call(b, "chat.leave", {"room": "procurement"}) == {"ok": True}
    assert events(a, "chat.presence") == [
        {"room": "procurement", "joined": [], "left": [{"id": bob.id, "name": "Bob Builder"}]}
    ]
    call(b, "chat.join", {"room": "procurement"})
    events(a, "chat.presence")
    b.disconnect()
    assert events(a, "chat.presence") == [
        {"room": "procurement", "joined": [], "left": [{"id": bob.id, "name": "Bob Builder"}]}
    ]


def test_two_tabs_of_one_member_count_once(app, browser, ada, bob):
    a = connect(app, browser, ada)
    call(a, "chat.join", {"room": "procurement"})
    events(a, "chat.presence")  # her own arrival
    b1 = other_client(app, bob)
    b2 = other_client(app, bob)
    call(b1, "chat.join", {"room": "procurement"})
    call(b2, "chat.join", {"room": "procurement"})
    assert len(events(a, "chat.presence")) == 1
    b1.disconnect()
    assert events(a, "chat.presence") == []  # still here in the other tab
    b2.disconnect()
    assert len(events(a, "chat.presence")) == 1


def test_expired_presence_is_swept_once(app, ada, bob):
    store = MemoryPresence(ttl=0.01)
    store.join(1, ada.id, "s1")
    store.join(1, bob.id, "s2")
    store.refresh([(1, bob.id, "s2")])
    time.sleep(0.02)
    store.refresh([(1, bob.id, "s2")])
    assert store.sweep() == [(1, ada.id)]
    assert store.sweep() == []
    assert store.members(1) == [bob.id]


def test_suspended_member_is_refused_everything(app, browser, ada):
    a = connect(app, browser, ada)
    with atomic():
        live(ada).suspended_at = utcnow()
    ack = call(a, "chat.join", {"room": "procurement"})
    assert ack["ok"] is False


def test_mentions_from_chat_reach_the_notification_count(app, browser, ada, bob, published):
    a = connect(app, browser, ada)
    call(a, "chat.join", {"room": "procurement"})
    call(a, "chat.send", {"room": "procurement", "body": "@**Bob Builder** look", "client_id": "n"})
    counts = [(r, p) for e, r, p in published if e == "notification.count"]
    assert counts == [(f"user:{bob.id}", {"unread": 1})]
