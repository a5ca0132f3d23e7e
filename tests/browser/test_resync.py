"""Pages catch up on what a lost message queue kept from them (static/js/chat.js and
thread.js): on `live.resync`, sent by the server's own hook for a queue that came back
(community/sockets.py `after_queue_reconnect`), and — in a chat room — on a message whose id
shows a gap. The lost events are made here by dropping a transaction's broadcasts, as a
queue that was down drops them for the other processes' clients."""

import pytest
from playwright.sync_api import expect

from community import realtime
from community.db import atomic
from community.extensions import db
from community.sockets import after_queue_reconnect
from tests.browser.conftest import sign_in_by_request
from tests.browser.test_chat import People as ChatPeople
from tests.browser.test_chat import message, message_ids, messages, no_problems, open_chat, say
from tests.browser.test_threads import People as ThreadPeople
from tests.browser.test_threads import server_reply
from tests.browser.test_threads import wait_until_live as wait_until_thread_live

pytestmark = pytest.mark.slow


@pytest.fixture
def chat_people(site):
    return ChatPeople()


@pytest.fixture
def thread_people(site):
    return ThreadPeople()


def unbroadcast(work):
    """Run `work` in a transaction that commits but whose live events are lost."""
    with atomic():
        result = work()
        db.session.info.pop(realtime.PENDING, None)
    return result


def test_a_gap_in_the_ids_is_filled_before_the_next_message(open_page, chat_people, console):
    page = open_chat(open_page, chat_people.ada)
    lost = unbroadcast(lambda: say(chat_people.bob, "Lost on the way", "g-1"))
    say(chat_people.bob, "Arrived live", "g-2")
    expect(messages(page)).to_have_count(2)
    assert message_ids(page) == [f"m{lost}", f"m{lost + 1}"]
    expect(message(page, lost)).to_contain_text("Lost on the way")
    no_problems(console)


def test_a_chat_room_catches_up_on_resync(open_page, site, chat_people, console):
    page = open_chat(open_page, chat_people.ada)
    lost = unbroadcast(lambda: say(chat_people.bob, "Sent while the queue was down", "r-1"))
    after_queue_reconnect(site.app)
    expect(message(page, lost)).to_contain_text("Sent while the queue was down")
    expect(messages(page)).to_have_count(1)
    no_problems(console)


def test_a_thread_page_catches_up_on_resync(open_page, site, thread_people, console):
    people = thread_people
    reader = open_page()
    sign_in_by_request(reader, people.ada.email)
    reader.goto(people.thread_url)
    wait_until_thread_live(reader)
    expect(reader.locator(".post")).to_have_count(2)
    post_id = unbroadcast(lambda: server_reply(people, "Posted while the queue was down."))
    after_queue_reconnect(site.app)
    expect(reader.locator(f"#p{post_id}")).to_contain_text("Posted while the queue was down.")
    expect(reader.locator(".post")).to_have_count(3)
    no_problems(console)
