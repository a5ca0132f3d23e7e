"""A redis-server of a test's own, on a free port, to stop and start again mid-test."""

import shutil
import signal
import socket
import subprocess
import time

import pytest
import redis

from tests.conftest import missing_service


class RedisServer:
    """A redis-server of the test's own: no snapshot, no append-only file."""

    def __init__(self, binary: str, port: int, workdir):
        self.binary, self.port, self.workdir = binary, port, workdir
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        log = (self.workdir / "redis.log").open("ab")
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        log.close()
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        deadline = time.monotonic() + 15
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"redis-server did not start: {self.workdir / 'redis.log'}")
                time.sleep(0.05)
            finally:
                client.close()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=15)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def own_redis(workdir) -> RedisServer:
    """A redis-server for this test alone (not yet started); skipped without the binary."""
    binary = shutil.which("redis-server")
    if binary is None:
        missing_service("redis-server is not installed: this message-queue test needs it")
    return RedisServer(binary, free_port(), workdir)
