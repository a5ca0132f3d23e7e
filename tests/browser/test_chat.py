"""The chat page in a real browser (static/js/chat.js): two members live in one room, presence
and typing, edits and deletions, catching up after a dropped connection (exactly once), the
keyboard, refusals that keep the text, scroll-back, read positions, and axe at 1280 and 360 px.

Each member has a browser context of their own (their own cookies), from the same Chromium.
"""

import json
import re
import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from community.accounts.models import User
from community.chat import actions
from community.chat.models import ChatMessage
from community.db import atomic
from community.extensions import db
from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    axe_violations,
    horizontal_overflow,
    sign_in_by_request,
)
from tests.factories import make_moderator, make_user

pytestmark = pytest.mark.slow

ROOM = "/chat/procurement"


class People:
    """Two members of Procurement and its moderator."""

    def __init__(self):
        self.ada = make_user("Ada Lovelace", email="ada@example.org", communities=("procurement",))
        self.bob = make_user("Bob Okafor", email="bob@example.org", communities=("procurement",))
        self.mod = make_moderator(
            "procurement",
            make_user("Mona Moderator", email="mona@example.org", communities=("procurement",)),
        )
        db.session.rollback()


@pytest.fixture
def people(site):
    return People()


def say(user, body: str, client_id: str) -> int:
    """A message sent by the server-side action (as another tab or the form would)."""
    with atomic():
        message, _ = actions.send_message(
            db.session.get(User, user.id), "procurement", body=body, client_id=client_id
        )
        return message.number


def stored_count() -> int:
    db.session.rollback()  # see what the server's threads committed
    return db.session.scalar(select(func.count()).select_from(ChatMessage))


def wait_for(check, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while True:
        db.session.rollback()
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.1)


def open_chat(open_page, user, viewport=DESKTOP, *, path=ROOM, bypass_csp=False, network=False):
    """A signed-in member's chat page, live (its chat.join answered)."""
    page = open_page(viewport, bypass_csp=bypass_csp)
    flaky = FlakyNetwork(page) if network else None
    sign_in_by_request(page, user.email)
    page.goto(path)
    wait_until_live(page)
    page.evaluate("() => { window.__sameDocument = true; }")
    return (page, flaky) if network else page


def wait_until_live(page, timeout: float = 10_000) -> None:
    expect(page.locator("[data-chat-room]")).to_have_attribute("data-live", "on", timeout=timeout)


def same_document(page) -> bool:
    return page.evaluate("() => window.__sameDocument === true")


def composer(page):
    return page.get_by_label("Message", exact=True)


def log(page):
    return page.get_by_role("log")


def messages(page):
    return page.locator("[data-chat-log] > li.chat-message")


def message_ids(page) -> list[str]:
    return messages(page).evaluate_all("items => items.map(li => li.id)")


def message(page, number: int):
    return page.locator(f"#m{number}")


def send(page, text: str) -> None:
    composer(page).fill(text)
    composer(page).press("Enter")


def log_at_bottom(page) -> bool:
    return log(page).evaluate(
        "l => l.scrollHeight > l.clientHeight && l.scrollHeight - l.scrollTop - l.clientHeight < 5"
    )


def offset_in_log(page, number: int) -> float:
    """Where message `number` is in the log's visible box (px from its top)."""
    return page.locator(f"#m{number}").evaluate(
        "li => li.getBoundingClientRect().top"
        " - li.closest('[role=log]').getBoundingClientRect().top"
    )


def presence(page):
    return page.locator("[data-chat-present] li")


def no_problems(console) -> None:
    assert not console.problems, "\n".join(console.problems)


