"""Flags on chat messages: enough of them hide a message from its room at once (open
rooms hear it); the room's community's moderator restores or deletes it from the queue."""

import pytest
from sqlalchemy import select

from community.chat import actions as chat
from community.chat.models import ChatMessage
from community.db import atomic
from community.errors import Forbidden, NotFound
from community.extensions import db
from community.moderation import flags, queue
from tests.threads.helpers import fresh, live


@pytest.fixture
def message(alice, flaggers):
    with atomic():
        sent, _ = chat.send_message(
            live(alice), "procurement", body="Buy cheap pills", client_id="m1"
        )
    return sent.id


def flag(user, message_id):
    with atomic():
        flags.flag(live(user), "chat_message", message_id, reason="spam")


def decide(user, message_id, decision):
    with atomic():
        flags.decide(live(user), "chat_message", message_id, decision)


def room_payloads(user) -> list[dict]:
    fresh()
    room, messages = chat.recent(live(user), "procurement")
    return chat.payloads_for(live(user), room, messages)


def test_flags_hide_a_message_from_the_room_live(alice, flaggers, reader, mod, message, published):
    assert room_payloads(reader)[0]["html"] == "<p>Buy cheap pills</p>"
    for member in flaggers:
        flag(member, message)
    assert room_payloads(reader) == [
        {"room": "procurement", "id": 1, "deleted": True, "hidden": True}
    ]
    [heard] = [p for e, _r, p in published if e == "chat.edited"]
    assert heard == {"room": "procurement", "id": 1, "deleted": True, "hidden": True}
    with pytest.raises(NotFound, match="hidden while a moderator"), atomic():
        chat.edit_message(live(alice), "procurement", 1, body="Edited")

    [waiting] = queue.waiting(live(mod))
    assert waiting.item.title == "a chat message by Alice Author in “procurement”"
    assert waiting.item.url == "/chat/procurement?before=2#m1"
    decide(mod, message, "keep")
    assert room_payloads(reader)[0]["html"] == "<p>Buy cheap pills</p>"
    assert [p.get("hidden") for e, _r, p in published if e == "chat.edited"] == [True, None]


def test_the_rooms_moderators_still_read_a_hidden_message_marked(
    alice, flaggers, mod, message, browser
):
    for member in flaggers:
        flag(member, message)
    [seen] = room_payloads(mod)
    assert (seen["html"], seen["hidden"], seen["author"]["name"]) == (
        "<p>Buy cheap pills</p>", True, "Alice Author",
    )  # fmt: skip
    assert "deleted" not in seen
    browser.login(mod.email)
    page = browser.get("/chat/procurement").get_data(as_text=True)
    assert "Buy cheap pills" in page
    assert "Hidden from members after members flagged it." in page
    browser.logout()
    browser.login(flaggers[0].email)
    page = browser.get("/chat/procurement").get_data(as_text=True)
    assert "Buy cheap pills" not in page
    assert "Hidden while a moderator reviews it." in page


def test_only_the_rooms_moderators_decide(alice, flaggers, other_mod, mod, message):
    flag(flaggers[0], message)
    with pytest.raises(Forbidden):
        decide(other_mod, message, "hide")
    decide(mod, message, "delete")
    fresh()
    assert db.session.scalar(select(ChatMessage.deleted_at)) is not None
    assert room_payloads(alice) == [{"room": "procurement", "id": 1, "deleted": True}]


def test_a_member_who_cannot_read_the_room_cannot_flag_in_it(communities, message, other_mod):
    with pytest.raises(NotFound):
        flag(other_mod, 999_999)
    flag(other_mod, message)  # a public community's room: any member may read it, and flag


def test_flagging_from_the_chat_page(browser, flaggers, message):
    browser.login(flaggers[0].email)
    page = browser.get("/chat/procurement").get_data(as_text=True)
    assert f'href="/flag/chat_message/{message}"' in page
    form = browser.get(f"/flag/chat_message/{message}").get_data(as_text=True)
    assert "Buy cheap pills" in form
    done = browser.submit(f"/flag/chat_message/{message}", {"reason": "spam", "note": ""})
    assert done.status_code == 302
    assert done.headers["Location"].startswith("/chat/procurement")


def test_a_flagged_message_its_author_deletes_waits_no_longer(alice, flaggers, mod, message):
    flag(flaggers[0], message)
    assert queue.waiting_count(live(mod)) == 1
    with atomic():
        chat.delete_message(live(alice), "procurement", 1)
    assert queue.waiting_count(live(mod)) == 0
