"""Page benchmark: the main pages under wrk against the production server command, anonymous
and signed in, at each size and on each backend, as a ratio of a bare Flask page served the
same way in the same run (measured at the start, the middle and the end of each set).

Per page: requests/s, p50 and p99 (wrk --latency), the ratio to the baseline, the statements
one request runs (counted once, in this process, by a test-client request against the same
database) and the server worker's resident memory after the page's run (VmRSS; VmHWM is its
peak). The targets of issue 17 are checked at the end.

`python -m bench pages` (`make bench`): 10,000 and 1,000,000 posts of `flask bench seed`, on
SQLite and PostgreSQL. A quick run: `python -m bench pages --posts 10000 --backends sqlite
--seconds 3`; `--source demo` runs on the small demo network instead of the seed.
"""

import os
import statistics
from dataclasses import dataclass
from urllib.parse import urlencode

import requests

from . import search as search_bench
from .data import BACKENDS, PASSWORD, Dataset, Options, bench_member, run_sets
from .harness import (
    Wrk,
    cookie_header,
    memory_mb,
    serve,
    sign_in,
    wrk,
)

MAX_SECONDS = 60  # the longest wrk run of a slow page


@dataclass
class Row:
    page: str
    who: str  # anonymous, signed in
    path: str
    result: Wrk | None = None
    statements: int | None = None
    rss: float = 0.0
    skipped: str = ""  # why the page was not measured for this visitor


@dataclass
class Measured:
    data: str  # Dataset.describe()
    label: str
    backend: str
    posts: int
    baselines: list[Wrk]
    rows: list[Row]
    peak_rss: float
    load: tuple[float, float] = (0.0, 0.0)  # the 1-minute load average before and after

    @property
    def baseline(self) -> float:
        return statistics.median(b.rps for b in self.baselines)


# --- the pages --------------------------------------------------------------------------------


