"""The live room of an open thread page: `thread.open`, and the events that reach it.

Socket.IO's test client runs the real handlers and the real emit path (`realtime.publish` →
after commit → `socketio.emit` to the room), signed in with the test client's session cookie.
"""

import logging

import pytest

from community.db import atomic
from community.extensions import db, socketio
from community.threads import actions
from community.threads.models import Thread
from tests.communities.helpers import set_visibility
from tests.factories import make_moderator, make_user
from tests.sockets import connect, events


class Failed(Exception):
    """Raised inside a transaction to roll it back."""


@pytest.fixture
def ada(app, communities):
    return make_user("Ada Lovelace", email="ada@example.org", communities=("procurement",))


@pytest.fixture
def bob(app, communities):
    return make_user("Bob Builder", email="bob@example.org", communities=("procurement",))


def start(user, slug="procurement", title="Social value in tenders") -> int:
    with atomic():
        thread = actions.start_thread(
            db.session.get(type(user), user.id), slug, title=title, body="First post."
        )
        return thread.id


def reply(user, thread_id: int, body: str = "A reply.") -> int:
    with atomic():
        return actions.post_reply(db.session.get(type(user), user.id), thread_id, body=body).id


def open_thread(sio, payload):
    return sio.emit("thread.open", payload, callback=True)


@pytest.fixture
def socket_for(app):
    """socket_for(user) -> a connected client with its own test client and cookie jar."""
    from tests.conftest import Browser

    clients = []

    def _connect(user):
        sio = connect(app, Browser(app.test_client()), user)
        clients.append(sio)
        return sio

    yield _connect
    for sio in clients:
        if sio.is_connected():
            sio.disconnect()


@pytest.fixture
def no_errors_logged(caplog):
    """Fails the test if anything (the handlers, Socket.IO, Flask) logged an error."""
    caplog.set_level(logging.WARNING)
    yield
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not bad, "\n".join(r.getMessage() for r in bad)


# --- thread.open ----------------------------------------------------------------------------


def test_opening_a_readable_thread_joins_its_room(app, ada, socket_for, no_errors_logged):
    thread_id = start(ada)
    sio = socket_for(ada)
    assert open_thread(sio, {"thread_id": thread_id}) == {"ok": True}
    assert participants(f"thread:{thread_id}") == 1


def test_a_non_member_may_open_a_public_thread(app, ada, socket_for, no_errors_logged):
    thread_id = start(ada)
    reader = make_user("Reader Only")
    sio = socket_for(reader)
    assert open_thread(sio, {"thread_id": thread_id}) == {"ok": True}
    reply(ada, thread_id, "Seen by readers too.")
    [event] = events(sio, "thread.reply")
    assert "Seen by readers too." in event["html"]


def test_a_members_only_thread_is_refused_to_outsiders(app, ada, socket_for, no_errors_logged):
    thread_id = start(ada)
    set_visibility("procurement", "members")
    outsider = make_user("Olive Outsider", communities=("finance",))
    sio = socket_for(outsider)
    ack = open_thread(sio, {"thread_id": thread_id})
    assert ack["ok"] is False
    assert ack["error"]
    # The ack says "not found", exactly as for a thread that does not exist: no leak.
    assert ack == open_thread(sio, {"thread_id": thread_id + 1000})

    reply(ada, thread_id, "Members only.")
    assert events(sio, "thread.reply") == []
    # A member of that community may open it.
    member = socket_for(ada)
    assert open_thread(member, {"thread_id": thread_id}) == {"ok": True}


def test_a_missing_thread_is_refused(app, ada, socket_for, no_errors_logged):
    sio = socket_for(ada)
    ack = open_thread(sio, {"thread_id": 999_999})
    assert ack["ok"] is False
    assert ack["error"]


def test_a_deleted_thread_is_refused_to_members(app, ada, bob, socket_for, no_errors_logged):
    thread_id = start(ada)
    with atomic():
        db.session.get(Thread, thread_id).deleted_at = db.func.now()
    sio = socket_for(bob)
    assert open_thread(sio, {"thread_id": thread_id})["ok"] is False


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"thread_id": "x"},
        None,
        [],
        [1],
        "1",
        1,
        {"thread_id": None},
        {"thread_id": [1]},
        {"thread_id": {"id": 1}},
        {"thread_id": True},
        {"thread_id": 1.5},
        {"thread_id": -1},
        {"thread_id": 0},
        {"thread_id": 10**30},
        {"thread_id": "9" * 40},
    ],
    ids=repr,
)
def test_a_malformed_payload_gets_an_error_ack(app, ada, socket_for, no_errors_logged, payload):
    start(ada)
    sio = socket_for(ada)
    ack = open_thread(sio, payload)
    assert ack["ok"] is False
    assert ack["error"]
    # The connection and the database session still work afterwards.
    assert sio.is_connected()
    assert open_thread(sio, {"thread_id": start(ada, title="Another")}) == {"ok": True}


def test_thread_open_without_any_payload_gets_an_error_ack(app, ada, socket_for, no_errors_logged):
    sio = socket_for(ada)
    ack = sio.emit("thread.open", callback=True)
    assert ack["ok"] is False
    assert ack["error"]


