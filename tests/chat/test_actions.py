"""Chat actions directly: rooms, numbering, dedupe, limits, edits, deletes, history,
catch-up, mutes, mentions, read positions and permissions."""

import pytest
from sqlalchemy import select

from community.chat import actions
from community.chat.models import ChatMessage
from community.db import atomic
from community.errors import Forbidden, Invalid, NotFound
from community.extensions import db
from community.notifications.models import Notification
from tests.chat.conftest import live, run
from tests.communities.helpers import run_concurrently, set_visibility
from tests.factories import make_user

AUTO = object()


def send(user, body="Hello", client_id=AUTO, room="procurement"):
    send.counter = getattr(send, "counter", 0) + 1
    if client_id is AUTO:
        client_id = f"c{send.counter}"
    message, created = run(actions.send_message, user, room, body=body, client_id=client_id)
    return message.number, created


def numbers(room="procurement", user=None) -> list[int]:
    db.session.rollback()
    _, messages = actions.recent(live(user), room, limit=1000)
    return [m.number for m in messages]


def test_messages_are_numbered_per_room_and_rendered(ada, bob, published):
    assert send(ada, "**Hello** <script>x</script>")[0] == 1
    assert send(bob, "Hi Ada")[0] == 2
    join_health = make_user(communities=("health",))
    assert send(join_health, "Other room", room="health")[0] == 1
    room, messages = actions.recent(live(ada), "procurement")
    assert [m.number for m in messages] == [1, 2]
    assert messages[0].html == "<p><strong>Hello</strong> &lt;script&gt;x&lt;/script&gt;</p>"
    sent = [p for e, r, p in published if e == "chat.message"]
    assert [(p["room"], p["id"], p["author"]["name"]) for p in sent] == [
        ("procurement", 1, "Ada Lovelace"), ("procurement", 2, "Bob Builder"),
        ("health", 1, join_health.display_name),
    ]  # fmt: skip
    assert room.last_number == 2


def test_a_resend_with_the_same_client_id_returns_the_first_message(ada, published):
    first = send(ada, "Once", client_id="tab1-1")
    again = send(ada, "Once", client_id="tab1-1")
    assert first == (1, True)
    assert again == (1, False)
    assert numbers(user=ada) == [1]
    assert len([e for e, _r, _p in published if e == "chat.message"]) == 1


def test_bad_messages_are_refused(ada):
    bad = [("", "a"), ("   \n ", "b"), ("x" * 2001, "c"), (5, "d")]
    bad += [("ok", ""), ("ok", "x" * 65), ("ok", "bad id"), ("ok", None)]
    for body, client_id in bad:
        with pytest.raises(Invalid):
            send(ada, body, client_id=client_id)
    assert send(ada, "x" * 2000, client_id="e")[0] == 1


def test_who_may_read_and_write(ada, stranger, communities):
    send(ada, "In public")
    # A public community's room: any signed-in member reads; only its members write.
    assert numbers(user=stranger) == [1]
    with pytest.raises(Forbidden):
        send(stranger, "Me too")
    with pytest.raises(Forbidden):
        actions.access_room(None, "procurement")
    set_visibility("procurement", "members")
    with pytest.raises(NotFound):
        actions.recent(live(stranger), "procurement")
    with pytest.raises(NotFound):
        actions.recent(live(ada), "no-such-room")


def test_admins_read_and_moderate_members_only_rooms_but_write_only_as_members(ada, communities):
    admin = make_user(admin=True)
    set_visibility("procurement", "members")
    send(ada, "Members only")
    assert numbers(user=admin) == [1]
    assert run(actions.access_room, admin, "procurement", need="moderate").name == "procurement"
    with pytest.raises(Forbidden):
        send(admin, "Not a member")
    with pytest.raises(Forbidden):
        run(actions.access_room, ada, "procurement", need="moderate")


def test_an_archived_communitys_room_is_read_only(ada, communities):
    from tests.communities.helpers import archive

    send(ada, "Before")
    archive("procurement")
    _, messages = actions.recent(live(ada), "procurement")
    assert [m.body for m in messages] == ["Before"]
    with pytest.raises(Forbidden, match="Procurement is archived: it is read-only."):
        send(ada, "After")


def test_suspended_members_cannot_write(ada):
    from community.db import utcnow

    with atomic():
        live(ada).suspended_at = utcnow()
    with pytest.raises(Forbidden):
        send(ada)


