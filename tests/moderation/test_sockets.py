"""The moderators' header count over Socket.IO: `moderation.count` pushed when what waits
changes, and asked for by a tab when it connects."""

from community.db import atomic
from community.moderation import flags
from tests.conftest import Browser
from tests.sockets import connect as connect_as
from tests.sockets import events
from tests.threads.helpers import live, reply, start


def connect(app, user):
    return connect_as(app, Browser(app.test_client()), user)


def ask(sio):
    return sio.emit("moderation.count", {}, callback=True)


def test_a_moderator_hears_the_queue_grow_and_shrink(app, alice, flaggers, mod, other_mod):
    post_id = reply(alice, start(alice), "Buy my pills")
    tab, elsewhere = connect(app, mod), connect(app, other_mod)
    assert ask(tab) == {"ok": True, "waiting": 0}
    with atomic():
        flags.flag(live(flaggers[0]), "post", post_id, reason="spam")
    assert events(tab, "moderation.count") == [{"waiting": 1}]
    assert events(elsewhere, "moderation.count") == []  # not their community
    with atomic():
        flags.decide(live(mod), "post", post_id, "keep")
    assert events(tab, "moderation.count") == [{"waiting": 0}]
    assert ask(tab) == {"ok": True, "waiting": 0}


def test_members_have_no_queue_to_ask_about(app, alice):
    assert ask(connect(app, alice)) == {
        "ok": False,
        "error": "Only moderators and admins have a queue.",
    }
