"""A community made members-only closes its live rooms to outsiders at once: real
Socket.IO clients on the production server.

A signed-in member who does not belong to Procurement reads its chat and an open thread
while it is public. An admin makes it members-only through the manage page; the outsider's
open connection is taken out of both rooms, gets the recheck notices, is refused when it
asks to join again, and receives none of the chat.message and thread.reply events that
follow, while a member still does.
"""

import queue
import re
import time
from email import policy
from email.parser import BytesParser

import pytest
import requests
import socketio

from tests.live.conftest import assert_clean_log, csrf_token
from tests.live.test_chat_live import WAIT, join_procurement
from tests.live.test_thread_live import submit

OUTSIDER = "olu.outsider@example.org"
PASSWORD = "the outsider's long passphrase"
WATCHED = ("chat.message", "thread.reply", "chat.recheck", "thread.recheck")


class Page:
    """One tab's connection, collecting the live events a chat and a thread page listen for."""

    def __init__(self, url: str, session: requests.Session):
        self.events: queue.Queue = queue.Queue()
        self.client = socketio.Client(reconnection=False)
        for name in WATCHED:
            self.client.on(name, lambda payload, name=name: self.events.put((name, payload)))
        cookie = "; ".join(f"{k}={v}" for k, v in session.cookies.items())
        self.client.connect(
            url, transports=["websocket"], headers={"Cookie": cookie}, wait_timeout=10
        )

    def call(self, event: str, payload: dict) -> dict:
        return self.client.call(event, payload, timeout=WAIT)

    def next(self, name: str) -> dict:
        while True:
            try:
                got, payload = self.events.get(timeout=WAIT)
            except queue.Empty:
                raise AssertionError(f"no {name} within {WAIT}s") from None
            if got == name:
                return payload

    def each(self, *names: str) -> dict[str, dict]:
        """The first event of each of `names`, in whatever order they come."""
        found: dict[str, dict] = {}
        while set(found) != set(names):
            try:
                got, payload = self.events.get(timeout=WAIT)
            except queue.Empty:
                raise AssertionError(f"only {sorted(found)} of {names} within {WAIT}s") from None
            if got in names:
                found.setdefault(got, payload)
        return found

    def received(self) -> list[str]:
        names = []
        while not self.events.empty():
            names.append(self.events.get_nowait()[0])
        return names

    def disconnect(self) -> None:
        if self.client.connected:
            self.client.disconnect()


def verification_link(live_server, address: str) -> str:
    outbox = live_server.instance_dir / "outbox"
    parser = BytesParser(policy=policy.default)
    deadline = time.monotonic() + 30  # the mail job runs every few seconds
    while time.monotonic() < deadline:
        for path in outbox.glob("*.eml"):
            message = parser.parsebytes(path.read_bytes())
            if message["To"] == address:
                body = message.get_body(("plain",)).get_content()
                return re.search(r"https?://\S+/auth/verify/\S+", body).group(0)
        time.sleep(0.25)
    raise AssertionError(f"no verification mail for {address}:\n{live_server.log()}")


def registered_member(live_server) -> requests.Session:
    """A member (not an admin) who registered and confirmed their address, signed in."""
    session = requests.Session()
    token = csrf_token(session, f"{live_server.url}/auth/register")
    response = session.post(
        f"{live_server.url}/auth/register",
        data={
            "csrf_token": token, "email": OUTSIDER, "display_name": "Olu Outsider",
            "organisation": "other", "organisation_other": "Riverside Enterprise",
            "password": PASSWORD, "confirm": PASSWORD,
        },
        timeout=30,
    )  # fmt: skip
    assert response.status_code == 200, response.text
    link = verification_link(live_server, OUTSIDER)
    # The page's form posts back to itself (a scanner following the link changes nothing).
    response = session.post(
        link, data={"csrf_token": csrf_token(session, link)}, allow_redirects=False, timeout=30
    )
    assert response.status_code == 302, response.text
    return session


def start_thread(live_server, session) -> int:
    response = submit(
        session, live_server.url, "/c/procurement/new", "/c/procurement/new",
        {"title": "Open to all, for now", "body": "The first post.", "tags": ""},
    )  # fmt: skip
    assert response.status_code == 302, response.text
    return int(re.search(r"/t/(\d+)", response.headers["Location"]).group(1))


def reply(live_server, session, thread_id: int, body: str) -> int:
    response = submit(
        session, live_server.url, f"/t/{thread_id}", f"/t/{thread_id}/reply", {"body": body}
    )
    assert response.status_code == 302, response.text
    return int(re.search(r"/p/(\d+)$", response.headers["Location"]).group(1))


def say(page: Page, body: str) -> int:
    client_id = body.replace(" ", "-")
    ack = page.call("chat.send", {"room": "procurement", "body": body, "client_id": client_id})
    assert ack["ok"] is True, ack
    return ack["id"]


@pytest.mark.timeout(240)
def test_a_community_made_members_only_stops_live_events_to_outsiders(live_server):
    admin = live_server.sign_in()
    join_procurement(live_server.url, admin)
    outsider = registered_member(live_server)
    thread_id = start_thread(live_server, admin)

    member_page, outsider_page = Page(live_server.url, admin), Page(live_server.url, outsider)
    try:
        for page in (member_page, outsider_page):
            assert page.call("chat.join", {"room": "procurement"})["ok"] is True
            assert page.call("thread.open", {"thread_id": thread_id}) == {"ok": True}
        # While public, the outsider's open pages receive the room's chat and replies.
        chat_id = say(member_page, "while public")
        assert outsider_page.next("chat.message")["id"] == chat_id
        post_id = reply(live_server, admin, thread_id, "A reply while public.")
        assert outsider_page.next("thread.reply")["post_id"] == post_id

        response = submit(
            admin, live_server.url, "/c/procurement/manage", "/c/procurement/manage/visibility",
            {"visibility": "members"},
        )  # fmt: skip
        assert response.status_code == 302, response.text

        # The open pages are told to join again, and the outsider is refused.
        assert outsider_page.each("chat.recheck", "thread.recheck") == {
            "chat.recheck": {"room": "procurement"},
            "thread.recheck": {"thread_id": thread_id},
        }
        assert outsider_page.call("chat.join", {"room": "procurement"})["ok"] is False
        assert outsider_page.call("thread.open", {"thread_id": thread_id})["ok"] is False
        for page in (member_page,):
            assert page.call("chat.join", {"room": "procurement"})["ok"] is True
            assert page.call("thread.open", {"thread_id": thread_id}) == {"ok": True}
        member_page.received()
        outsider_page.received()

        chat_id = say(member_page, "members only now")
        post_id = reply(live_server, admin, thread_id, "A reply for members.")
        assert member_page.next("chat.message")["id"] == chat_id  # the member still gets both
        assert member_page.next("thread.reply")["post_id"] == post_id
        time.sleep(0.5)  # what would have reached the outsider has had time to arrive
        assert outsider_page.received() == []
        response = outsider.get(f"{live_server.url}/chat/procurement", timeout=30)
        assert response.status_code == 404
    finally:
        member_page.disconnect()
        outsider_page.disconnect()
    assert_clean_log(live_server.log())
