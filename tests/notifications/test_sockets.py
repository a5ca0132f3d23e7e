"""The header's live count over Socket.IO: `notification.count` pushed to the member's tabs,
and asked for by a tab when it connects (what was pushed before it connected is gone)."""

from community.db import atomic
from community.notifications import actions
from tests.conftest import Browser
from tests.sockets import connect as connect_as
from tests.sockets import events
from tests.threads.helpers import live, reply, start


def connect(app, user):
    """A tab of `user`'s: its own browser, signed in, connected."""
    return connect_as(app, Browser(app.test_client()), user)


def ask(sio):
    return sio.emit("notification.count", {}, callback=True)


def test_a_tab_asks_for_the_count_on_connecting_and_hears_it_change(app, alice, bob):
    thread_id = start(alice)
    reply(bob, thread_id, "Before the tab connected.")  # its push went to nobody
    sio = connect(app, alice)
    assert ask(sio) == {"ok": True, "unread": 1}

    reply(bob, thread_id, f"@**{alice.display_name}** are you there?")
    assert events(sio, "notification.count") == [{"unread": 2}]
    assert ask(sio) == {"ok": True, "unread": 2}

    with atomic():
        actions.mark_all_read(live(alice))
    assert events(sio, "notification.count") == [{"unread": 0}]
    assert ask(sio) == {"ok": True, "unread": 0}


def test_the_count_is_the_members_own(app, alice, bob):
    thread_id = start(alice)
    reply(bob, thread_id)
    other = connect(app, bob)
    assert ask(other) == {"ok": True, "unread": 0}
    assert events(other, "notification.count") == []
    assert ask(connect(app, alice)) == {"ok": True, "unread": 1}