def test_a_tab_that_goes_away_during_the_access_check_is_no_error(
    app, ada, socket_for, monkeypatch, no_errors_logged
):
    """Events run in their own greenlet: the connection may close before the handler joins
    the room (seen in the browser tests when a page navigates away at once)."""
    from flask_socketio import disconnect

    from community.threads import sockets

    thread_id = start(ada)
    bystander = socket_for(ada)  # keeps the namespace's rooms alive
    sio = socket_for(ada)
    check = sockets.actions.access_thread

    def check_then_go_away(*args, **kwargs):
        found = check(*args, **kwargs)
        disconnect()
        return found

    monkeypatch.setattr(sockets.actions, "access_thread", check_then_go_away)
    sio.emit("thread.open", {"thread_id": thread_id}, callback=True)
    assert not sio.is_connected()
    monkeypatch.setattr(sockets.actions, "access_thread", check)
    assert participants(f"thread:{thread_id}") == 0  # nothing was left behind
    assert open_thread(bystander, {"thread_id": thread_id}) == {"ok": True}
    assert participants(f"thread:{thread_id}") == 1


def participants(room: str) -> int:
    return len(list(socketio.server.manager.get_participants("/", room)))


def test_a_numeric_string_id_is_accepted(app, ada, socket_for, no_errors_logged):
    """What `dataset.thread` gives a page: the id as text."""
    thread_id = start(ada)
    sio = socket_for(ada)
    assert open_thread(sio, {"thread_id": str(thread_id)}) == {"ok": True}


def test_thread_close_leaves_the_room(app, ada, bob, socket_for, no_errors_logged):
    thread_id = start(ada)
    sio = socket_for(bob)
    assert open_thread(sio, {"thread_id": thread_id}) == {"ok": True}
    assert sio.emit("thread.close", {"thread_id": thread_id}, callback=True) == {"ok": True}
    reply(ada, thread_id)
    assert events(sio, "thread.reply") == []
    for payload in ({}, None, {"thread_id": "x"}, []):
        assert sio.emit("thread.close", payload, callback=True)["ok"] is False


# --- events reaching the room ---------------------------------------------------------------


def test_a_reply_reaches_the_clients_that_opened_the_thread(
    app, ada, bob, socket_for, no_errors_logged
):
    thread_id = start(ada)
    other_thread = start(ada, title="Something else")
    watcher = socket_for(bob)
    assert open_thread(watcher, {"thread_id": thread_id}) == {"ok": True}
    elsewhere = socket_for(make_user("Elsewhere", communities=("procurement",)))
    assert open_thread(elsewhere, {"thread_id": other_thread}) == {"ok": True}
    idle = socket_for(make_user("Idle", communities=("procurement",)))

    post_id = reply(ada, thread_id, "Hello **there** <script>alert(1)</script>")

    [event] = events(watcher, "thread.reply")
    assert set(event) == {"thread_id", "post_id", "number", "author", "html", "created_at"}
    assert event["thread_id"] == thread_id
    assert event["post_id"] == post_id
    assert event["number"] == 2
    assert event["author"] == {"id": ada.id, "name": "Ada Lovelace"}
    assert "<strong>there</strong>" in event["html"]
    assert "<script" not in event["html"]
    assert event["created_at"].endswith("Z")
    assert events(elsewhere, "thread.reply") == []
    assert events(idle, "thread.reply") == []


def test_the_author_of_the_reply_receives_it_too(app, ada, socket_for, no_errors_logged):
    """The author's other tabs on the same thread update as well."""
    thread_id = start(ada)
    sio = socket_for(ada)
    open_thread(sio, {"thread_id": thread_id})
    post_id = reply(ada, thread_id)
    assert [e["post_id"] for e in events(sio, "thread.reply")] == [post_id]


def test_nothing_is_received_when_the_reply_rolls_back(app, ada, bob, socket_for, no_errors_logged):
    thread_id = start(ada)
    sio = socket_for(bob)
    open_thread(sio, {"thread_id": thread_id})

    def reply_then_fail():
        with atomic():
            actions.post_reply(db.session.get(type(ada), ada.id), thread_id, body="Never saved.")
            raise Failed

    with pytest.raises(Failed):
        reply_then_fail()
    assert sio.get_received() == []
    # The next committed reply is the only one that arrives, with the number the lost one
    # would have had.
    post_id = reply(ada, thread_id, "Saved.")
    [event] = events(sio, "thread.reply")
    assert (event["post_id"], event["number"]) == (post_id, 2)


def test_a_refused_reply_sends_nothing(app, ada, bob, socket_for, no_errors_logged):
    thread_id = start(ada)
    with atomic():
        actions.set_locked(make_moderator_for(), thread_id, locked=True)
    sio = socket_for(bob)
    open_thread(sio, {"thread_id": thread_id})
    from community.errors import Forbidden

    with pytest.raises(Forbidden):
        reply(bob, thread_id)
    assert sio.get_received() == []


def make_moderator_for(slug: str = "procurement"):
    return make_moderator(slug)


