"""The chat page without JavaScript: the latest messages, older pages, the send form, the
moderator's mute form, and the "new" mark on the community's Chat tab."""

from html import unescape

from community.chat import actions
from community.db import atomic
from tests.chat.conftest import live, run
from tests.communities.helpers import set_visibility


def page(response) -> str:
    return unescape(response.get_data(as_text=True))


def say(user, body, n):
    return run(actions.send_message, user, "procurement", body=body, client_id=f"v{n}")


def test_the_page_shows_the_latest_messages_and_pages_back(browser, ada, bob):
    for i in range(55):
        say(bob, f"Message number {i}", i)
    browser.login(ada.email)
    shown = page(browser.get("/chat/procurement"))
    assert "Message number 54" in shown
    assert "Message number 4<" not in shown
    assert 'id="m55"' in shown
    assert 'id="m6"' in shown
    assert 'id="m5"' not in shown
    assert "/chat/procurement?before=6" in shown
    older = page(browser.get("/chat/procurement?before=6"))
    assert "Message number 4<" in older
    assert 'id="m6"' not in older
    assert 'role="log"' in shown


def test_sending_without_javascript(browser, ada, published):
    browser.login(ada.email)
    response = browser.submit(
        "/chat/procurement", {"body": "From a plain form", "client_id": "form-1"},
        action="/chat/procurement/send",
    )  # fmt: skip
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/chat/procurement#m1")
    assert [p["id"] for e, _r, p in published if e == "chat.message"] == [1]
    assert "From a plain form" in page(browser.get("/chat/procurement"))


def test_a_refused_message_keeps_its_text(browser, ada):
    browser.login(ada.email)
    long_text = "Kept " + "x" * 2000
    response = browser.submit(
        "/chat/procurement", {"body": long_text, "client_id": "form-2"},
        action="/chat/procurement/send",
    )  # fmt: skip
    assert response.status_code == 400
    shown = page(response)
    assert "at most 2,000 characters" in shown
    assert long_text in shown


def test_who_can_open_the_page(client, browser, ada, stranger):
    assert client.get("/chat/procurement").status_code == 302  # sign in first
    browser.login(stranger.email)
    shown = page(browser.get("/chat/procurement"))
    assert "Join Procurement to take part." in shown  # reads, cannot write
    assert 'action="/chat/procurement/send"' not in shown
    set_visibility("procurement", "members")
    assert browser.get("/chat/procurement").status_code == 404
    assert browser.get("/chat/no-such-room").status_code == 404


def test_moderators_mute_from_the_page(browser, ada, mod):
    say(ada, "Noise", 1)
    browser.login(mod.email)
    shown = page(browser.get("/chat/procurement"))
    assert "Mute a member" in shown
    assert f'<option value="{ada.id}">Ada Lovelace' in shown
    response = browser.submit(
        "/chat/procurement", {"user_id": str(ada.id), "minutes": "60"},
        action="/chat/procurement/mute",
    )  # fmt: skip
    assert response.status_code == 302
    assert "Muted now" in page(browser.get("/chat/procurement"))
    browser.logout()
    browser.login(ada.email)
    assert "muted you" in page(browser.get("/chat/procurement"))


def test_members_cannot_mute(browser, ada, bob):
    browser.login(bob.email)
    response = browser.submit(
        "/chat/procurement", {"user_id": str(ada.id), "minutes": "60"},
        action="/chat/procurement/mute",
    )  # fmt: skip
    assert response.status_code == 403


def test_the_chat_tab_is_marked_when_there_is_something_new(browser, ada, bob):
    browser.login(ada.email)
    assert "new<span" not in page(browser.get("/c/procurement"))
    say(bob, "Fresh news", 1)
    assert "new<span" in page(browser.get("/c/procurement"))
    browser.get("/chat/procurement")  # reading the room clears it
    assert "new<span" not in page(browser.get("/c/procurement"))
    with atomic():
        assert actions.unread_community_ids(live(ada)) == set()
