"""Rooms belong to a target: the policy registry, rooms made with their community, reads that
never commit, and the reserved `event-` prefix."""

import pytest
from sqlalchemy import event, func, select

from community.accounts.models import User
from community.chat import access, actions, sockets
from community.chat.models import ChatRoom
from community.communities import actions as community_actions
from community.communities.models import Community
from community.db import atomic
from community.errors import Forbidden, Invalid, NotFound
from community.extensions import db
from community.seed import seed
from tests.chat.conftest import live, run
from tests.sockets import connect, events


class ProbeRooms:
    """A throwaway kind: every member has a "probe-<id>" room; signed-in members read it,
    only its owner writes and moderates. Registered by the test, with no chat code edited."""

    prefix = "probe-"

    def query(self, user, key):
        if not key.isdigit() or len(key) > 9:
            return None
        return select(User).where(User.id == int(key)), User.id

    def decide(self, user, row):
        (owner,) = row
        mine = owner.id == user.id
        return access.Decision(None if mine else "Only its owner writes here.", mine)

    def title(self, owner):
        return f"{owner.display_name}'s probe"

    def header(self, user, owner):
        return access.Header(self.title(owner), f"/u/{owner.id}")

    def names(self, target_ids):
        return {
            i: f"probe-{i}"
            for i in db.session.scalars(select(User.id).where(User.id.in_(target_ids)))
        }

    def followed(self, user):
        return select(User.id).where(User.id == user.id)


@pytest.fixture
def probe_kind():
    access.register_room_kind("probe", ProbeRooms())
    yield "probe"
    access.unregister_room_kind("probe")


@pytest.fixture
def probe_room(probe_kind, ada):
    with atomic():
        access.create_room("probe", ada.id)
    return f"probe-{ada.id}"


@pytest.fixture(autouse=True)
def fresh_presence(app):
    sockets._local.clear()
    app.extensions.pop("chat_presence", None)
    app.extensions.pop("chat_presence_changes", None)


# --- the registry ---------------------------------------------------------------------------


def test_names_map_to_a_kind_and_key_in_one_place(probe_kind):
    assert access.address("procurement") == ("community", "procurement")
    assert access.address("probe-12") == ("probe", "12")
    assert access.address("event-12") == ("event", "12")  # events register their kind
    for name in ("probe-", "", None, 12, "x" * 81):
        with pytest.raises(NotFound):
            access.address(name)


def test_a_second_kind_cannot_take_a_prefix_in_use(probe_kind):
    with pytest.raises(ValueError, match="probe"):
        access.register_room_kind("other", ProbeRooms())
    assert "other" not in access.kinds()


def test_a_registered_kind_is_decided_by_its_own_policy(probe_room, ada, bob, published):
    message, created = run(actions.send_message, ada, probe_room, body="Mine", client_id="p1")
    assert (message.number, created) == (1, True)
    assert published[-1][0] == "chat.message"
    assert published[-1][2]["room"] == probe_room
    # Bob reads it, may not write, and is not its moderator.
    room, messages = actions.recent(live(bob), probe_room)
    assert [m.body for m in messages] == ["Mine"]
    assert (room.kind, room.target_id) == ("probe", ada.id)
    with pytest.raises(Forbidden, match="Only its owner writes here"):
        run(actions.send_message, bob, probe_room, body="Hi", client_id="p2")
    with pytest.raises(Forbidden):
        run(actions.mute, bob, probe_room, user_id=ada.id, minutes=10)
    # Ada moderates it: she mutes Bob (he is no moderator there).
    run(actions.mute, ada, probe_room, user_id=bob.id, minutes=10)
    # A target of the kind without a room has no chat.
    with pytest.raises(NotFound):
        actions.recent(live(ada), f"probe-{bob.id}")
    # Unread marks follow the kind's `followed`.
    assert actions.unread_target_ids(live(ada), "probe") == set()
    assert actions.unread_target_ids(live(bob), "probe") == set()


