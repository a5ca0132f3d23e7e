"""Shared pieces of the benchmarks: servers in subprocesses, a load loop, and RESULTS.md."""

import os
import platform
import socket
import statistics
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def flask_cli(env: dict, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        [str(VENV_BIN / "flask"), "--app", "community", *args],
        env=env, input=stdin, capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    return result.stdout


@contextmanager
def gunicorn(env: dict, app: str = "wsgi:app", log_path: Path | None = None):
    """The production command (gunicorn.conf.py) on a free port; yields the base URL."""
    port = free_port()
    env = {**env, "HOST": "127.0.0.1", "PORT": str(port)}
    log = open(log_path or os.devnull, "w")  # noqa: SIM115 (closed below)
    command = [
        str(VENV_BIN / "gunicorn"),
        "-c",
        "gunicorn.conf.py",
        "--access-logfile",
        "/dev/null",
    ]
    proc = subprocess.Popen(
        [*command, app], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + "/healthz" if app == "wsgi:app" else base + "/")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        log.close()


def wait_until_up(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=1).status_code < 500:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server at {url} did not come up")


def load(url: str, *, seconds: float, concurrency: int, session_cookies: dict | None = None):
    """GET `url` from `concurrency` threads for `seconds`; returns (requests/s, latencies)."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def worker():
        nonlocal errors
        s = requests.Session()
        if session_cookies:
            s.cookies.update(session_cookies)
        mine, bad = [], 0
        while time.monotonic() < stop_at:
            t0 = time.perf_counter()
            r = s.get(url, timeout=10)
            mine.append(time.perf_counter() - t0)
            bad += r.status_code != 200
        with lock:
            latencies.extend(mine)
            errors += bad

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    if errors:
        raise RuntimeError(f"{errors} non-200 responses from {url}")
    return len(latencies) / elapsed, latencies


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def summary_ms(latencies: list[float]) -> str:
    return (
        f"p50 {percentile(latencies, 50) * 1000:.1f} ms, "
        f"p99 {percentile(latencies, 99) * 1000:.1f} ms, "
        f"mean {statistics.fmean(latencies) * 1000:.1f} ms"
    )


def machine() -> str:
    python = platform.python_version()
    return f"{platform.node()}: {os.cpu_count()} cores, {platform.platform()}, Python {python}"


HEADER = """# Benchmark results

Written by `make bench`. Figures are compared as ratios against a baseline measured in the same
run: these machines are shared and noisy.
"""


def write_section(name: str, body: str) -> None:
    """Replace (or add) the section `## name` in RESULTS.md with a dated body."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = f"## {name}\n\n_Measured {stamp} on {machine()}._\n\n{body.strip()}\n"
    text = RESULTS.read_text() if RESULTS.exists() else HEADER
    parts = text.split("\n## ")
    head, sections = parts[0], {p.split("\n", 1)[0]: "## " + p for p in parts[1:]}
    sections[name] = section
    RESULTS.write_text(
        head.rstrip() + "\n\n" + "\n".join(s.rstrip() + "\n" for s in sections.values())
    )