def test_edits_deletions_and_reactions_reach_the_room(app, ada, bob, socket_for, no_errors_logged):
    thread_id = start(ada)
    post_id = reply(ada, thread_id, "Before.")
    sio = socket_for(bob)
    open_thread(sio, {"thread_id": thread_id})
    user = db.session.get(type(ada), ada.id)

    with atomic():
        actions.edit_post(user, post_id, body="After *editing*.")
    [edited] = events(sio, "thread.edited")
    assert edited == {
        "thread_id": thread_id,
        "post_id": post_id,
        "html": "<p>After <em>editing</em>.</p>",
        "moderator_edit_reason": "",
    }

    with atomic():
        actions.toggle_reaction(db.session.get(type(bob), bob.id), post_id, "heart")
    [reactions] = events(sio, "thread.reactions")
    assert reactions == {"thread_id": thread_id, "post_id": post_id, "counts": {"heart": 1}}

    with atomic():
        actions.toggle_reaction(db.session.get(type(bob), bob.id), post_id, "heart")
    [reactions] = events(sio, "thread.reactions")
    assert reactions["counts"] == {}

    with atomic():
        actions.delete_post(db.session.get(type(ada), ada.id), post_id)
    [deleted] = events(sio, "thread.deleted")
    assert deleted == {"thread_id": thread_id, "post_id": post_id}


def test_an_edit_that_rolls_back_sends_nothing(app, ada, bob, socket_for, no_errors_logged):
    thread_id = start(ada)
    post_id = reply(ada, thread_id, "Before.")
    sio = socket_for(bob)
    open_thread(sio, {"thread_id": thread_id})

    def edit_then_fail():
        with atomic():
            actions.edit_post(db.session.get(type(ada), ada.id), post_id, body="Lost edit.")
            raise Failed

    with pytest.raises(Failed):
        edit_then_fail()
    assert sio.get_received() == []


def test_a_reply_posted_through_the_form_reaches_the_room(
    app, ada, bob, socket_for, browser, no_errors_logged
):
    """The whole path: the reply view's atomic() commits, then the emit leaves."""
    thread_id = start(ada)
    sio = socket_for(bob)
    open_thread(sio, {"thread_id": thread_id})
    browser.login(ada.email)
    response = browser.submit(
        f"/t/{thread_id}",
        {"body": "Through the _form_.", "reply_to": ""},
        action=f"/t/{thread_id}/reply",
    )
    assert response.status_code == 302
    [event] = events(sio, "thread.reply")
    assert event["html"] == "<p>Through the <em>form</em>.</p>"
    assert response.headers["Location"].endswith(f"/p/{event['post_id']}")


def test_a_thread_moved_out_of_sight_stops_reaching_outsiders(
    app, ada, socket_for, no_errors_logged
):
    thread_id = start(ada)
    set_visibility("finance", "members")
    outsider = socket_for(make_user("Olive Outsider"))
    assert open_thread(outsider, {"thread_id": thread_id}) == {"ok": True}
    mod = make_moderator("finance", make_moderator("procurement"))
    with atomic():
        actions.move_thread(db.session.get(type(mod), mod.id), thread_id, to_slug="finance")
    with atomic():
        actions.post_reply(db.session.get(type(mod), mod.id), thread_id, body="Members only now.")
    assert events(outsider, "thread.reply") == []


def test_a_move_asks_open_pages_to_recheck_and_readers_who_may_still_read_rejoin(
    app, ada, socket_for, no_errors_logged
):
    thread_id = start(ada)
    set_visibility("finance", "members")
    mod = make_moderator("finance", make_moderator("procurement"))
    reader = socket_for(mod)
    assert open_thread(reader, {"thread_id": thread_id}) == {"ok": True}
    with atomic():
        actions.move_thread(db.session.get(type(mod), mod.id), thread_id, to_slug="finance")
    assert events(reader, "thread.recheck") == [{"thread_id": thread_id}]
    # the page asks again, as thread.js does, and the moderator may still read it
    assert open_thread(reader, {"thread_id": thread_id}) == {"ok": True}
    with atomic():
        actions.post_reply(db.session.get(type(mod), mod.id), thread_id, body="Still here.")
    assert [e["thread_id"] for e in events(reader, "thread.reply")] == [thread_id]


def test_leaving_a_members_only_community_stops_its_live_posts(
    app, ada, socket_for, no_errors_logged
):
    from community.communities import actions as community_actions

    set_visibility("finance", "members")
    mod = make_moderator("finance")
    with atomic():
        community_actions.add_member(db.session.get(type(mod), mod.id), "finance", email=ada.email)
    thread_id = start(mod, slug="finance")
    page = socket_for(ada)
    assert open_thread(page, {"thread_id": thread_id}) == {"ok": True}
    with atomic():
        community_actions.leave_community(db.session.get(type(ada), ada.id), "finance")
    assert events(page, "thread.recheck") == [{"thread_id": thread_id}]
    assert open_thread(page, {"thread_id": thread_id})["ok"] is False
    with atomic():
        actions.post_reply(db.session.get(type(mod), mod.id), thread_id, body="Members only.")
    assert events(page, "thread.reply") == []
