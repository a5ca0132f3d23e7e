"""The header's notification count in a real browser: live on every signed-in page over the
tab's one Socket.IO connection (static/js/live.js, notifications.js), cleared live in another
tab, announced politely once it settles; the thread and chat pages share that connection,
and an anonymous visitor's page opens none."""

import re

import pytest
from playwright.sync_api import expect

from community.accounts.models import User
from community.chat import actions as chat_actions
from community.db import atomic
from community.extensions import db
from community.threads import actions as thread_actions
from tests.browser.conftest import sign_in_by_request
from tests.factories import make_user

pytestmark = pytest.mark.slow

SOCKET = re.compile(r"/socket\.io/")


class People:
    """Two members of Procurement, and a thread of Bob's that Ada has not been told about."""

    def __init__(self):
        self.ada = make_user("Ada Lovelace", email="ada@example.org", communities=("procurement",))
        self.bob = make_user("Bob Okafor", email="bob@example.org", communities=("procurement",))
        with atomic():
            thread = thread_actions.start_thread(
                db.session.get(User, self.bob.id), "procurement",
                title="Framework agreements for translation", body="Which ones do you use?",
            )  # fmt: skip
            self.thread_id = thread.id
        db.session.rollback()

    def mention_ada(self, *bodies: str) -> None:
        """Bob's replies mentioning Ada, committed together (so their counts arrive at once)."""
        with atomic():
            bob = db.session.get(User, self.bob.id)
            for body in bodies:
                thread_actions.post_reply(bob, self.thread_id, body=f"@**Ada Lovelace** {body}")


@pytest.fixture
def people(site):
    return People()


def sockets_of(page) -> list[str]:
    """The URLs of the Socket.IO WebSockets the page opens from now on (Playwright reports
    each when the page makes it: wait for the previous page's to count before calling)."""
    opened = []
    page.on("websocket", lambda ws: opened.append(ws.url) if SOCKET.search(ws.url) else None)
    return opened


def badge(page):
    return page.locator("[data-unread-count]")


def wait_until_counting(page) -> None:
    """notifications.js marks the badge once its connection's count was answered."""
    expect(badge(page)).to_have_attribute("data-live", "on")


def announced(page) -> list[str]:
    return page.evaluate("() => window.__announced")


def record_announcements(page) -> None:
    """Keep every text the polite status is given, in order (it is emptied in between)."""
    page.evaluate(
        """() => {
          const status = document.querySelector("[data-unread-announce]");
          window.__announced = [];
          new MutationObserver(() => {
            if (status.textContent) window.__announced.push(status.textContent);
          }).observe(status, {childList: true, characterData: true, subtree: true});
        }"""
    )


def test_the_count_changes_live_and_clears_live_from_another_tab(open_page, people, console):
    home = open_page()
    opened = sockets_of(home)
    sign_in_by_request(home, people.ada.email)
    home.goto("/")
    title = home.title()
    expect(badge(home)).to_be_hidden()
    expect(home.get_by_role("link", name="Notifications", exact=True)).to_be_visible()
    wait_until_counting(home)
    record_announcements(home)
    home.evaluate("() => { window.__sameDocument = true; }")

    people.mention_ada("which framework?", "and the lots?")
    expect(badge(home)).to_be_visible()
    expect(badge(home)).to_have_text(re.compile(r"^2"))
    # (Chromium puts a space before the badge's words in the link's name.)
    link = home.get_by_role("link", name=re.compile(r"^Notifications ?, 2 unread notifications$"))
    expect(link).to_be_visible()
    status = home.locator("[data-unread-announce]")
    # A polite live region (not role="status": the page's own status messages keep that).
    expect(status).to_have_attribute("aria-live", "polite")
    # Two counts in a row (1, then 2) are read out once, settled.
    expect(status).to_have_text("2 unread notifications")
    assert announced(home) == ["2 unread notifications"]

    # A second tab of Ada's: the notifications page, rendered with the count; she marks them
    # read there, and the first tab's badge goes without a reload.
    other = home.context.new_page()
    console.watch(other)
    other.goto("/notifications")
    expect(badge(other)).to_have_text(re.compile(r"^2"))
    wait_until_counting(other)
    other.get_by_role("button", name="Mark all read").click()
    expect(badge(other)).to_be_hidden()
    expect(badge(home)).to_be_hidden()
    expect(home.get_by_role("link", name="Notifications", exact=True)).to_be_visible()

    # Reading them was not news; a new mention is, in both tabs.
    people.mention_ada("one more thing")
    expect(badge(home)).to_have_text(re.compile(r"^1"))
    expect(badge(other)).to_have_text(re.compile(r"^1"))
    expect(status).to_have_text("1 unread notification")
    assert announced(home) == ["2 unread notifications", "1 unread notification"]
    assert home.title() == title
    assert home.evaluate("() => window.__sameDocument === true")
    assert len(opened) == 1  # the home page's one connection, never a second
    assert not console.problems, "\n".join(console.problems)


