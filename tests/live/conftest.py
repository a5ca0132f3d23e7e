"""The real production server, started as `make run` starts it, for tests over the network.

`prepared_instance` makes an instance folder with the CLI commands `make run` uses (migrate,
seed, create the first admin), once per test process; `live_server` copies it, then runs
`gunicorn -c gunicorn.conf.py wsgi:app` on a free loopback port and waits for /healthz. Every
application variable is set (most of them empty) so that neither the developer's shell nor a
`.env` file changes what is tested.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from community.config import PROJECT_ROOT, VARIABLES

BIN = Path(sys.executable).parent
ADMIN_EMAIL = "admin@example.org"
ADMIN_PASSWORD = "a long admin passphrase"
START_TIMEOUT = 30
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    instance_dir: Path
    log_path: Path
    process: subprocess.Popen

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def sign_in(self, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD):
        """A requests session signed in through the login form, as a browser would be."""
        session = requests.Session()
        token = csrf_token(session, f"{self.url}/auth/login")
        response = session.post(
            f"{self.url}/auth/login",
            data={"csrf_token": token, "email": email, "password": password},
            allow_redirects=False,
            timeout=30,
        )
        assert response.status_code == 302, response.text
        return session


def csrf_token(session: requests.Session, url: str) -> str:
    match = CSRF.search(session.get(url, timeout=30).text)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def server_env(instance_dir: Path, port: int) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("TEST_") and k not in {"PYTHONTRACEMALLOC", "PYTHONWARNINGS"}
    }
    env.update({name: "" for name in VARIABLES})  # empty counts as unset, and hides .env
    env.update(
        INSTANCE_DIR=str(instance_dir),
        HOST="127.0.0.1",
        PORT=str(port),
        SITE_URL=f"http://127.0.0.1:{port}",
        LOG_LEVEL="INFO",
    )
    return env


def flask_cli(env: dict, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        [str(BIN / "flask"), "--app", "community", *args],
        cwd=PROJECT_ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"flask {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)  # gunicorn's graceful shutdown
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the group this fixture started
        process.wait(timeout=10)


def wait_until_healthy(server: LiveServer) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"the server exited with {server.process.returncode}:\n{server.log()}")
        try:
            response = requests.get(f"{server.url}/healthz", timeout=5)
            if response.status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or slow on a busy machine
            pass
        time.sleep(0.2)
    pytest.fail(f"the server did not become healthy in {START_TIMEOUT}s:\n{server.log()}")


@pytest.fixture(scope="session")
def prepared_instance(tmp_path_factory) -> Path:
    """An instance folder made once per test process as `make run` makes it (migrate, seed,
    the first admin); each server copies it, so the migrations and the password hash run once."""
    instance_dir = tmp_path_factory.mktemp("prepared-instance")
    env = server_env(instance_dir, free_port())
    flask_cli(env, "db", "upgrade")
    flask_cli(env, "seed")
    flask_cli(env, "users", "create-admin", ADMIN_EMAIL, "--password-stdin", stdin=ADMIN_PASSWORD)
    return instance_dir


def copy_instance(prepared: Path, tmp_path_factory, name: str = "live-instance") -> Path:
    instance_dir = tmp_path_factory.mktemp(name)
    shutil.copytree(prepared, instance_dir, dirs_exist_ok=True)
    return instance_dir


def start_server(env: dict, log_path: Path, app: str = "wsgi:app") -> subprocess.Popen:
    """`make run`'s server (gunicorn with gunicorn.conf.py) in its own process group."""
    with log_path.open("wb") as log:
        return subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", app],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@pytest.fixture(scope="module")
def live_server(prepared_instance, tmp_path_factory):
    instance_dir = copy_instance(prepared_instance, tmp_path_factory)
    port = free_port()
    env = server_env(instance_dir, port)
    log_path = instance_dir / "server.log"
    process = start_server(env, log_path)
    server = LiveServer(f"http://127.0.0.1:{port}", instance_dir, log_path, process)
    try:
        wait_until_healthy(server)
        yield server
    finally:
        stop(process)


def assert_clean_log(log: str) -> None:
    """Nothing in the server's log that a healthy server would not write."""
    for bad in (
        "Traceback",
        "database is locked",
        "MonkeyPatchWarning",
        "CRITICAL",
        "WORKER TIMEOUT",
    ):
        assert bad not in log, f"{bad!r} in the server log:\n{log}"
    server_errors = re.findall(r'"[A-Z]+ [^"]+ HTTP/1\.[01]" 5\d\d ', log)
    assert server_errors == [], server_errors
