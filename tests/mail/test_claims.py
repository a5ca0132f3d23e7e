"""Claiming: two job runners never send the same message, and a crashed runner's claim is
taken over. Each runner is a thread with its own app context, so its own session and
database connection, against the same database and the same SMTP server."""

import asyncio
import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import update

from community import mail
from community.db import atomic, utcnow
from community.extensions import db
from community.mail import OutboundMail, send_queued

from .conftest import queue_verify, row, rows


@pytest.fixture
def app_settings(smtp_sink):
    return {"SMTP_URL": smtp_sink.url}


class Runner(threading.Thread):
    """A second job runner: send_queued in its own thread and app context."""

    def __init__(self, app, *, rounds: int = 1, barrier: threading.Barrier | None = None):
        super().__init__(daemon=True)
        self.app, self.rounds, self.barrier = app, rounds, barrier
        self.sent: list[int] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with self.app.app_context():
                if self.barrier:
                    self.barrier.wait(timeout=30)
                for _ in range(self.rounds):
                    self.sent.append(send_queued())
                db.session.remove()
        except BaseException as exc:  # reported by the test
            self.error = exc

    def finish(self) -> int:
        self.join(timeout=60)
        assert not self.is_alive(), "runner did not finish"
        if self.error:
            raise self.error
        return sum(self.sent)


def subjects(sink) -> Counter:
    return Counter(m["Subject"] for m in sink.messages)


def set_claim(mail_id: int, *, by: str, until) -> None:
    with atomic():
        db.session.execute(
            update(OutboundMail)
            .where(OutboundMail.id == mail_id)
            .values(claimed_by=by, claimed_until=until)
        )


def test_a_live_claim_is_left_alone_and_a_stale_one_is_taken_over(app, smtp_sink):
    live, stale = queue_verify(subject="live"), queue_verify(subject="stale")
    set_claim(live, by="another-runner", until=utcnow() + timedelta(seconds=60))
    set_claim(stale, by="crashed-runner", until=utcnow() - timedelta(seconds=1))

    assert send_queued() == 1
    assert subjects(smtp_sink) == {"stale": 1}

    # Once the live claim runs out without its runner finishing, it is taken over too.
    assert send_queued(now=utcnow() + timedelta(seconds=61)) == 1
    assert subjects(smtp_sink) == {"stale": 1, "live": 1}
    assert send_queued(now=utcnow() + timedelta(days=1)) == 0


def test_a_second_runner_takes_only_what_the_first_has_not_claimed(app, smtp_sink):
    app.config["MAIL_BATCH_SIZE"] = 2
    for n in range(4):
        queue_verify(subject=f"message {n}")
    second = Runner(app)

    async def start_second_runner_while_the_first_sends(envelope):
        if second.ident is None:
            second.start()  # it sends through this same server while we wait
            await asyncio.to_thread(second.join, 60)

    smtp_sink.before_data = start_second_runner_while_the_first_sends

    assert send_queued() == 2
    assert second.finish() == 2
    assert subjects(smtp_sink) == {f"message {n}": 1 for n in range(4)}
    assert all(m.sent_at is not None for m in rows())


def test_a_runner_whose_claim_ran_out_does_not_send_what_another_took_over(
    app, smtp_sink, monkeypatch
):
    """The first runner is slow on message 0, slower than its claims are renewed; its claim
    on message 1 runs out meanwhile and a second runner sends message 1. The first must then
    skip it, not send it again."""
    monkeypatch.setattr(mail, "RENEW_EVERY", 0.2)
    ids = [queue_verify(subject=f"message {n}") for n in range(2)]
    second = Runner(app)

    async def expire_and_take_over(envelope):
        if second.ident is None:
            await asyncio.to_thread(_expire_claim_in_new_context, app, ids[1])
            second.start()
            await asyncio.to_thread(second.join, 60)
            await asyncio.sleep(0.3)  # message 0 outlasts the renewal interval

    smtp_sink.before_data = expire_and_take_over

    assert send_queued() == 1
    assert second.finish() == 1
    assert subjects(smtp_sink) == {"message 0": 1, "message 1": 1}
    assert row(ids[1]).attempts == 1


def _expire_claim_in_new_context(app, mail_id: int) -> None:
    with app.app_context():
        mail = db.session.get(OutboundMail, mail_id)
        set_claim(mail_id, by=mail.claimed_by, until=utcnow() - timedelta(seconds=1))
        db.session.remove()


def test_concurrent_runners_deliver_each_message_exactly_once(app, smtp_sink):
    app.config["MAIL_BATCH_SIZE"] = 3
    count = 15
    for n in range(count):
        queue_verify(subject=f"message {n}")

    async def slow_server(envelope):
        await asyncio.sleep(0.02)  # keeps both runners busy at the same time

    smtp_sink.before_data = slow_server
    barrier = threading.Barrier(2)
    runners = [Runner(app, rounds=count, barrier=barrier) for _ in range(2)]
    for runner in runners:
        runner.start()
    total = sum(runner.finish() for runner in runners)

    assert total == count
    assert subjects(smtp_sink) == {f"message {n}": 1 for n in range(count)}
    assert all(m.sent_at is not None and m.attempts == 1 for m in rows())