def test_a_count_sent_before_the_tab_connected_is_not_lost(open_page, people, console):
    page = open_page()
    sign_in_by_request(page, people.ada.email)
    # The connection's first answer is held back until a mention has been committed (and its
    # count sent to nobody): the tab still shows it.
    held = []
    page.route_web_socket(SOCKET, lambda ws: held.append(ws))
    page.goto("/resources")
    expect(badge(page)).to_be_hidden()
    for _ in range(200):  # Playwright calls the route while the test waits
        if held:
            break
        page.wait_for_timeout(50)
    assert len(held) == 1
    people.mention_ada("while you were connecting")
    held[0].connect_to_server()
    expect(badge(page)).to_have_text(re.compile(r"^1"))
    wait_until_counting(page)
    assert not console.problems, "\n".join(console.problems)


def test_a_thread_page_shares_its_one_connection_with_the_count(open_page, people, console):
    page = open_page()
    sign_in_by_request(page, people.ada.email)
    page.goto("/")
    wait_until_counting(page)  # the home page's connection, reported already
    opened = sockets_of(page)
    page.goto(f"/t/{people.thread_id}")
    expect(page.locator("[data-thread]")).to_have_attribute("data-live", "on")
    wait_until_counting(page)

    people.mention_ada("the thread page hears this")
    expect(page.locator(".post")).to_have_count(2)  # the reply, live
    expect(page.locator(".post").last).to_contain_text("the thread page hears this")
    expect(badge(page)).to_have_text(re.compile(r"^1"))  # and the count, on the same socket
    assert len(opened) == 1
    assert "transport=websocket" in opened[0]
    assert not console.problems, "\n".join(console.problems)


def test_the_chat_page_shares_its_one_connection_with_the_count(open_page, people, console):
    page = open_page()
    sign_in_by_request(page, people.ada.email)
    page.goto("/")
    wait_until_counting(page)  # the home page's connection, reported already
    opened = sockets_of(page)
    page.goto("/chat/procurement")
    expect(page.locator("[data-chat-room]")).to_have_attribute("data-live", "on")
    wait_until_counting(page)

    with atomic():
        chat_actions.send_message(
            db.session.get(User, people.bob.id), "procurement",
            body="@**Ada Lovelace** are you joining the call?", client_id="bob-1",
        )  # fmt: skip
    expect(page.locator("#m1")).to_contain_text("are you joining the call?")
    expect(badge(page)).to_have_text(re.compile(r"^1"))
    assert len(opened) == 1
    assert not console.problems, "\n".join(console.problems)


def test_an_anonymous_visitor_opens_no_connection(open_page, people, console):
    page = open_page()
    asked = []
    page.on("request", lambda r: asked.append(r.url) if "socket.io" in r.url else None)
    opened = sockets_of(page)
    for path in ("/", f"/t/{people.thread_id}", "/resources"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
    expect(page.locator("[data-unread-count]")).to_have_count(0)
    assert page.evaluate("() => typeof window.io") == "undefined"
    assert asked == []
    assert opened == []
    assert not console.problems, "\n".join(console.problems)
