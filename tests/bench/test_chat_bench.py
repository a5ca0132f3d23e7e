"""The chat benchmark's own code (bench/chat.py): its rate search and report on made-up
measurements, and short real runs against real servers (marked slow)."""

import pytest
import redis

from bench import chat
from bench.chat_clients import Step
from bench.harness import HEADER
from tests.conftest import missing_service


def make_step(rate: float, *, clients: int = 100, ok: bool = True, lost: int = 0) -> Step:
    latency = 0.02 if ok else 1.5
    return Step(
        clients=clients,
        rate=rate,
        achieved=rate,
        expected=list(range(int(rate * 3))),
        errors={},
        unacked=0,
        latencies=[latency] * 50 + [latency * 2],
        late=lost,
        dups=0,
        reordered=0,
        dropped=0,
        head=[latency],
        tail=[latency],
        wall=4.0,
        server_cpu_seconds=2.0,
        client_cpu_seconds=1.0,
        lost=lost,
        lossy_clients=min(lost, 1),
    )


class FakeFleet:
    """Stands in for the load generator: a set-up that sustains up to `capacity` msgs/s."""

    def __init__(self, size: int, capacity: float):
        self.size, self.capacity, self.rates = size, capacity, []

    def measure(self, _started, rate, _seconds):
        self.rates.append(rate)
        return make_step(rate, clients=self.size, ok=rate <= self.capacity)


@pytest.mark.parametrize(
    ("capacity", "rates", "best"),
    [
        (70, [20, 40, 80, 60], 60),  # doubles from ~2,000 deliveries/s, then halfway back
        (5, [20, 10, 5, 7.5], 5),  # halves until one is sustained, then halfway up
        (0, [20, 10, 5, 2.5], None),  # stops below the latency rate
    ],
)
def test_rate_search(capacity, rates, best):
    fleet = FakeFleet(100, capacity)
    found, steps = chat.find_max_rate(fleet, [], chat.Options())
    assert fleet.rates == rates
    assert [s.rate for s in steps] == rates
    assert (found.rate if found else None) == best


def test_a_step_with_a_lost_message_or_growing_latency_is_not_sustained():
    assert make_step(10).sustained
    assert not make_step(10, lost=1).sustained
    assert not make_step(10, ok=False).sustained  # p99 over a second
    growing = make_step(10)
    growing.head, growing.tail = [0.02, 0.03], [0.4, 0.5]
    assert not growing.sustained
    assert "falling behind" in growing.faults()


def sizes(label_rates: dict[int, float]) -> list[chat.SizeResult]:
    return [
        chat.SizeResult(
            n,
            {"connected": n, "errors": {}, "seconds": 1.0},
            make_step(2, clients=n),
            make_step(rate, clients=n),
            [make_step(rate, clients=n), make_step(rate * 2, clients=n, ok=False)],
        )
        for n, rate in label_rates.items()
    ]


