"""The real production server, started as `make run` starts it, for tests over the network.

`prepared_instance` makes an instance folder with the CLI commands `make run` uses (migrate,
seed, create the first admin), once per test process; `live_server` copies it, then runs
`gunicorn -c gunicorn.conf.py wsgi:app` on a free loopback port and waits for /healthz. Every
application variable is set (most of them empty) so that neither the developer's shell nor a
`.env` file changes what is tested.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from community.config import PROJECT_ROOT, VARIABLES
from tests.conftest import TEST_DATABASE_URL, missing_service

BIN = Path(sys.executable).parent
ADMIN_EMAIL = "admin@example.org"
ADMIN_PASSWORD = "a long admin passphrase"
# A second account on the two-process servers: (email, display name, password).
OTHER_ADMIN = ("bea.chat@example.org", "Bea Chat", "another long passphrase")
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


def flask_cli_batch(env: dict, *commands: tuple[list[str], str | None]) -> None:
    """Several `flask_cli` commands, `command(...)` each, run in order in one process (see
    `tests.live.flask_batch`)."""
    result = subprocess.run(
        [sys.executable, "-m", "tests.live.flask_batch"],
        cwd=PROJECT_ROOT,
        env=env,
        input=json.dumps(commands),
        capture_output=True,
        text=True,
        timeout=120,
    )
    names = "; ".join(" ".join(args) for args, _ in commands)
    assert result.returncode == 0, f"flask {names}:\n{result.stdout}\n{result.stderr}"


def command(*args: str, stdin: str | None = None) -> tuple[list[str], str | None]:
    return list(args), stdin


def create_admin(email: str, password: str, name: str | None = None):
    """The `command` that makes `email` an admin with `password`, given on standard input."""
    return command(
        "users", "create-admin", email, *(["--name", name] if name else []), "--password-stdin",
        stdin=password,
    )  # fmt: skip


def stop(process: subprocess.Popen) -> None:
    """End a server a test is done with. SIGQUIT is gunicorn's quick shutdown: its graceful
    one (SIGTERM) waits up to `graceful_timeout` (10 s) for the idle keep-alive connections
    the test's HTTP sessions still hold, which cost each module up to 10 s for nothing."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGQUIT)
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
    flask_cli_batch(
        env, command("db", "upgrade"), command("seed"), create_admin(ADMIN_EMAIL, ADMIN_PASSWORD)
    )
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


@contextmanager
def running_server(env: dict, app: str = "wsgi:app") -> Iterator[LiveServer]:
    """`start_server` on the environment's instance folder and port, healthy; stopped after."""
    instance_dir = Path(env["INSTANCE_DIR"])
    log_path = instance_dir / "server.log"
    process = start_server(env, log_path, app)
    server = LiveServer(f"http://127.0.0.1:{env['PORT']}", instance_dir, log_path, process)
    try:
        wait_until_healthy(server)
        yield server
    finally:
        stop(process)


@pytest.fixture(scope="module")
def live_server(prepared_instance, tmp_path_factory):
    instance_dir = copy_instance(prepared_instance, tmp_path_factory)
    with running_server(server_env(instance_dir, free_port())) as server:
        yield server


def p95(seconds: list[float]) -> float:
    """The 95th percentile, as the nearest sample at or below it."""
    ordered = sorted(seconds)
    return ordered[max(0, int(len(ordered) * 0.95) - 1)]


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


@contextmanager
def two_servers(base: Path, *, redis_url: str, name: str) -> Iterator[tuple[list, list[dict]]]:
    """Two app processes on different ports sharing a new PostgreSQL database (dropped after)
    and the Redis at `redis_url`, migrated and seeded as `make run` does, with two admins
    (`ADMIN_EMAIL`, `OTHER_ADMIN`). Yields the servers and their environments."""
    with new_database(name) as database_url:
        database = make_url(database_url).database
        processes, servers, envs = [], [], []
        try:
            ports = [free_port(), free_port()]
            for i, port in enumerate(ports):
                env = server_env(base / f"instance-{i}", port)
                env.update(
                    DATABASE_URL=database_url,
                    REDIS_URL=redis_url,
                    SECRET_KEY=f"{name}-test-{database}",
                    CHAT_PRESENCE_TTL="3",
                    JOBS_IN_PROCESS="0",
                )
                envs.append(env)
            email, display_name, password = OTHER_ADMIN
            flask_cli_batch(
                envs[0],
                command("db", "upgrade"),
                command("seed"),
                create_admin(ADMIN_EMAIL, ADMIN_PASSWORD),
                create_admin(email, password, display_name),
            )
            for i, (env, port) in enumerate(zip(envs, ports, strict=True)):
                log_path = base / f"server-{i}.log"
                processes.append(start_server(env, log_path))
                server = LiveServer(f"http://127.0.0.1:{port}", base, log_path, processes[-1])
                wait_until_healthy(server)
                servers.append(server)
            yield servers, envs
        finally:
            for process in processes:
                stop(process)


@contextmanager
def new_database(name: str) -> Iterator[str]:
    """A new, empty PostgreSQL database on TEST_DATABASE_URL's server (dropped after): its URL.
    The `name` test skips without TEST_DATABASE_URL (fails with REQUIRE_SERVICES=1)."""
    if not TEST_DATABASE_URL:
        missing_service(f"TEST_DATABASE_URL is not set: the {name} test needs PostgreSQL")
    database = f"commons_{name}_{uuid.uuid4().hex[:10]}"
    admin_url = make_url(TEST_DATABASE_URL).set(drivername="postgresql+psycopg")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{database}"'))
    try:
        yield admin_url.set(database=database).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()
