"""The page and search benchmarks' own code (bench/pages.py, bench/search.py): wrk's report
read right, the report's ratios and target checks on made-up measurements, the statement
counter, the options, and a short real wrk run against the bare baseline (marked slow)."""

from collections import Counter
from pathlib import Path

import pytest

from bench import pages, search
from bench.data import Options, server_env
from bench.harness import Wrk, parse_wrk, serve, wrk

WRK_REPORT = """Running 1s test @ http://127.0.0.1:46035/
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.67ms    3.68ms  17.72ms   82.79%
    Req/Sec   710.70    152.79     0.89k    60.00%
  Latency Distribution
     50%  812.00us
     75%    5.89ms
     90%    9.21ms
     99%    1.20s
  719 requests in 1.02s, 257.69KB read
  Socket errors: connect 0, read 0, write 0, timeout 3
Requests/sec:    707.87
Transfer/sec:    253.70KB
"""


def test_wrk_report_is_read_with_its_units():
    result = parse_wrk(WRK_REPORT, "http://x/")
    assert result == Wrk(rps=707.87, p50=pytest.approx(812e-6), p99=1.2, requests=719, timeouts=3)


@pytest.mark.parametrize(
    "line",
    [
        "  Non-2xx or 3xx responses: 12\n",
        "  Socket errors: connect 0, read 4, write 0, timeout 0\n",
    ],
)
def test_an_error_response_or_a_broken_connection_fails_the_run(line):
    report = WRK_REPORT.replace("  Socket errors: connect 0, read 0, write 0, timeout 3\n", line)
    with pytest.raises(RuntimeError, match="wrk:"):
        parse_wrk(report, "http://x/")


def _set(label: str, posts: int, factor: float, backend: str = "sqlite") -> pages.Measured:
    def w(rps: float) -> Wrk:
        return Wrk(rps=rps / factor, p50=0.01 * factor, p99=0.05 * factor, requests=100,
                   timeouts=0)  # fmt: skip

    rows = [
        pages.Row("thread (10,000 posts), first page", "anonymous", "/t/1", w(800), 5, 120.0),
        pages.Row("thread (10,000 posts), first page", "signed in", "/t/1", w(300), 12, 125.0),
        pages.Row("member directory", "anonymous", "/members", skipped="signs in first"),
    ]
    return pages.Measured(f"{label}: data", label, backend, posts,
                          [w(3000), w(4000), w(5000)], rows, 180.0)  # fmt: skip


def test_report_gives_ratios_to_the_median_baseline_and_checks_the_targets():
    small, large = _set("SQLite, 10,000 posts", 10_000, 1.0), _set("SQLite, 1M", 1_000_000, 2.0)
    for row in large.rows:
        row.path = row.path.replace("/t/1", "/t/77")  # the longest thread of the larger set
    body = pages.report([small, large], Options())

    assert "ratios below are to their median, 4,000/s" in body
    assert (
        "| thread (10,000 posts), first page | anonymous | 800 | 10.0 ms | 50.0 ms | 0.200 | 5 "
        "| 120 MB |" in body
    )
    assert "| member directory | anonymous | — (signs in first) |" in body
    # The larger set: half the throughput against half the baseline, twice the p50.
    assert "| 400 | 20.0 ms | 100.0 ms | 0.200 | 5 | 120 MB | 2.00× |" in body
    assert (
        "- SQLite, 10,000 posts: thread page (first) at 0.200 of the baseline anonymous (target "
        "0.20: met) and 0.075 signed in (target 0.12: NOT met)" in body
    )
    assert (
        "most statements 12 (thread (10,000 posts), first page, signed in; target 10: NOT met)"
        in body
    )
    assert "largest p50 growth is 2.00× (thread (10,000 posts), first page, anonymous; " in body


def test_statements_are_counted_for_one_request(app):
    # /healthz runs one statement of its own (SELECT 1) and nothing else touches the database.
    assert pages.count_statements(app, "/healthz", None) == 1


def test_words_are_picked_by_their_share_of_the_documents():
    vocab = search.Vocabulary(
        documents=100,
        words=Counter({"rare": 1, "some": 12, "many": 30, "most": 49, "half": 52}),
        bigrams=Counter({("some", "many"): 7}),
    )
    assert search.nearest(vocab, 0.10, set()) == ["some"]
    assert search.nearest(vocab, 0.50, {"most"}, n=2) == ["half", "many"]
    assert vocab.share("some", "many") == 0.07


def test_one_set_of_options_serves_both_benchmarks(tmp_path):
    options = Options.parse(
        ["--posts", "1_000_000,10000", "--backends", "postgresql", "--seconds", "2", "--runs",
         "3", "--results", str(tmp_path / "R.md")],
        "python -m bench pages",
    )  # fmt: skip
    assert options.posts == [10_000, 1_000_000]
    assert options.datasets() == [("postgresql", 10_000), ("postgresql", 1_000_000)]
    assert (options.seconds, options.runs) == (2, 3)
    demo = Options.parse(["--source", "demo"], "python -m bench search")
    assert demo.datasets() == [("sqlite", 10_000), ("postgresql", 10_000)]  # one size each
    with pytest.raises(SystemExit):
        Options.parse(["--backends", "mysql"], "python -m bench pages")


@pytest.mark.slow
def test_wrk_measures_the_bare_baseline_on_the_production_server_command(tmp_path: Path):
    with serve(server_env(tmp_path, None), "bench.baseline_app:app", health="/") as bare:
        result = wrk(bare.url + "/", seconds=1, connections=2, threads=1)
    assert result.requests > 0
    assert result.rps > 0
    assert 0 < result.p50 <= result.p99
