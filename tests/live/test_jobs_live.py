"""The embedded job loop under the real gunicorn/gevent server: a CPU-heavy job runs in a
process of its own, so pages and WebSockets answer while it runs."""

import time
from pathlib import Path

import pytest
import requests

from tests.live.conftest import (
    LiveServer,
    assert_clean_log,
    copy_instance,
    flask_cli,
    free_port,
    server_env,
    start_server,
    stop,
    wait_until_healthy,
)
from tests.live.test_server import connect

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def heavy_server(prepared_instance, tmp_path_factory):
    """`make run`'s server, with tests/live/heavy_job_app.py's app (one heavy job more)."""
    instance_dir = copy_instance(prepared_instance, tmp_path_factory, "heavy-instance")
    port = free_port()
    env = server_env(instance_dir, port)
    log_path = instance_dir / "server.log"
    process = start_server(env, log_path, "tests.live.heavy_job_app:app")
    server = LiveServer(f"http://127.0.0.1:{port}", instance_dir, log_path, process)
    try:
        wait_until_healthy(server)
        yield server, env
    finally:
        (instance_dir / "heavy-release").touch()
        stop(process)


def wait_for(path: Path, server: LiveServer, seconds: float = 60) -> str:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"no {path.name}:\n{server.log()}"
        assert server.process.poll() is None, server.log()
        time.sleep(0.05)
    time.sleep(0.05)  # written in one call; let it land
    return path.read_text()


def server_processes(server: LiveServer) -> set[int]:
    """The gunicorn master and its worker."""
    pid = server.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return {pid, *map(int, children)}


def test_a_page_and_a_websocket_answer_while_a_heavy_job_runs(heavy_server):
    server, env = heavy_server
    started = wait_for(server.instance_dir / "heavy-started", server)
    members, gevent, pid = (part.split("=")[1] for part in started.split())
    assert (members, gevent) == ("1", "False")  # it read the database, with no hub to starve
    assert int(pid) not in server_processes(server)  # in a process of its own
    finished = server.instance_dir / "heavy-finished"

    page = requests.get(f"{server.url}/auth/login", timeout=20)
    assert page.status_code == 200
    assert 'name="csrf_token"' in page.text
    with server.sign_in() as session:
        home = session.get(f"{server.url}/", timeout=20)
        assert home.status_code == 200
        client = connect(server.url, session)
    try:
        assert client.connected
    finally:
        client.disconnect()
    assert not finished.exists(), "the page answered while the job was still running"

    (server.instance_dir / "heavy-release").touch()
    assert wait_for(finished, server) == "released"
    deadline = time.monotonic() + 60
    while True:  # the loop records each run once the job's process has ended
        listing = flask_cli(env, "jobs", "list")
        lines = {line.split()[0]: line for line in listing.splitlines()}
        heavy, exits = lines["heavy"], lines["heavy-exit"]
        if "never" not in heavy + exits or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert heavy.split()[1] == "?"  # registered by the server's app, not by `flask` here
    assert "never" not in heavy
    assert heavy.endswith("  -")
    assert "never" not in exits
    assert exits.endswith("  the job's process exited with code 3")  # its last error
    assert_clean_log(server.log())