def test_a_registered_kind_works_over_socketio(app, browser, probe_room, ada, bob):
    a = connect(app, browser, ada)
    joined = a.emit("chat.join", {"room": probe_room}, callback=True)
    assert (joined["ok"], joined["room"]) == (True, probe_room)
    ack = a.emit("chat.send", {"room": probe_room, "body": "Hello", "client_id": "s1"},
                 callback=True)  # fmt: skip
    assert ack == {"ok": True, "id": 1}
    assert [m["room"] for m in events(a, "chat.message")] == [probe_room]

    from tests.conftest import Browser

    b = connect(app, Browser(app.test_client()), bob)
    assert b.emit("chat.join", {"room": probe_room}, callback=True)["ok"] is True
    refused = b.emit("chat.send", {"room": probe_room, "body": "x", "client_id": "s2"},
                     callback=True)  # fmt: skip
    assert refused == {"ok": False, "error": "Only its owner writes here."}


def test_a_registered_kinds_page_has_its_own_header(probe_room, ada, browser):
    browser.login(ada.email)
    response = browser.get(f"/chat/{probe_room}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'<a href="/u/{ada.id}">Ada Lovelace&#39;s probe</a>' in html
    assert f'data-chat-room="{probe_room}"' in html


# --- rooms made with their target -----------------------------------------------------------


def rooms_by_community() -> dict[str, int]:
    db.session.rollback()
    rows = db.session.execute(
        select(Community.slug, func.count(ChatRoom.id))
        .outerjoin(ChatRoom, (ChatRoom.kind == "community") & (ChatRoom.target_id == Community.id))
        .group_by(Community.slug)
    )
    return {slug: count for slug, count in rows}


def test_the_seed_makes_every_community_with_its_room(app):
    seed()
    counts = rooms_by_community()
    assert len(counts) == 7
    assert set(counts.values()) == {1}
    seed()  # again: nothing new
    assert set(rooms_by_community().values()) == {1}


def test_a_created_community_has_its_room_in_the_same_transaction(communities, ada):
    def create_then_fail():
        with atomic():
            community_actions.create_community(slug="rolled-back", name="Rolled back")
            raise RuntimeError("the transaction fails")

    with pytest.raises(RuntimeError):
        create_then_fail()
    assert "rolled-back" not in rooms_by_community()
    assert db.session.scalar(select(func.count()).select_from(ChatRoom)) == 7
    with atomic():
        created = community_actions.create_community(slug="new-one", name="New one")
    assert rooms_by_community()["new-one"] == 1
    room = access.room_of("community", created.id)
    assert (room.kind, room.last_number) == ("community", 0)
    assert access.room_name(room) == "new-one"


def test_a_community_without_a_room_has_no_chat_and_reading_makes_none(communities, ada):
    with atomic():
        db.session.execute(
            ChatRoom.__table__.delete().where(ChatRoom.target_id == communities["procurement"].id)
        )
    for read in (
        lambda: actions.recent(live(ada), "procurement"),
        lambda: actions.since(live(ada), "procurement", 0),
        lambda: actions.history(live(ada), "procurement", 5),
    ):
        with pytest.raises(NotFound):
            read()
    assert rooms_by_community()["procurement"] == 0


# --- reads never commit ---------------------------------------------------------------------


@pytest.fixture
def commits(app):
    seen = []

    def on_commit(conn):
        seen.append(conn)

    event.listen(db.engine, "commit", on_commit)
    yield seen
    event.remove(db.engine, "commit", on_commit)


def test_reading_a_room_commits_nothing(app, ada, commits):
    db.session.rollback()
    assert commits == []
    ada_now = live(ada)
    actions.recent(ada_now, "procurement")
    actions.since(ada_now, "procurement", 0)
    actions.history(ada_now, "procurement", 10)
    actions.access_room(ada_now, "procurement")
    with app.test_request_context():  # the page's header has links
        actions.room_page(ada_now, "procurement")
    db.session.rollback()
    assert commits == []
    run(actions.send_message, ada, "procurement", body="A write", client_id="w1")
    assert len(commits) == 1  # the probe sees a commit when there is one


# --- the reserved prefix --------------------------------------------------------------------


def test_event_addresses_are_reserved_for_event_rooms(communities):
    with pytest.raises(Invalid) as exc, atomic():
        community_actions.create_community(slug="event-12", name="Event twelve")
    assert exc.value.field == "slug"
    assert exc.value.message == (
        "Addresses starting with “event-” are reserved for the site (event chat rooms use "
        "them). Choose another address."
    )
    assert "event-12" not in rooms_by_community()
    with atomic():  # "event" alone, or "events-…", is an ordinary address
        community_actions.create_community(slug="events-team", name="Events team")