def test_edit_and_delete_own_messages_live(ada, bob, mod, published):
    number, _ = send(ada, "Frist")
    run(actions.edit_message, ada, "procurement", number, body="First")
    with pytest.raises(Forbidden):
        run(actions.edit_message, bob, "procurement", number, body="Hijack")
    with pytest.raises(Forbidden):
        run(actions.delete_message, bob, "procurement", number)
    run(actions.delete_message, ada, "procurement", number)
    with pytest.raises(NotFound):
        run(actions.edit_message, ada, "procurement", number, body="Again")
    other, _ = send(bob, "Spam")
    run(actions.delete_message, mod, "procurement", other)  # moderators delete any
    db.session.rollback()
    _, messages = actions.recent(live(ada), "procurement")
    payloads = [actions.message_payload(m, m_room) for m, m_room in
                [(m, actions.access_room(live(ada), "procurement")) for m in messages]]  # fmt: skip
    assert payloads[0] == {"room": "procurement", "id": 1, "deleted": True}
    kinds = [
        (e, p["id"]) for e, _r, p in published if e.startswith("chat.") and e != "chat.message"
    ]
    assert kinds == [("chat.edited", 1), ("chat.deleted", 1), ("chat.deleted", 2)]
    assert published[1][2]["html"] == "<p>First</p>"
    with pytest.raises(Invalid):
        run(actions.edit_message, ada, "procurement", "1", body="x")


def test_since_and_history(ada):
    for i in range(120):
        send(ada, f"m{i}", client_id=f"h{i}")
    _, after, more = actions.since(live(ada), "procurement", 100)
    assert [m.number for m in after] == list(range(101, 121))
    assert more is False
    _, before = actions.history(live(ada), "procurement", 71)
    assert [m.number for m in before] == list(range(21, 71))
    _, first = actions.history(live(ada), "procurement", 5)
    assert [m.number for m in first] == [1, 2, 3, 4]
    _, recent = actions.recent(live(ada), "procurement")
    assert [m.number for m in recent] == list(range(71, 121))
    for bad in (-1, "3", None, 1.5, True, 2**40):
        with pytest.raises(Invalid):
            actions.since(live(ada), "procurement", bad)


def test_catch_up_is_capped_and_says_there_is_more(ada, monkeypatch):
    monkeypatch.setattr(actions, "CATCH_UP_MAX", 3)
    for i in range(5):
        send(ada, f"m{i}", client_id=f"k{i}")
    _, after, more = actions.since(live(ada), "procurement", 0)
    assert ([m.number for m in after], more) == ([1, 2, 3], True)


def test_rate_limit(app, ada):
    app.config["RATELIMIT_ENABLED"] = True
    app.config["RATE_LIMITS"] = {**app.config["RATE_LIMITS"], "chat_send": "3 per 10 seconds"}
    for i in range(3):
        send(ada, f"m{i}", client_id=f"r{i}")
    with pytest.raises(Invalid, match="too fast"):
        send(ada, "m3", client_id="r3")
    assert send(ada, "m0", client_id="r0") == (1, False)  # a resend is never limited
    assert numbers(user=ada) == [1, 2, 3]


def test_mutes(ada, bob, mod):
    with pytest.raises(Forbidden):
        run(actions.mute, bob, "procurement", user_id=ada.id, minutes=10)
    with pytest.raises(Invalid):
        run(actions.mute, mod, "procurement", user_id=ada.id, minutes=0)
    with pytest.raises(Invalid):
        run(actions.mute, mod, "procurement", user_id=mod.id, minutes=10)
    run(actions.mute, mod, "procurement", user_id=ada.id, minutes=10)
    with pytest.raises(Forbidden, match="muted you"):
        send(ada, "Hello?")
    assert numbers(user=ada) == []  # muted members still read
    send(bob, "Bob can")
    run(actions.unmute, mod, "procurement", user_id=ada.id)
    assert send(ada, "Back")[0] == 2


def test_mentions_notify_members_who_can_read(ada, bob, stranger, communities):
    set_visibility("procurement", "members")
    send(ada, "Hi @**Bob Builder** and @**Sam Stranger**")
    db.session.rollback()
    notes = db.session.scalars(select(Notification).where(Notification.kind == "chat_mention"))
    assert [(n.user_id, n.url) for n in notes] == [(bob.id, "/chat/procurement#m1")]


def test_unread_rooms_for_the_navigation(ada, bob):
    assert actions.unread_community_ids(live(bob)) == set()
    send(ada, "News")
    procurement = actions.access_room(live(bob), "procurement").target_id
    assert actions.unread_community_ids(live(bob)) == {procurement}
    assert actions.unread_community_ids(live(ada)) == set()  # one's own message is read
    run(actions.mark_read, bob, "procurement", 1)
    assert actions.unread_community_ids(live(bob)) == set()


def test_concurrent_senders_get_gap_free_unique_numbers(app, communities):
    """PostgreSQL: under the room's row lock. SQLite: under the write transaction, the room
    read inside it."""
    senders = [make_user(communities=("procurement",)) for _ in range(8)]
    ids = [s.id for s in senders]

    def work(i: int) -> None:
        from community.accounts.models import User

        for n in range(5):
            with atomic():
                actions.send_message(
                    db.session.get(User, ids[i]), "procurement", body=f"{i}:{n}",
                    client_id=f"s{i}-{n}",
                )  # fmt: skip

    assert run_concurrently(app, work, list(range(8))) == []
    db.session.rollback()
    rows = db.session.scalars(select(ChatMessage.number).order_by(ChatMessage.number)).all()
    assert rows == list(range(1, 41))
