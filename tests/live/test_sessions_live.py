"""A session that ends, ends everywhere: real Socket.IO clients on the production server.

For each way a session ends (signing out, a password change, "sign out other devices", a
suspension) a member's connection that was receiving a members-only room's chat.message
events is disconnected at once, cannot connect again with its cookie, and a copy of that
cookie gets the sign-in page. Scaled out, the action runs in one process (or the command
line) and the connection lives in the other: the disconnect crosses through Redis. On one
server without Redis, the command line's suspension reaches the server through the
database: its job loop disconnects connections of ended sessions every two seconds.
"""

import itertools
import time
import uuid

import pytest
import requests
import socketio

from tests.live.conftest import (
    assert_clean_log,
    create_admin,
    flask_cli,
    flask_cli_batch,
    server_env,
)
from tests.live.test_chat_live import (  # noqa: F401 (scaled_out is a fixture)
    WAIT,
    ChatClient,
    join_procurement,
    scaled_out,
    sign_in,
)
from tests.live.test_thread_live import submit

PASSWORD = "the victim's long passphrase"
NEW_PASSWORD = "a brand new long passphrase"
_n = itertools.count()


def new_members(env: dict, count: int) -> list[str]:
    emails = [f"s{next(_n)}-{uuid.uuid4().hex[:6]}@example.org" for _ in range(count)]
    flask_cli_batch(env, *(create_admin(email, PASSWORD, email.split("@")[0]) for email in emails))
    return emails


def copy_of(session: requests.Session) -> requests.Session:
    thief = requests.Session()
    thief.cookies.update(session.cookies.get_dict())
    return thief


def sign_out(act_url, acting, _other, _env, _email):
    response = submit(acting, act_url, "/auth/logout", "/auth/logout", {})
    assert response.status_code == 302


def change_password(act_url, _acting, other, _env, _email):
    data = {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    response = submit(other, act_url, "/settings", "/settings/password", data)
    assert response.status_code == 302, response.text


def sign_out_elsewhere(act_url, _acting, other, _env, _email):
    response = submit(other, act_url, "/settings", "/settings/sessions", {})
    assert response.status_code == 302, response.text


def suspend(_act_url, _acting, _other, env, email):
    out = flask_cli(env, "members", "suspend", email, "--reason", "Testing suspension.")
    assert "is suspended" in out


def wait_disconnected(client: ChatClient) -> None:
    deadline = time.monotonic() + WAIT
    while client.client.connected and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not client.client.connected, "the connection of the ended session stayed open"


def send(watcher: "ChatClient", body: str, client_id: str) -> dict:
    """The watcher's message, sent once its rate limit allows: it sends two in every test of
    the module, faster than chat_send's 5 per 3 seconds when the tests run quickly."""
    deadline = time.monotonic() + WAIT
    while True:
        ack = watcher.call(
            "chat.send", {"room": "procurement", "body": body, "client_id": client_id}
        )
        if (
            ack.get("ok", True)
            or "too fast" not in ack.get("error", "")
            or time.monotonic() > deadline
        ):
            assert ack.get("ok", True), ack
            return ack
        time.sleep(0.5)


def check_session_ends_everywhere(way, email, *, socket_url, act_url, env, watcher_url, watcher):
    """`email`: the member whose session ends; `socket_url`: where their connection lives;
    `act_url`: where the action runs."""
    victim = sign_in(socket_url, email, PASSWORD)  # the device whose session ends
    other = sign_in(act_url, email, PASSWORD)  # the member's other device
    join_procurement(socket_url, victim)
    stolen = copy_of(victim)
    live = ChatClient(socket_url, victim)
    bea = ChatClient(watcher_url, watcher)
    try:
        assert live.call("chat.join", {"room": "procurement"})["ok"] is True
        assert bea.call("chat.join", {"room": "procurement"})["ok"] is True
        tag = email.split("@")[0]  # the watcher sends in every test: a new client id each
        ack = send(bea, "before", f"b{tag}")
        assert live.next("chat.message")["id"] == ack["id"]  # members-only events arrive

        way(act_url, victim, other, env, email)
        wait_disconnected(live)
        live.drain()
        bea.drain()
        send(bea, "after", f"a{tag}")
        assert bea.next("chat.message")["html"] == "<p>after</p>"
        time.sleep(0.5)  # what would have reached the ended connection has had time to
        assert [name for name, _ in live.drain()] == []

        again = socketio.Client(reconnection=False)
        cookie = "; ".join(f"{k}={v}" for k, v in stolen.cookies.items())
        with pytest.raises(socketio.exceptions.ConnectionError):
            again.connect(socket_url, transports=["websocket"], headers={"Cookie": cookie},
                          wait_timeout=10)  # fmt: skip
        for session in (stolen, victim):
            response = session.get(f"{socket_url}/settings", allow_redirects=False, timeout=30)
            assert response.status_code == 302
            assert "/auth/login" in response.headers["Location"]
    finally:
        live.disconnect()
        bea.disconnect()
    if way in (change_password, sign_out_elsewhere):  # the acting device stays signed in
        response = other.get(f"{act_url}/settings", allow_redirects=False, timeout=30)
        assert response.status_code == 200


WAYS = [sign_out, change_password, sign_out_elsewhere, suspend]


def cast(url: str, env: dict) -> tuple[requests.Session, dict]:
    """A member of the room who watches it, signed in at `url` (their session never ends
    here), and a member for each way a session ends, by the way's name: made once per module,
    by one command-line process."""
    watcher_email, *victims = new_members(env, 1 + len(WAYS))
    watcher = sign_in(url, watcher_email, PASSWORD)
    join_procurement(url, watcher)
    return watcher, dict(zip((way.__name__ for way in WAYS), victims, strict=True))


@pytest.fixture(scope="module")
def scaled_out_cast(scaled_out):  # noqa: F811
    (one, _two), envs = scaled_out
    return cast(one.url, envs[0])


@pytest.fixture(scope="module")
def one_server(live_server):
    port = int(live_server.url.rsplit(":", 1)[1])
    env = server_env(live_server.instance_dir, port)
    return env, *cast(live_server.url, env)


@pytest.mark.parametrize("way", WAYS, ids=lambda w: w.__name__)
def test_an_ended_session_is_disconnected_across_processes(scaled_out, scaled_out_cast, way):  # noqa: F811
    (one, two), envs = scaled_out
    watcher, victims = scaled_out_cast
    check_session_ends_everywhere(
        way, victims[way.__name__], socket_url=two.url, act_url=one.url, env=envs[0],
        watcher_url=one.url, watcher=watcher,
    )  # fmt: skip
    for server in (one, two):
        assert_clean_log(server.log())


@pytest.mark.parametrize("way", WAYS, ids=lambda w: w.__name__)
def test_an_ended_session_is_disconnected_on_one_server(live_server, one_server, way):
    env, watcher, victims = one_server
    check_session_ends_everywhere(
        way, victims[way.__name__], socket_url=live_server.url, act_url=live_server.url, env=env,
        watcher_url=live_server.url, watcher=watcher,
    )  # fmt: skip
    assert_clean_log(live_server.log())
