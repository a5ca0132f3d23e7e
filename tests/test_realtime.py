"""`realtime.publish`: emits wait for the commit, and a rollback drops them."""

import logging
from datetime import UTC, datetime

import pytest

from community import realtime
from community.accounts.actions import create_organisation
from community.accounts.models import Organisation
from community.db import atomic
from community.extensions import db, socketio
from community.rooms import user_room
from tests.factories import make_user


def test_publish_waits_for_the_commit(app, published):
    with atomic():
        create_organisation(name="Riverside Enterprise")
        realtime.publish("org.added", {"name": "Riverside Enterprise"}, room="admins")
        db.session.flush()
        assert published == []
    assert published == [("org.added", "admins", {"name": "Riverside Enterprise"})]


class Failed(Exception):
    """The action after `publish` failed."""


def publish_then_fail(*events: tuple[str, dict, str], nested: bool = False) -> None:
    """Publish inside atomic() (in a nested block if asked), then fail before the commit."""
    with atomic():
        if nested:
            with atomic():
                for name, payload, room in events:
                    realtime.publish(name, payload, room=room)
        else:
            for name, payload, room in events:
                realtime.publish(name, payload, room=room)
        raise Failed


def test_a_rollback_drops_what_was_published(app, published):
    with pytest.raises(Failed):
        publish_then_fail(("org.added", {"name": "Never"}, "admins"))
    assert published == []
    with atomic():  # and nothing left over goes out with the next commit
        realtime.publish("org.added", {"name": "Next"}, room="admins")
    assert published == [("org.added", "admins", {"name": "Next"})]


def test_publishing_in_a_nested_block_waits_for_the_outer_commit(app, published):
    with atomic():
        with atomic():
            realtime.publish("a", {"n": 1}, room="r")
        assert published == []
        realtime.publish("b", {"n": 2}, room="r")
    assert published == [("a", "r", {"n": 1}), ("b", "r", {"n": 2})]


def test_an_outer_rollback_drops_what_a_nested_block_published(app, published):
    with pytest.raises(Failed):
        publish_then_fail(("a", {"n": 1}, "r"), nested=True)
    assert published == []


@pytest.mark.parametrize(
    "payload",
    [
        {"at": datetime(2026, 1, 1, tzinfo=UTC)},
        {"ids": {1, 2}},
        {"thing": object()},
        {"bytes": b"raw"},
    ],
    ids=["datetime", "set", "object", "bytes"],
)
def test_a_payload_that_is_not_json_fails_at_publish(app, published, payload):
    with atomic():
        with pytest.raises(TypeError):
            realtime.publish("bad", payload, room="r")
        realtime.publish("good", {"ok": True}, room="r")
    assert published == [("good", "r", {"ok": True})]


def test_a_failed_emit_does_not_undo_the_commit(app, monkeypatch, caplog):
    def broken(*args):
        raise ConnectionError("message queue down")

    monkeypatch.setattr(realtime, "_emit", broken)
    with caplog.at_level(logging.ERROR, logger="community.realtime"), atomic():
        create_organisation(name="Saved Anyway")
        realtime.publish("org.added", {"name": "Saved Anyway"}, room="admins")
    assert "could not emit org.added to admins" in caplog.text
    db.session.remove()
    assert list(db.session.scalars(db.select(Organisation.name))) == ["Saved Anyway"]


def test_a_connected_member_receives_the_event_after_commit_only(app, browser):
    """The real emit path: Socket.IO's test client, signed in with the page's cookie."""
    user = make_user()
    browser.login(user.email)
    client = socketio.test_client(app, flask_test_client=browser.client)
    assert client.is_connected()
    client.get_received()

    with pytest.raises(Failed):
        publish_then_fail(("notification.count", {"unread": 1}, user_room(user.id)))
    assert client.get_received() == []

    with atomic():
        realtime.publish("notification.count", {"unread": 2}, room=user_room(user.id))
    received = client.get_received()
    assert [(r["name"], r["args"]) for r in received] == [("notification.count", [{"unread": 2}])]
    client.disconnect()


def test_an_anonymous_socket_is_refused(app, client):
    sio = socketio.test_client(app, flask_test_client=client)
    assert not sio.is_connected()


def publish_in_a_savepoint_that_fails(name: str) -> None:
    """As an action does when an insert may lose a race: try it in a savepoint, carry on."""
    try:
        with db.session.begin_nested():
            realtime.publish("org.added", {"name": name}, room="admins")
            raise Failed
    except Failed:
        pass


def test_a_rolled_back_savepoint_drops_only_what_was_published_inside_it(app, published):
    with atomic():
        realtime.publish("before", {}, room="r")
        publish_in_a_savepoint_that_fails("Lost")
        with db.session.begin_nested():
            realtime.publish("kept", {}, room="r")
        realtime.publish("after", {}, room="r")
    assert [event for event, _, _ in published] == ["before", "kept", "after"]


def test_a_savepoint_inside_a_rolled_back_savepoint_is_dropped_too(app, published):
    with atomic():
        try:
            with db.session.begin_nested():
                with db.session.begin_nested():
                    realtime.publish("inner", {}, room="r")
                realtime.publish("outer", {}, room="r")
                raise Failed
        except Failed:
            pass
        realtime.publish("survivor", {}, room="r")
    assert [event for event, _, _ in published] == ["survivor"]


def publish_around_a_released_savepoint(published: list) -> None:
    with atomic():
        realtime.publish("before", {}, room="r")
        with db.session.begin_nested():
            realtime.publish("inside", {}, room="r")
        assert published == []  # the savepoint's release sent nothing
        raise Failed


def test_releasing_a_savepoint_is_not_the_commit(app, published):
    """SQLAlchemy reports a released savepoint as a commit; the emits must still wait."""
    with pytest.raises(Failed):
        publish_around_a_released_savepoint(published)
    assert published == []
    with atomic():
        with db.session.begin_nested():
            realtime.publish("inside", {}, room="r")
        realtime.publish("after", {}, room="r")
    assert [event for event, _, _ in published] == ["inside", "after"]
