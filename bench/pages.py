"""Page benchmark: how fast the production server answers the main pages on the demo network,
as a ratio of a bare Flask page on the same server stack (measured in the same run)."""

import re
import tempfile
from pathlib import Path

import requests

from .harness import ROOT, flask_cli, gunicorn, load, summary_ms, write_section

SECONDS = 8
CONCURRENCY = 8


def _sign_in(base: str) -> dict:
    s = requests.Session()
    html = s.get(base + "/auth/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    r = s.post(
        base + "/auth/login",
        data={"csrf_token": token, "email": "admin@demo.example", "password": "commons-demo"},
        allow_redirects=False,
    )
    assert r.status_code == 302, r.text
    return s.cookies.get_dict()


def run() -> str:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        env = {"PATH": str(Path(ROOT / ".venv/bin").resolve()) + ":/usr/bin:/bin",
               "INSTANCE_DIR": tmp, "LOG_LEVEL": "WARNING", "JOBS_IN_PROCESS": "0"}  # fmt: skip
        flask_cli(env, "db", "upgrade")
        flask_cli(env, "seed")
        flask_cli(env, "demo", "load")
        with gunicorn({**env, "PYTHONPATH": str(ROOT)}, app="bench.baseline_app:app") as base:
            rps, lat = load(base + "/", seconds=SECONDS, concurrency=CONCURRENCY)
            baseline = rps
            rows.append(("bare Flask page (baseline)", rps, lat))
        with gunicorn(env) as base:
            cookies = _sign_in(base)
            for label, path, signed_in in [
                ("/healthz", "/healthz", False),
                ("/ anonymous", "/", False),
                ("/ signed in", "/", True),
                ("/c/procurement", "/c/procurement", True),
                ("/c/procurement/members", "/c/procurement/members", True),
                ("/members", "/members", True),
                ("/t/1 (a thread)", "/t/1", True),
                ("/search?q=commissioner", "/search?q=commissioner", True),
            ]:
                rps, lat = load(base + path, seconds=SECONDS, concurrency=CONCURRENCY,
                                session_cookies=cookies if signed_in else None)  # fmt: skip
                rows.append((label, rps, lat))
    lines = [
        f"Production server (`gunicorn -c gunicorn.conf.py`, one gevent-websocket worker), demo "
        f"network (60 members, 21 threads), {CONCURRENCY} concurrent keep-alive clients for "
        f"{SECONDS} s per page, load generator on the same cores.",
        "",
        "| page | requests/s | ratio to baseline | latency |",
        "|---|---|---|---|",
    ]
    for label, rps, lat in rows:
        lines.append(f"| {label} | {rps:.0f} | {rps / baseline:.2f} | {summary_ms(lat)} |")
    body = "\n".join(lines)
    write_section("Pages", body)
    return body