def page_paths(data: Dataset) -> list[tuple[str, str]]:
    """(label, path) of each page measured, picked from the data: the public community with
    the most threads, its longest thread (first page, and a page in its middle), the resource
    library filtered by its most common kind and community, search for a common word."""
    from sqlalchemy import func, select

    from community.communities.models import Community
    from community.extensions import db
    from community.resources.models import Resource, ResourceCommunity
    from community.threads.models import Thread
    from community.threads.queries import POSTS_PAGE_SIZE

    public = (Community.visibility == "public", Community.archived_at.is_(None))
    with data.app().app_context():
        slug = db.session.scalar(
            select(Community.slug).join(Thread, Thread.community_id == Community.id)
            .where(*public).group_by(Community.id)
            .order_by(func.count(Thread.id).desc(), Community.id).limit(1)
        )  # fmt: skip
        thread_id, posts = db.session.execute(
            select(Thread.id, Thread.post_count).join(Community).where(*public)
            .order_by(Thread.post_count.desc(), Thread.id).limit(1)
        ).one()  # fmt: skip
        kind = db.session.scalar(
            select(Resource.kind).where(Resource.status == "published").group_by(Resource.kind)
            .order_by(func.count().desc(), Resource.kind).limit(1)
        )  # fmt: skip
        resource_slug = db.session.scalar(
            select(Community.slug).join(ResourceCommunity).join(Resource)
            .where(Resource.status == "published", Resource.kind == kind, *public)
            .group_by(Community.id).order_by(func.count().desc(), Community.id).limit(1)
        )  # fmt: skip
    word = search_bench.common_word(data)
    pages = max(1, -(-posts // POSTS_PAGE_SIZE))
    deep = max(1, pages // 2)
    facets = urlencode({"kind": kind or "", "community": resource_slug or ""})
    return [
        ("home", "/"),
        ("community", f"/c/{slug}"),
        (f"thread ({posts:,} posts), first page", f"/t/{thread_id}"),
        (f"thread, page {deep:,} of {pages:,}", f"/t/{thread_id}?page={deep}"),
        ("resource library", "/resources"),
        ("resource library, kind + community facets", f"/resources?{facets}"),
        ("events", "/events"),
        ("member directory", "/members"),
        (f"search “{word}”", "/search?" + urlencode({"q": word})),
    ]


def count_statements(app, path: str, cookies: dict | None) -> int:
    """Statements one request of `path` runs, after one request to warm it (read markers,
    caches). Anonymous requests carry no cookie, as wrk's do."""
    from sqlalchemy import event

    from community.extensions import db

    with app.app_context():
        engine = db.engine
    client = app.test_client(use_cookies=bool(cookies))
    for name, value in (cookies or {}).items():
        client.set_cookie(name, value)
    client.get(path)
    count = 0

    def counted(*_args):
        nonlocal count
        count += 1

    event.listen(engine, "before_cursor_execute", counted)
    try:
        response = client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", counted)
    if response.status_code != 200:
        raise RuntimeError(f"{path}: {response.status_code} in the test client")
    return count


def _check(url: str, headers: dict, signed_in: bool) -> str:
    """Why `url` cannot be measured for this visitor ('' when it answers 200 as expected)."""
    response = requests.get(url, headers=headers, allow_redirects=False, timeout=60)
    if response.status_code in (301, 302, 303) and not signed_in:
        return "signs in first"
    if response.status_code != 200:
        raise RuntimeError(f"{url}: {response.status_code}")
    if signed_in and "/auth/logout" not in response.text:
        raise RuntimeError(f"{url}: not signed in")
    return ""


def measure(data: Dataset, options: Options) -> Measured:
    paths = page_paths(data)
    email = bench_member(data)
    app = data.app()
    rows = [Row(label, who, path) for label, path in paths for who in ("anonymous", "signed in")]
    baselines: list[Wrk] = []
    load_before = os.getloadavg()[0]

    def run(url: str, headers: dict | None = None) -> Wrk:
        """wrk for --seconds, or longer (up to a minute) while too few responses come back in
        that time for a p50 and a p99 (a page of seconds would otherwise read 0 requests/s)."""
        seconds = options.seconds
        while True:
            result = wrk(url, seconds=seconds, connections=options.connections, headers=headers)
            if result.requests >= 2 * options.connections or seconds >= MAX_SECONDS:
                return result
            seconds = min(seconds * 4, MAX_SECONDS)

    with (
        serve(data.env, "bench.baseline_app:app", health="/") as bare,
        serve(data.env) as server,
    ):
        worker = server.worker_pids()[0]
        cookies = sign_in(server.url, email, PASSWORD)
        signed_in = {"Cookie": cookie_header(cookies)}
        middle = len(rows) // 2
        for i, row in enumerate(rows):
            if i in (0, middle):
                baselines.append(run(bare.url + "/"))
            headers = signed_in if row.who == "signed in" else {}
            url = server.url + row.path
            row.skipped = _check(url, headers, row.who == "signed in")
            if row.skipped:
                continue
            for _ in range(3):  # warm the templates
                requests.get(url, headers=headers, timeout=60)
            row.result = run(url, headers)
            if not row.result.requests:
                row.result, row.skipped = None, f"no response within {MAX_SECONDS} s"
                continue
            row.rss = memory_mb(worker)[0]
            row.statements = count_statements(
                app, row.path, cookies if row.who == "signed in" else None
            )
            print(f"   {row.page} ({row.who}): {row.result.rps:.0f}/s, "
                  f"p50 {row.result.p50 * 1000:.1f} ms", flush=True)  # fmt: skip
        baselines.append(run(bare.url + "/"))
        peak = memory_mb(worker)[1]
    return Measured(data.describe(), data.label, data.backend, data.counts["posts"],
                    baselines, rows, peak, (load_before, os.getloadavg()[0]))  # fmt: skip


# --- the report ---------------------------------------------------------------------------------


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def table(m: Measured, smaller: Measured | None) -> list[str]:
    base = m.baseline
    versus = f" | p50 vs {smaller.posts:,} posts" if smaller else ""
    lines = [
        f"### {m.label}",
        "",
        m.data + ".",
        "",
        "Baseline (bare Flask page, same server command) at the start, middle and end: "
        + ", ".join(f"{b.rps:,.0f}/s (p50 {_ms(b.p50)}, p99 {_ms(b.p99)})" for b in m.baselines)
        + f"; ratios below are to their median, {base:,.0f}/s. Load average (1 min) "
        f"{m.load[0]:.1f} before the set, {m.load[1]:.1f} after.",
        "",
        f"| page | visitor | requests/s | p50 | p99 | ratio | statements | RSS{versus} |",
        "|---|---|---|---|---|---|---|---|" + ("---|" if smaller else ""),
    ]
    # The same pages in the same order at each size (their paths differ: the longest thread,
    # the word searched for).
    earlier = dict(enumerate(smaller.rows)) if smaller else {}
    for n, r in enumerate(m.rows):
        if r.result is None:
            lines.append(f"| {r.page} | {r.who} | — ({r.skipped}) | | | | | |"
                         + (" |" if smaller else ""))  # fmt: skip
            continue
        w = r.result
        cells = [r.page, r.who, f"{w.rps:,.0f}", _ms(w.p50), _ms(w.p99), f"{w.rps / base:.3f}",
                 str(r.statements), f"{r.rss:.0f} MB"]  # fmt: skip
        if smaller:
            before = earlier.get(n)
            cells.append(f"{w.p50 / before.result.p50:.2f}×" if before and before.result else "")
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", f"Worker peak memory (VmHWM) over the set: {m.peak_rss:.0f} MB."]
    return lines


def targets(sets: list[Measured]) -> list[str]:
    """Issue 17's page targets, checked on what this run measured."""
    lines = ["### Targets (issue 17)", ""]

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    for m in sets:
        measured = [r for r in m.rows if r.result]
        thread = {r.who: r.result.rps / m.baseline for r in measured
                  if r.page.startswith("thread (")}  # fmt: skip
        worst_p99 = max(measured, key=lambda r: r.result.p99)
        most = max(measured, key=lambda r: r.statements)
        lines += [
            f"- {m.label}: thread page (first) at {thread.get('anonymous', 0):.3f} of the "
            f"baseline anonymous (target 0.20: {verdict(thread.get('anonymous', 0) >= 0.20)}) "
            f"and {thread.get('signed in', 0):.3f} signed in (target 0.12: "
            f"{verdict(thread.get('signed in', 0) >= 0.12)}); worst p99 {_ms(worst_p99.result.p99)}"
            f" ({worst_p99.page}, {worst_p99.who}; target 100 ms: "
            f"{verdict(worst_p99.result.p99 < 0.1)}); most statements {most.statements} "
            f"({most.page}, {most.who}; target 10: {verdict(most.statements <= 10)}); worker "
            f"peak {m.peak_rss:.0f} MB (target 300 MB: {verdict(m.peak_rss < 300)})."
        ]
    for small, large in _pairs(sets):
        ratios = [
            (r.result.p50 / s.result.p50, r)
            for r, s in zip(large.rows, small.rows, strict=True)
            if r.result and s.result
        ]
        worst, row = max(ratios, key=lambda x: x[0])
        lines.append(
            f"- {large.label} against {small.posts:,} posts: the largest p50 growth is "
            f"{worst:.2f}× ({row.page}, {row.who}; target 1.3×: {verdict(worst <= 1.3)})."
        )
    return lines


def _pairs(sets: list[Measured]):
    """(smallest, each larger) measured set of the same backend."""
    for backend in BACKENDS:
        same = sorted((m for m in sets if m.backend == backend), key=lambda m: m.posts)
        for larger in same[1:]:
            yield same[0], larger


def report(sets: list[Measured], options: Options) -> str:
    smallest = {}
    for m in sorted(sets, key=lambda m: m.posts):
        smallest.setdefault(m.backend, m)
    lines = [
        f"wrk ({options.connections} keep-alive connections, 2 threads, {options.seconds:g} s "
        f"per page, on the same 2 cores as the server) against the production server command "
        f"(`gunicorn -c gunicorn.conf.py`: one worker, community.server.FairWebSocketWorker). "
        f"Signed in: an ordinary member in the most communities, its session cookie sent with "
        f'`-H "Cookie: ..."`. Statements: one request of the page in the benchmark\'s own '
        f"process (Flask test client, same database) after one warm-up request, counted by a "
        f"SQLAlchemy `before_cursor_execute` listener. RSS: the gunicorn worker's VmRSS after "
        f"the page's run. Pages that need an account are not measured anonymously (they "
        f"redirect to sign in).",
        "",
    ]
    for m in sets:
        before = smallest[m.backend]
        lines += table(m, before if before is not m else None) + [""]
    lines += targets(sets)
    return "\n".join(lines)


def run(options: Options) -> str:
    return run_sets(options, name="bench_pages", measure=measure, report=report, section="Pages")


def main(argv: list[str]) -> str:
    return run(Options.parse(argv, "python -m bench pages"))
