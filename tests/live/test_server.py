"""The production command serves pages, real WebSockets and the job loop, in one process."""

import time
from email import policy
from email.parser import BytesParser

import pytest
import requests
import socketio
import websocket

from bench.keepalive import drive
from tests.live.conftest import assert_clean_log, csrf_token

pytestmark = pytest.mark.slow


def connect(url: str, session: requests.Session | None = None, origin: str | None = None):
    """A Socket.IO client over WebSocket only, with the page's cookie when signed in."""
    options = {"origin": origin} if origin else {}
    client = socketio.Client(reconnection=False, websocket_extra_options=options)
    headers = {}
    if session is not None:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in session.cookies.items())
    try:
        client.connect(url, transports=["websocket"], headers=headers, wait_timeout=10)
    except BaseException:
        client.disconnect()  # closes whatever the refused attempt left open
        raise
    return client


def test_the_server_is_healthy_and_runs_the_fair_gevent_websocket_worker(live_server):
    response = requests.get(f"{live_server.url}/healthz", timeout=10)
    assert response.json() == {"status": "ok", "database": "ok", "redis": "disabled"}
    log = live_server.log()
    assert "Using worker: community.server.FairWebSocketWorker" in log
    assert "job loop started" in log


def test_a_signed_in_member_connects_over_a_real_websocket(live_server):
    with live_server.sign_in() as session:
        client = connect(live_server.url, session)
    try:
        assert client.connected
        assert client.transport() == "websocket"
    finally:
        client.disconnect()


def test_the_sites_own_origin_may_connect(live_server):
    with live_server.sign_in() as session:
        client = connect(live_server.url, session, origin=live_server.url)
    try:
        assert client.transport() == "websocket"
    finally:
        client.disconnect()


def test_an_anonymous_connection_is_refused(live_server):
    with pytest.raises(socketio.exceptions.ConnectionError):
        connect(live_server.url)


def engineio_open(url: str, cookie: str, origin: str) -> str:
    """Open a raw Engine.IO WebSocket as a browser page on `origin` would, with the member's
    cookie, and return the server's first frame ('' when it closes the socket instead)."""
    ws = websocket.create_connection(
        url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket",
        origin=origin,
        cookie=cookie,
        timeout=10,
    )
    try:
        return ws.recv()
    except websocket.WebSocketConnectionClosedException:
        return ""
    finally:
        ws.shutdown()  # close() does nothing once the server has closed the socket


def test_a_connection_from_another_origin_is_refused(live_server):
    """Cross-site WebSocket hijacking: another site's page, carrying the member's cookie.

    Raw WebSockets rather than python-socketio's client: gevent-websocket completes the
    handshake (101) before the application sees the request, so the refusal arrives as the
    server closing the socket, and the client then fails with a ValueError and leaves its
    socket open. The frames show the difference exactly.
    """
    with live_server.sign_in() as session:
        cookie = "; ".join(f"{k}={v}" for k, v in session.cookies.items())
    assert engineio_open(live_server.url, cookie, origin=live_server.url).startswith('0{"sid"')
    assert engineio_open(live_server.url, cookie, origin="http://evil.example") == ""
    assert "http://evil.example is not an accepted origin" in live_server.log()


def test_registration_mail_is_written_by_the_in_process_job_loop(live_server):
    address = "live.newcomer@example.org"
    with requests.Session() as session:
        response = _register(session, live_server.url, address)
    assert response.status_code == 200
    assert "Check your inbox" in response.text

    outbox = live_server.instance_dir / "outbox"
    parser = BytesParser(policy=policy.default)
    deadline = time.monotonic() + 30  # the mail job runs every few seconds
    found = []
    while not found and time.monotonic() < deadline:
        messages = [parser.parsebytes(p.read_bytes()) for p in outbox.glob("*.eml")]
        found = [m for m in messages if m["To"] == address]
        time.sleep(0.25)
    assert found, f"no mail for {address} in {outbox}:\n{live_server.log()}"
    assert f"{live_server.url}/auth/verify/" in found[0].get_body(("plain",)).get_content()


def _register(session: requests.Session, url: str, address: str) -> requests.Response:
    token = csrf_token(session, f"{url}/auth/register")
    return session.post(
        f"{url}/auth/register",
        data={
            "csrf_token": token,
            "email": address,
            "display_name": "Live Newcomer",
            "organisation": "other",
            "organisation_other": "Riverside Enterprise",
            "password": "correct horse battery",
            "confirm": "correct horse battery",
        },
        timeout=30,
    )


@pytest.mark.parametrize(
    "depth",
    [
        pytest.param(1, id="each-sends-on-its-response"),
        pytest.param(2, id="next-request-always-waiting"),
    ],
)
def test_keep_alive_connections_are_served_in_turn(live_server, depth):
    """Issue 12: a keep-alive connection's next request was served while requests on the
    other connections waited (gevent.pywsgi reads it without yielding when it has arrived).
    Four signed-in keep-alive clients share 160 responses; each must get a fair share. With
    two requests in flight per connection the next request is there whenever the server
    finishes one: the stock worker then served one connection alone (160 / 0 / 0 / 0)."""
    with live_server.sign_in() as session:
        cookie = "; ".join(f"{k}={v}" for k, v in session.cookies.items())
    outcome = drive(
        live_server.url, "/", connections=4, total=160, depth=depth, headers={"Cookie": cookie}
    )
    assert outcome.statuses == {200}
    assert min(outcome.counts) > 0, f"a connection was starved: {outcome.summary()}"
    assert outcome.fairness >= 0.5, outcome.summary()


def test_the_server_log_is_clean(live_server):
    """Runs last in this module: nothing above left a traceback or a 5xx in the log."""
    assert_clean_log(live_server.log())