def test_report_compares_with_the_baseline_and_checks_the_targets():
    runs = {
        chat.BASE_1: sizes({100: 120, 1000: 6}),
        chat.APP_1: sizes({100: 30, 1000: 6}),
        chat.BASE_2: sizes({100: 100, 1000: 5}),
        chat.APP_2: sizes({100: 60, 1000: 5}),
    }
    lock = {
        "step": make_step(20),
        "send_ack_max": 2.4,
        "delivery_gap_lock": 2.0,
        "delivered_during_lock": 100,
        "page_gap_lock": 1.3,
        "page_gap_before": 0.1,
        "page_count_lock": 10,
        "static_gap_lock": 0.2,
        "static_gap_before": 0.1,
        "static_count_lock": 150,
    }
    measured = {
        "pages_idle": {"rps": 50, "latencies": [0.04] * 99 + [0.3]},
        "pages": {
            "rps": 40,
            "latencies": [0.08] * 90 + [0.6] * 10,
            "chat": make_step(2, clients=1000),
        },
        "storm": {
            "joined": 50,
            "in_room": 1000,
            "seconds": 8.0,
            "server_cpu": 3.8,
            "deliveries": 8_000,
            "arrivals": 50_000,
            "complete": True,
        },
        "sqlite": lock,
        "sqlite_threading": lock,
        "gevent": sizes({100: 30, 1000: 4}),
        "gthread": {"threads": 20, "wanted": 30, "connected": 20, "errors": {"TimeoutError": 10}},
        "problems": [],
        "scaled_database": "PostgreSQL",
        "load_before": (0.5, 0, 0),
        "load_after": (1.5, 0, 0),
    }
    body = chat.report(runs, measured, chat.Options())

    assert "| Commons, 1 process | 100 of 100 | 1.0 s | 20 / 40 / 40 ms | 0 / 0 | 30/s" in body
    assert "| 1 | 100 | 0.25 |" in body  # 30/s against the baseline's 120/s
    assert "| 2 + Redis | 100 | 0.60 |" in body
    assert (
        "- Fan-out throughput ≥ 50% of the bare baseline (1 process): 100 clients 0.25 (NOT met), "
        "1000 clients 1.00 (met)" in body
    )
    assert (
        "p99 delivery under 250 ms at 1,000 clients on one process: 40 ms (the bare baseline, "
        "same run: 40 ms) — met" in body
    )
    assert "with threading mode: 39216 µs, p99 40 ms, sustained 4/s. The candidate is not" in body
    assert "Page p99 under 500 ms with 1000 chat clients connected: 600 ms — NOT met" in body
    assert "sharing PostgreSQL and Redis" in body
    assert "| `-k gthread --threads 20` | threading | 20 of 30" in body
    assert "(50,000 arrivals announced) in 8,000 deliveries, all within 8.0 s" in body
    assert (
        "| GeventWebSocketWorker, gevent | 200 ms (100 ms) | 1300 ms (100 ms) | 150 / 10 |" in body
    )
    for heading in (
        "### Pages while the room is full",
        "### Members joining a full room",
        "### Worker class candidates",
        "### SQLite's write lock",
        "### Targets",
    ):
        assert heading in body


def test_options_from_the_command_line(tmp_path):
    options = chat.Options.parse(
        [
            "--clients", "50,10", "--quick", "--parts", "one,workers", "--storm-members", "5",
            "--results", str(tmp_path),
        ]
    )  # fmt: skip
    assert options.clients == [10, 50]
    assert options.quick
    assert options.storm_members == 5
    assert options.parts == ("one", "workers")
    assert options.results == tmp_path


@pytest.fixture
def bench_redis():
    try:
        redis.Redis.from_url(chat.REDIS_URL, socket_connect_timeout=2).ping()
    except redis.ConnectionError:
        missing_service(f"the chat benchmark needs Redis at {chat.REDIS_URL}")
    yield
    assert redis.Redis.from_url(chat.REDIS_URL).dbsize() == 0  # left as found


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_quick_run_measures_every_setup_and_keeps_the_other_sections(tmp_path, bench_redis):
    results = tmp_path / "RESULTS.md"
    results.write_text(HEADER + "\n## Pages\n\n_Kept as it was._\n")

    body = chat.run(
        chat.Options(
            clients=[3],
            latency_seconds=1.5,
            client_processes=1,  # the short full run below drives several
            quick=True,
            results=results,
            logs=tmp_path / "logs",
        )
    )

    text = results.read_text()
    assert "## Pages\n\n_Kept as it was._\n" in text
    assert "## Chat\n" in text
    assert body in text
    for label in (chat.BASE_1, chat.APP_1, chat.BASE_2, chat.APP_2):
        assert f"| {label} | 3 of 3 |" in body
    # The verdict is reported either way: a quick run on a loaded 2-core machine can count a
    # late message as lost (issue 12's note records one such run); the figure belongs to
    # bench/RESULTS.md, the live chat tests hold the no-loss rule.
    assert "Zero lost or duplicated at the latency rate and at every sustained rate: " in body
    assert "Server logs: no tracebacks" in body


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_a_short_full_run_covers_the_rate_search_and_the_checks(tmp_path):
    body = chat.run(
        chat.Options(
            clients=[4],
            seconds=0.5,
            latency_seconds=1,
            members=4,
            storm_members=10,  # joining a room of 4: each client still learns of each newcomer
            parts=("one", "workers"),
            results=tmp_path / "RESULTS.md",
            logs=tmp_path / "logs",
        )
    )
    assert "| Commons, 1 process | 4 of 4 |" in body
    assert "highest sustained rate" in body
    assert "### SQLite's write lock" in body
    assert "| GeventWebSocketWorker, gevent |" in body
    assert "| `-k gevent`, threading |" in body
    assert "arrivals announced" in body
    assert "| `-k gthread --threads 20` | threading | 20 of 30" in body
