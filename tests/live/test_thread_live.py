"""Live thread pages over the real server: gunicorn, gevent-websocket, python-socketio clients.

Two members sign in over HTTP; their Socket.IO clients connect over real WebSockets with the
session cookie. What one posts through the reply form reaches the other's open thread page,
and a page that was offline catches up through `/t/<id>/since/<number>`.
"""

import html
import queue
import re

import pytest
import requests
import socketio

from tests.live.conftest import ADMIN_EMAIL, assert_clean_log, flask_cli, server_env

pytestmark = pytest.mark.slow

SECOND_EMAIL = "bea.live@example.org"
SECOND_PASSWORD = "another long passphrase"
WAIT = 15  # seconds to wait for an event before failing (never a timing assertion)
FORM = re.compile(r"<form\b[^>]*\baction=\"([^\"]*)\"[^>]*>(.*?)</form>", re.S)
HIDDEN = re.compile(r"<input\b[^>]*type=\"hidden\"[^>]*>")


def hidden_fields(page: str, action: str) -> dict[str, str]:
    """The hidden inputs (CSRF token, client token…) of the form posting to `action`."""
    for form_action, body in FORM.findall(page):
        if html.unescape(form_action) == action:
            fields = {}
            for tag in HIDDEN.findall(body):
                name = re.search(r'name="([^"]+)"', tag).group(1)
                value = re.search(r'value="([^"]*)"', tag)
                fields[name] = html.unescape(value.group(1)) if value else ""
            return fields
    raise AssertionError(f"no form posting to {action}")


def submit(session, url: str, page_path: str, action: str, data: dict) -> requests.Response:
    """Post a form as a browser would: the page first, then its form with its hidden fields."""
    page = session.get(url + page_path, timeout=30)
    assert page.status_code == 200, page.text
    fields = hidden_fields(page.text, action)
    return session.post(url + action, data={**fields, **data}, allow_redirects=False, timeout=30)


class LiveClient:
    """A python-socketio client over WebSocket only, collecting the thread events it gets."""

    def __init__(self, url: str, session: requests.Session):
        self.events: queue.Queue = queue.Queue()
        self.client = socketio.Client(reconnection=False)
        for name in ("thread.reply", "thread.edited", "thread.deleted", "thread.reactions"):
            self.client.on(name, lambda payload, name=name: self.events.put((name, payload)))
        cookie = "; ".join(f"{k}={v}" for k, v in session.cookies.items())
        self.client.connect(
            url, transports=["websocket"], headers={"Cookie": cookie}, wait_timeout=10
        )
        assert self.client.transport() == "websocket"

    def open(self, thread_id) -> dict:
        return self.client.call("thread.open", {"thread_id": thread_id}, timeout=WAIT)

    def next_event(self) -> tuple[str, dict]:
        try:
            return self.events.get(timeout=WAIT)
        except queue.Empty:
            raise AssertionError(f"no event within {WAIT}s") from None

    def disconnect(self) -> None:
        self.client.disconnect()


@pytest.fixture(scope="module")
def people(live_server):
    """Two members of Procurement, signed in over HTTP, and a thread the first one started."""
    port = live_server.url.rsplit(":", 1)[1]
    env = server_env(live_server.instance_dir, int(port))
    flask_cli(
        env, "users", "create-admin", SECOND_EMAIL, "--name", "Bea Live", "--password-stdin",
        stdin=SECOND_PASSWORD,
    )  # fmt: skip
    ada = live_server.sign_in()
    bea = live_server.sign_in(SECOND_EMAIL, SECOND_PASSWORD)
    for session in (ada, bea):
        response = submit(session, live_server.url, "/c/procurement", "/c/procurement/join", {})
        assert response.status_code == 302, response.text
    response = submit(
        ada, live_server.url, "/c/procurement/new", "/c/procurement/new",
        {"title": "Live thread", "body": "The first post.", "tags": ""},
    )  # fmt: skip
    assert response.status_code == 302, response.text
    thread_id = int(re.search(r"/t/(\d+)", response.headers["Location"]).group(1))
    yield ada, bea, thread_id
    ada.close()
    bea.close()