class FlakyNetwork:
    """The page's WebSockets routed through Playwright: the test can cut them as a dropped
    connection would (and refuse new ones until restored), and drop chosen frames."""

    def __init__(self, page):
        self.up = True
        self.routes = []
        self.drop_from_page = None  # predicate on a page → server frame: lost
        self.hold_from_page = None  # predicate: kept back until release()
        self.held = []
        self.sent = []  # every page → server frame, in order
        page.route_web_socket(re.compile(r"/socket\.io/"), self._route)

    def _route(self, ws) -> None:
        if not self.up:
            ws.close()
            return
        server = ws.connect_to_server()
        ws.on_message(lambda frame: self._from_page(frame, server))
        self.routes.append((ws, server))

    def _from_page(self, frame, server) -> None:
        self.sent.append(frame)
        if self.drop_from_page and self.drop_from_page(frame):
            return
        if self.hold_from_page and self.hold_from_page(frame):
            self.held.append((server, frame))
            return
        server.send(frame)

    @staticmethod
    def wait_for(check, page, timeout_ms: int = 10_000):
        """Wait for `check()` while Playwright delivers the frames (it does so while waiting)."""
        for _ in range(timeout_ms // 50):
            if check():
                return
            page.wait_for_timeout(50)
        raise AssertionError("the WebSocket frames did not come")

    def release(self) -> None:
        self.hold_from_page = None
        for server, frame in self.held:
            server.send(frame)
        self.held.clear()

    def events(self, name: str) -> list:
        """The payloads of the `name` events the page sent (Socket.IO frames 42[...])."""
        found = []
        for frame in self.sent:
            match = re.match(r"^42\d*(\[.*)$", frame) if isinstance(frame, str) else None
            if match:
                event = json.loads(match.group(1))
                if event[0] == name:
                    found.append(event[1])
        return found

    def cut(self) -> None:
        self.up = False
        for page_side, server_side in self.routes:
            server_side.close()
            page_side.close()
        self.routes.clear()

    def restore(self) -> None:
        self.up = True


# --- two members, live -----------------------------------------------------------------------


def test_two_members_chat_live_with_presence_and_typing(open_page, people, console):
    ada = open_chat(open_page, people.ada)
    expect(presence(ada)).to_have_text(["Ada Lovelace (you)"])
    bob = open_chat(open_page, people.bob)
    expect(presence(bob)).to_have_text(["Ada Lovelace", "Bob Okafor (you)"])
    expect(presence(ada)).to_have_text(["Ada Lovelace (you)", "Bob Okafor"])

    # Bob types: Ada is told, and only Ada.
    composer(bob).press_sequentially("Hello <b>Ada</b>, see *this*")
    typing = ada.locator("[data-chat-typing]")
    expect(typing).to_have_text("Bob Okafor is typing…")
    expect(typing).to_have_attribute("aria-live", "polite")
    expect(bob.locator("[data-chat-typing]")).to_have_text("")

    composer(bob).press("Enter")
    expect(composer(bob)).to_have_value("")
    got = message(ada, 1)
    expect(got.locator(".chat-body em")).to_have_text("this")
    expect(got.locator(".chat-body")).to_have_text("Hello <b>Ada</b>, see this")
    expect(got.locator(".chat-meta strong")).to_have_text("Bob Okafor")
    expect(typing).to_have_text("")  # the message ends the typing notice
    # New messages are announced once, in a line of their own (the log itself is quiet).
    expect(ada.locator("[data-chat-announce]")).to_have_text(
        "Bob Okafor: Hello <b>Ada</b>, see this"
    )
    expect(log(ada)).to_have_attribute("aria-live", "off")
    # Bob's own copy becomes the server's message, with his buttons; Ada gets none on it.
    own = message(bob, 1)
    expect(own.locator(".chat-body em")).to_have_text("this")
    expect(own).not_to_have_class(re.compile("pending"))
    expect(own.get_by_role("button", name=re.compile("^Edit"))).to_be_visible()
    expect(got.get_by_role("button")).to_have_count(0)

    send(ada, "Hi **Bob**")
    expect(message(bob, 2).locator(".chat-body strong")).to_have_text("Bob")
    expect(message(ada, 2).locator(".chat-body strong")).to_have_text("Bob")
    assert message_ids(ada) == message_ids(bob) == ["m1", "m2"]
    assert stored_count() == 2

    # A typing notice fades by itself when nothing else is typed.
    composer(ada).press_sequentially("One moment")
    expect(bob.locator("[data-chat-typing]")).to_have_text("Ada Lovelace is typing…")
    expect(bob.locator("[data-chat-typing]")).to_have_text("", timeout=7_000)

    # Bob leaves: Ada's list says so.
    bob.close()
    expect(presence(ada)).to_have_text(["Ada Lovelace (you)"])
    assert same_document(ada)
    no_problems(console)


def test_the_page_merges_what_was_sent_after_it_was_rendered(open_page, people, console):
    say(people.bob, "Before the page", "b-1")
    page = open_page()
    network = FlakyNetwork(page)
    # The join is held back: a message arrives between the page and its join.
    network.hold_from_page = lambda frame: isinstance(frame, str) and '"chat.join"' in frame
    sign_in_by_request(page, people.ada.email)
    page.goto(ROOM)
    expect(messages(page)).to_have_count(1)
    network.wait_for(lambda: network.held, page)
    say(people.bob, "Between the page and the join", "b-2")
    network.release()
    wait_until_live(page)
    expect(messages(page)).to_have_count(2)
    assert message_ids(page) == ["m1", "m2"]
    expect(message(page, 2)).to_contain_text("Between the page and the join")
    no_problems(console)


def test_edits_and_deletions_propagate(open_page, people, console):
    ada, bob = open_chat(open_page, people.ada), open_chat(open_page, people.bob)
    send(ada, "Meeting at *ten*")
    mine = message(ada, 1)
    expect(mine.locator(".chat-body em")).to_have_text("ten")

    mine.get_by_role("button", name="Edit your message").click()
    box = mine.get_by_label("Edit your message")
    expect(box).to_be_focused()
    expect(box).to_have_value("Meeting at *ten*")  # the Markdown, not the rendered text
    box.fill("Meeting at *eleven*")
    mine.get_by_role("button", name="Save").click()
    expect(mine.get_by_label("Edit your message")).to_have_count(0)
    theirs = message(bob, 1)
    expect(theirs.locator(".chat-body em")).to_have_text("eleven")
    expect(theirs.locator(".chat-meta")).to_contain_text("(edited)")
    expect(mine.locator(".chat-body em")).to_have_text("eleven")
    expect(mine.get_by_role("button", name=re.compile("^Edit"))).to_be_focused()

    # Cancelling keeps the message as it was.
    mine.get_by_role("button", name=re.compile("^Edit")).click()
    mine.get_by_label("Edit your message").fill("Never mind")
    mine.get_by_role("button", name="Cancel").click()
    expect(mine.locator(".chat-body")).to_have_text("Meeting at eleven")

    # Deleting asks first; declining keeps it.
    ada.once("dialog", lambda dialog: dialog.dismiss())
    mine.get_by_role("button", name=re.compile("^Delete")).click()
    expect(mine.locator(".chat-body")).to_have_text("Meeting at eleven")
    ada.once("dialog", lambda dialog: dialog.accept())
    mine.get_by_role("button", name=re.compile("^Delete")).click()
    expect(theirs).to_have_text("Message deleted.")
    expect(theirs).to_have_class(re.compile("deleted"))
    expect(mine).to_have_text("Message deleted.")
    expect(mine.get_by_role("button")).to_have_count(0)

    # A moderator deletes anyone's message; members cannot delete others'.
    send(bob, "Off-topic advert")
    expect(message(ada, 2)).to_contain_text("Off-topic advert")
    expect(message(ada, 2).get_by_role("button")).to_have_count(0)
    mod = open_chat(open_page, people.mod)
    expect(message(mod, 2).get_by_role("button", name=re.compile("^Edit"))).to_have_count(0)
    mod.once("dialog", lambda dialog: dialog.accept())
    message(mod, 2).get_by_role(
        "button", name="Delete the message by Bob Okafor", exact=False
    ).click()
    for page in (ada, bob, mod):
        expect(message(page, 2)).to_have_text("Message deleted.")
    assert same_document(ada)
    assert same_document(bob)
    no_problems(console)


# --- dropped connections ---------------------------------------------------------------------


def test_messages_missed_offline_arrive_once_and_unsent_ones_are_resent(open_page, people, console):
    ada, network = open_chat(open_page, people.ada, network=True)
    bob = open_chat(open_page, people.bob)
    send(bob, "Before the cut")
    expect(message(ada, 1)).to_contain_text("Before the cut")

    network.cut()
    expect(ada.locator("[data-chat-room]")).to_have_attribute("data-live", "off")
    expect(ada.locator("[data-chat-status]")).to_have_text(re.compile("Connection lost"))
    send(bob, "Missed one")
    send(bob, "Missed two")
    expect(message(bob, 3)).to_contain_text("Missed two")
    # Ada writes while offline: it waits, marked, and is not lost.
    send(ada, "Written offline")
    waiting = ada.locator("[data-chat-log] > li.pending")
    expect(waiting).to_contain_text("waiting for the connection")
    expect(composer(ada)).to_have_value("")
    expect(messages(ada)).to_have_count(2)  # m1 and her waiting message

    network.restore()
    # Socket.IO retries with a growing delay (at most 5 s, randomised by half).
    wait_until_live(ada, timeout=20_000)
    expect(message(ada, 4)).to_contain_text("Written offline")
    expect(message(bob, 4)).to_contain_text("Written offline")
    expect(ada.locator("[data-chat-status]")).to_have_text("Connected again. 2 new messages.")
    expect(ada.locator("[data-chat-log] > li.pending")).to_have_count(0)
    assert message_ids(ada) == message_ids(bob) == ["m1", "m2", "m3", "m4"]
    # It was sent once, after the reconnection, and exists once.
    assert [e["body"] for e in network.events("chat.send")] == ["Written offline"]
    assert stored_count() == 4
    # Caught up with chat.since after the last id seen before the cut.
    assert {"room": "procurement", "after_id": 1} in network.events("chat.since")
    assert same_document(ada)
    no_problems(console)


def test_a_send_lost_on_the_way_is_resent_with_the_same_client_id(open_page, people, console):
    ada, network = open_chat(open_page, people.ada, network=True)
    bob = open_chat(open_page, people.bob)
    # The frame carrying chat.send is lost, then the connection drops.
    network.drop_from_page = lambda frame: isinstance(frame, str) and '"chat.send"' in frame
    send(ada, "Lost on the way")
    expect(ada.locator("[data-chat-log] > li.pending")).to_contain_text("Sending…")
    network.cut()
    network.drop_from_page = None
    network.restore()
    wait_until_live(ada, timeout=20_000)
    expect(message(bob, 1)).to_contain_text("Lost on the way")
    expect(message(ada, 1)).to_contain_text("Lost on the way")
    sends = network.events("chat.send")
    assert len(sends) == 2
    assert sends[0]["client_id"] == sends[1]["client_id"]
    assert re.fullmatch(r"[A-Za-z0-9_.:-]{1,64}", sends[0]["client_id"])
    # Sending the same client_id once more (as after a lost ack) changes nothing.
    same = ada.evaluate(
        """(cid) => new Promise((resolve) => {
            const s = window.io({transports: ["websocket"], forceNew: true});
            s.on("connect", () => s.emit("chat.send",
                {room: "procurement", body: "Lost on the way", client_id: cid},
                (ack) => { s.close(); resolve(ack); }));
        })""",
        sends[0]["client_id"],
    )
    assert same == {"ok": True, "id": 1}
    assert stored_count() == 1
    expect(messages(bob)).to_have_count(1)
    expect(messages(ada)).to_have_count(1)
    no_problems(console)


# --- the composer and the keyboard -----------------------------------------------------------


def test_sending_editing_and_deleting_with_the_keyboard_only(open_page, people, console):
    ada = open_chat(open_page, people.ada)
    bob = open_chat(open_page, people.bob)
    composer(ada).focus()
    ada.keyboard.type("First line")
    ada.keyboard.press("Shift+Enter")
    ada.keyboard.type("second line")
    expect(composer(ada)).to_have_value("First line\nsecond line")
    ada.keyboard.press("Enter")
    expect(composer(ada)).to_have_value("")
    expect(composer(ada)).to_be_focused()
    theirs = message(bob, 1).locator(".chat-body")
    expect(theirs).to_contain_text("First line")
    assert theirs.inner_text().splitlines() == ["First line", "second line"]

    # Back from the composer to the message's buttons.
    mine = message(ada, 1)
    expect(mine.get_by_role("button", name=re.compile("^Delete"))).to_be_visible()
    ada.keyboard.press("Shift+Tab")
    expect(mine.get_by_role("button", name=re.compile("^Delete"))).to_be_focused()
    ada.keyboard.press("Shift+Tab")
    expect(mine.get_by_role("button", name=re.compile("^Edit"))).to_be_focused()
    ada.keyboard.press("Enter")
    box = mine.get_by_label("Edit your message")
    expect(box).to_be_focused()
    ada.keyboard.press("Escape")  # cancels, back on the button
    expect(box).to_have_count(0)
    expect(mine.get_by_role("button", name=re.compile("^Edit"))).to_be_focused()
    ada.keyboard.press("Enter")
    ada.keyboard.press("ControlOrMeta+a")
    ada.keyboard.type("Changed by keyboard")
    ada.keyboard.press("Enter")
    expect(theirs).to_have_text("Changed by keyboard")
    expect(mine.get_by_role("button", name=re.compile("^Edit"))).to_be_focused()

    ada.keyboard.press("Tab")
    expect(mine.get_by_role("button", name=re.compile("^Delete"))).to_be_focused()
    ada.once("dialog", lambda dialog: dialog.accept())
    ada.keyboard.press("Enter")
    expect(message(bob, 1)).to_have_text("Message deleted.")
    expect(composer(ada)).to_be_focused()  # not lost with the buttons
    no_problems(console)


def test_refusals_show_the_servers_reason_and_keep_the_text(open_page, people, console):
    bob = open_chat(open_page, people.bob)
    error = bob.locator("[data-chat-error]")
    too_long = "x" * 2001
    send(bob, too_long)
    expect(error).to_have_text("A message has at most 2,000 characters; this one has 2,001.")
    expect(error).to_have_attribute("role", "alert")
    expect(composer(bob)).to_have_value(too_long)
    expect(composer(bob)).to_have_attribute("aria-invalid", "true")
    expect(composer(bob)).to_have_attribute("aria-describedby", re.compile(r"\bchat-error\b"))
    expect(messages(bob)).to_have_count(0)

    # Correcting the text clears the error; the message goes.
    send(bob, "Short enough")
    expect(message(bob, 1)).to_contain_text("Short enough")
    expect(error).to_have_text("")
    assert composer(bob).get_attribute("aria-invalid") is None

    # Muted by a moderator while the page is open.
    with atomic():
        actions.mute(
            db.session.get(User, people.mod.id), "procurement", user_id=people.bob.id, minutes=60
        )
    expect(error).to_contain_text("muted you in this room")  # told live, before sending
    send(bob, "Can anyone hear me?")
    expect(error).to_have_text(
        re.compile(r"^A moderator has muted you in this room until .* UTC\.")
    )
    expect(composer(bob)).to_have_value("Can anyone hear me?")
    expect(messages(bob)).to_have_count(1)
    assert stored_count() == 1
    no_problems(console)


# --- history, scrolling, read positions ------------------------------------------------------


def test_earlier_messages_load_in_place_and_the_reader_keeps_their_place(
    open_page, people, console
):
    for n in range(1, 61):
        say(people.bob, f"Message {n}", f"h{n}")
    ada = open_chat(open_page, people.ada)
    expect(messages(ada)).to_have_count(50)
    assert message_ids(ada)[0] == "m11"
    assert log_at_bottom(ada)  # opened at the latest message
    earlier = ada.get_by_role("link", name="Earlier messages")
    expect(earlier).to_have_attribute("href", "/chat/procurement?before=11")

    message(ada, 11).scroll_into_view_if_needed()
    top_before = offset_in_log(ada, 11)
    earlier.click()
    expect(messages(ada)).to_have_count(60)
    assert message_ids(ada)[:2] == ["m1", "m2"]
    assert abs(offset_in_log(ada, 11) - top_before) < 2
    expect(earlier).to_be_hidden()  # nothing older
    expect(ada.locator("[data-chat-status]")).to_have_text("10 earlier messages shown above.")

    # Scrolled up: a new message does not move the log; a button says it is there.
    say(people.bob, "While reading history", "h61")
    expect(message(ada, 61)).to_be_attached()
    assert abs(offset_in_log(ada, 11) - top_before) < 2
    jump = ada.get_by_role("button", name="1 new message below")
    expect(jump).to_be_visible()
    jump.click()
    expect(jump).to_be_hidden()
    assert log_at_bottom(ada)
    # At the bottom: the next one scrolls into view by itself.
    say(people.bob, "At the bottom", "h62")
    expect(message(ada, 62)).to_be_attached()
    assert log_at_bottom(ada)
    assert same_document(ada)
    no_problems(console)


def test_an_older_page_counts_new_messages_instead_of_adding_them(open_page, people, console):
    for n in range(1, 56):
        say(people.bob, f"Message {n}", f"o{n}")
    ada = open_chat(open_page, people.ada, path=f"{ROOM}?before=6")
    expect(messages(ada)).to_have_count(5)
    say(people.bob, "Newest", "o56")
    status = ada.locator("[data-chat-status]")
    expect(status).to_have_text("1 new message since this page opened: show the latest")
    expect(message(ada, 56)).to_have_count(0)
    status.get_by_role("link", name="show the latest").click()
    wait_until_live(ada)
    expect(message(ada, 56)).to_contain_text("Newest")
    no_problems(console)


def test_without_javascript_the_page_still_pages_back_and_sends(chromium, site, people):
    for n in range(1, 56):
        say(people.bob, f"Message {n}", f"n{n}")
    context = chromium.new_context(
        base_url=site.url, viewport=DESKTOP, java_script_enabled=False, locale="en-GB"
    )
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        sign_in_by_request(page, people.ada.email)
        page.goto(ROOM)
        page.get_by_role("link", name="Earlier messages").click()
        page.wait_for_url(re.compile(r"\?before=6$"))
        expect(messages(page)).to_have_count(5)
        page.get_by_role("link", name="Back to the latest messages").click()
        composer(page).fill("From the plain form")
        page.get_by_role("button", name="Send").click()
        page.wait_for_url(re.compile(r"#m56$"))
        expect(message(page, 56)).to_contain_text("From the plain form")
    finally:
        context.close()


def test_shown_messages_are_marked_read_only_while_the_tab_is_visible(open_page, people, console):
    def unread() -> bool:
        return bool(actions.unread_community_ids(db.session.get(User, people.ada.id)))

    ada = open_chat(open_page, people.ada)
    say(people.bob, "Seen at once", "r1")
    expect(message(ada, 1)).to_be_attached()
    assert wait_for(lambda: not unread())

    # The tab goes to the background: what arrives stays unread until it is back.
    ada.evaluate(
        """() => {
            window.__visibility = "hidden";
            Object.defineProperty(document, "visibilityState",
                {configurable: true, get: () => window.__visibility});
            document.dispatchEvent(new Event("visibilitychange"));
        }"""
    )
    say(people.bob, "Arrives in the background", "r2")
    expect(message(ada, 2)).to_be_attached()
    time.sleep(0.5)
    assert unread()
    ada.evaluate(
        """() => {
            window.__visibility = "visible";
            document.dispatchEvent(new Event("visibilitychange"));
        }"""
    )
    assert wait_for(lambda: not unread())
    no_problems(console)


# --- accessibility and small screens ---------------------------------------------------------


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_chat_page_has_no_axe_violations_and_fits(open_page, people, viewport):
    say(people.bob, "A *first* message with a [link](https://example.org)", "a1")
    say(people.bob, "A table:\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n> quoted", "a2")
    edited = say(people.ada, "To be edited", "a3")
    with atomic():
        actions.edit_message(
            db.session.get(User, people.ada.id), "procurement", edited, body="Edited **once**"
        )
    gone = say(people.bob, "To be deleted", "a4")
    with atomic():
        actions.delete_message(db.session.get(User, people.bob.id), "procurement", gone)
    say(people.bob, "x" * 300, "a5")  # one long word

    bob = open_chat(open_page, people.bob)
    ada = open_chat(open_page, people.ada, viewport, bypass_csp=True)
    expect(presence(ada)).to_have_count(2)
    found = {}

    def check(label):
        problems = axe_violations(ada)
        if problems:
            found[label] = problems
        overflow = horizontal_overflow(ada)
        if overflow > 1:
            found[f"{label}: {overflow}px too wide"] = []

    check("live room")
    composer(bob).press_sequentially("typing")
    expect(ada.locator("[data-chat-typing]")).not_to_have_text("")
    send(ada, "x" * 2001)
    expect(ada.locator("[data-chat-error]")).not_to_have_text("")
    check("typing notice and an error")
    message(ada, edited).get_by_role("button", name=re.compile("^Edit")).click()
    check("editing a message")
    message(ada, edited).get_by_role("button", name="Cancel").click()
    # The scroll must come after a6 is shown: before it the log may not yet overflow its box.
    expect(message(ada, say(people.bob, "A new one while scrolled up", "a6"))).to_be_visible()
    assert log(ada).evaluate("l => { l.scrollTop = 0; return l.scrollHeight > l.clientHeight; }")
    say(people.bob, "Another while scrolled up", "a7")
    expect(ada.get_by_role("button", name=re.compile("new message"))).to_be_visible()
    check("new messages below")
    lines = [f"{label}:\n  " + "\n  ".join(problems) for label, problems in found.items()]
    assert not found, "\n".join(lines)


PHONE_390 = {"width": 390, "height": 844}


@pytest.mark.parametrize("moderator", [False, True], ids=["member", "moderator"])
def test_on_a_phone_the_composer_is_on_the_first_screen(open_page, people, moderator):
    for n in range(30):  # a busy room: the log is full
        say(people.bob, f"Message {n} about social value weighting in tenders.", f"c{n}")
    page = open_chat(open_page, people.mod if moderator else people.ada, PHONE_390)
    box = composer(page).bounding_box()
    send = page.get_by_role("button", name="Send").bounding_box()
    log = page.locator("[data-chat-scroll]").bounding_box()
    found = f"message box {box}, Send {send}, log {log}"
    assert page.evaluate("() => window.scrollY") == 0, found
    assert box["y"] >= 0, found
    assert box["y"] + box["height"] <= PHONE_390["height"], found
    assert send["y"] + send["height"] <= PHONE_390["height"], found
    assert log["height"] >= 150, found  # and the messages still have room
    assert horizontal_overflow(page) == 0
