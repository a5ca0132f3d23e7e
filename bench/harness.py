"""Shared pieces of the benchmarks: servers in subprocesses, a load loop, and RESULTS.md."""

import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
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


def run_command(env: dict, *args: str, stdin: str | None = None) -> str:
    """A command's output; its own output and errors in the exception when it fails."""
    result = subprocess.run(
        args, env=env, input=stdin, capture_output=True, text=True, check=False, cwd=ROOT
    )
    if result.returncode:
        raise RuntimeError(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def flask_cli(env: dict, *args: str, stdin: str | None = None) -> str:
    return run_command(env, str(VENV_BIN / "flask"), "--app", "community", *args, stdin=stdin)


@dataclass
class Server:
    """A gunicorn master started by `serve`, and where it listens."""

    url: str
    process: subprocess.Popen

    def worker_pids(self) -> list[int]:
        """The master's worker processes (one with gunicorn.conf.py)."""
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()]


@contextmanager
def serve(
    env: dict,
    app: str = "wsgi:app",
    *,
    health: str = "/healthz",
    options: tuple[str, ...] = (),
    log_path: Path | None = None,
):
    """The production command (gunicorn.conf.py, then `options`) on a free port; yields the
    Server once `health` answers."""
    port = free_port()
    env = {**env, "HOST": "127.0.0.1", "PORT": str(port)}
    log = open(log_path or os.devnull, "w")  # noqa: SIM115 (closed below)
    command = [
        str(VENV_BIN / "gunicorn"),
        "-c",
        "gunicorn.conf.py",
        "--access-logfile",
        "/dev/null",
        *options,
    ]
    proc = subprocess.Popen(
        [*command, app], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    server = Server(f"http://127.0.0.1:{port}", proc)
    try:
        wait_until_up(server.url + health)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the group started above
            proc.wait(timeout=10)
        log.close()


@contextmanager
def gunicorn(env: dict, app: str = "wsgi:app", log_path: Path | None = None):
    """The production command (gunicorn.conf.py) on a free port; yields the base URL."""
    health = "/healthz" if app == "wsgi:app" else "/"
    with serve(env, app, health=health, log_path=log_path) as server:
        yield server.url


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_until_up(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=5).status_code < 500:
                return
        except (requests.ConnectionError, requests.Timeout):  # not listening, or warming up
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


@dataclass
class Wrk:
    """What wrk measured on one URL."""

    rps: float
    p50: float  # seconds
    p99: float
    requests: int
    timeouts: int


WRK = "/usr/bin/wrk"
_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


def wrk(
    url: str,
    *,
    seconds: float,
    connections: int = 8,
    threads: int = 2,
    headers: dict[str, str] | None = None,
) -> Wrk:
    """Keep `connections` keep-alive connections busy on `url` with wrk (--latency: the p50
    and p99 come from its full histogram). Any response other than 2xx or 3xx, and any
    connect, read or write error, is a failed run."""
    command = [WRK, f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency",
               "--timeout", "10s"]  # fmt: skip
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True, timeout=seconds + 60
    ).stdout
    return parse_wrk(out, url)


def parse_wrk(out: str, url: str) -> Wrk:
    """The figures of wrk's report (with --latency); an error response or a connect, read or
    write error fails the run."""
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        raise RuntimeError(f"wrk: {m.group(1)} error responses from {url}\n{out}")
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if errors and any(int(n) for n in errors.groups()[:3]):
        raise RuntimeError(f"wrk: socket errors on {url}\n{out}")

    def latency(percent: int) -> float:
        value, unit = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M).groups()
        return float(value) * _UNITS[unit]

    return Wrk(
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        p50=latency(50),
        p99=latency(99),
        requests=int(re.search(r"(\d+) requests in", out).group(1)),
        timeouts=int(errors.group(4)) if errors else 0,
    )


def memory_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process in MB: its resident memory now and at its peak."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return tuple(int(fields[name].split()[0]) / 1024 for name in ("VmRSS", "VmHWM"))


DEMO_ADMIN = ("admin@demo.example", "commons-demo")  # `flask demo load`'s admin


def sign_in(base: str, email: str = DEMO_ADMIN[0], password: str = DEMO_ADMIN[1]) -> dict:
    """Sign in through the login form; returns the session cookies."""
    s = requests.Session()
    html = s.get(base + "/auth/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    r = s.post(
        base + "/auth/login",
        data={"csrf_token": token, "email": email, "password": password},
        allow_redirects=False,
    )
    if r.status_code != 302:
        raise RuntimeError(f"could not sign in as {email}: {r.status_code}")
    return s.cookies.get_dict()


def cookie_header(cookies: dict) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def machine() -> str:
    python = platform.python_version()
    return f"{platform.node()}: {os.cpu_count()} cores, {platform.platform()}, Python {python}"


HEADER = """# Benchmark results

Written by `make bench`. Figures are compared as ratios against a baseline measured in the same
run: these machines are shared and noisy.
"""


def write_section(name: str, body: str, path: Path = RESULTS) -> None:
    """Replace (or add) the section `## name` in RESULTS.md (or `path`) with a dated body."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = f"## {name}\n\n_Measured {stamp} on {machine()}._\n\n{body.strip()}\n"
    text = path.read_text() if path.exists() else HEADER
    parts = text.split("\n## ")
    head, sections = parts[0], {p.split("\n", 1)[0]: "## " + p for p in parts[1:]}
    sections[name] = section
    path.write_text(
        head.rstrip() + "\n\n" + "\n".join(s.rstrip() + "\n" for s in sections.values())
    )