def post_reply(live_server, session, thread_id: int, body: str) -> int:
    response = submit(
        session, live_server.url, f"/t/{thread_id}", f"/t/{thread_id}/reply", {"body": body}
    )
    assert response.status_code == 302, response.text
    return int(re.search(r"/p/(\d+)$", response.headers["Location"]).group(1))


def test_a_reply_over_http_reaches_the_other_members_open_page(live_server, people):
    ada, bea, thread_id = people
    watcher = LiveClient(live_server.url, ada)
    try:
        assert watcher.open(thread_id) == {"ok": True}
        body = (
            "Hello **Ada** <script>alert(1)</script> [x](javascript:alert(1)) "
            "<img src=x onerror=alert(1)>"
        )
        post_id = post_reply(live_server, bea, thread_id, body)

        name, event = watcher.next_event()
        assert name == "thread.reply"
        assert event["thread_id"] == thread_id
        assert event["post_id"] == post_id
        assert event["author"]["name"] == "Bea Live"
        assert "<strong>Ada</strong>" in event["html"]
        assert "&lt;script&gt;" in event["html"]  # shown as text, never run
        for unsafe in ("<script", 'href="javascript', "<img", "<a "):
            assert unsafe not in event["html"]
    finally:
        watcher.disconnect()


def test_a_page_that_was_offline_catches_up_with_since(live_server, people):
    ada, bea, thread_id = people
    watcher = LiveClient(live_server.url, ada)
    try:
        assert watcher.open(thread_id) == {"ok": True}
        seen_id = post_reply(live_server, bea, thread_id, "Seen live.")
        _, seen = watcher.next_event()
        assert seen["post_id"] == seen_id
        last_number = seen["number"]
    finally:
        watcher.disconnect()

    missed = [post_reply(live_server, bea, thread_id, f"Missed {n}.") for n in (1, 2)]

    watcher = LiveClient(live_server.url, ada)
    try:
        assert watcher.open(thread_id) == {"ok": True}
        response = ada.get(f"{live_server.url}/t/{thread_id}/since/{last_number}", timeout=30)
        assert response.status_code == 200
        posts = response.json()["posts"]
        assert [p["post_id"] for p in posts] == missed
        assert [p["number"] for p in posts] == [last_number + 1, last_number + 2]
        assert [p["html"] for p in posts] == ["<p>Missed 1.</p>", "<p>Missed 2.</p>"]
        assert watcher.events.empty()  # nothing was replayed over the socket

        # And the reopened page is live again.
        after = post_reply(live_server, bea, thread_id, "Back online.")
        _, event = watcher.next_event()
        assert (event["post_id"], event["number"]) == (after, last_number + 3)
    finally:
        watcher.disconnect()


def test_a_member_who_did_not_open_the_thread_gets_nothing(live_server, people):
    ada, bea, thread_id = people
    idle = LiveClient(live_server.url, ada)
    watcher = LiveClient(live_server.url, bea)
    try:
        assert watcher.open(thread_id) == {"ok": True}
        post_id = post_reply(live_server, ada, thread_id, "Only for open pages.")
        _, event = watcher.next_event()  # the open page has it...
        assert event["post_id"] == post_id
        # ...by then the idle connection, served by the same emit, would have it too.
        assert idle.events.empty()
        assert idle.open(10**6)["ok"] is False
        assert idle.open("x")["ok"] is False
    finally:
        idle.disconnect()
        watcher.disconnect()


def test_since_is_for_members_who_can_read_the_thread(live_server, people):
    _, _, thread_id = people
    anonymous = requests.get(
        f"{live_server.url}/t/{thread_id}/since/0", allow_redirects=False, timeout=30
    )
    assert anonymous.status_code == 302  # to the sign-in page
    with live_server.sign_in(ADMIN_EMAIL) as session:
        missing = session.get(f"{live_server.url}/t/999999/since/0", timeout=30)
    assert missing.status_code == 404


def test_the_server_log_is_clean(live_server):
    """Runs last in this module: nothing above left a traceback or a 5xx in the log."""
    assert_clean_log(live_server.log())
