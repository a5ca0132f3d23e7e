"""Bounces: 5xx refusals of mail to a member's address count, and at BOUNCE_LIMIT in a row
the address is marked; optional mail then stops, account mail still goes."""

import pytest

from community.accounts.models import BOUNCE_LIMIT, User
from community.digests.choices import may_receive_mail, wants_mail_now
from community.extensions import db
from community.mail import send_queued
from tests.factories import make_user

from .conftest import queue_verify, row, rows


@pytest.fixture
def app_settings(smtp_sink):
    return {"SMTP_URL": smtp_sink.url, "MAIL_FROM": "Commons <noreply@commons.example.org>"}


def member(user_id: int) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


def refusing(sink, reply: str, address: str):
    async def before_data(envelope):
        return reply if address in [r.lower() for r in envelope.rcpt_tos] else None

    sink.before_data = before_data


def send_one(address: str) -> None:
    queue_verify(address)
    send_queued()


def test_three_permanent_refusals_mark_the_member(app, smtp_sink):
    user = make_user(email="bouncy@example.org")
    send_queued()  # the registration mail
    assert wants_mail_now(member(user.id), "mentions")
    refusing(smtp_sink, "550 5.1.1 no such mailbox", "bouncy@example.org")
    for n in range(1, BOUNCE_LIMIT):
        send_one("bouncy@example.org")
        assert member(user.id).bounce_count == n
        assert member(user.id).email_bounced_at is None
    send_one("Bouncy@Example.org")  # the address is matched lower-cased
    marked = member(user.id)
    assert marked.bounce_count == BOUNCE_LIMIT
    assert marked.email_bounced_at is not None
    assert not may_receive_mail(marked)
    assert not wants_mail_now(marked, "mentions")
    # account mail still queues to the marked address
    mail_id = queue_verify("bouncy@example.org")
    assert row(mail_id).to_addr == "bouncy@example.org"


def test_a_temporary_refusal_does_not_count(app, smtp_sink):
    user = make_user(email="busy@example.org")
    send_queued()
    refusing(smtp_sink, "451 4.3.0 try later", "busy@example.org")
    for _ in range(BOUNCE_LIMIT + 1):
        send_one("busy@example.org")
    assert member(user.id).bounce_count == 0
    assert member(user.id).email_bounced_at is None
    assert all(m.sent_at is None for m in rows()[1:])


def test_a_success_in_between_resets_the_count(app, smtp_sink):
    user = make_user(email="flaky@example.org")
    send_queued()
    refusing(smtp_sink, "550 5.1.1 no such mailbox", "flaky@example.org")
    send_one("flaky@example.org")
    send_one("flaky@example.org")
    assert member(user.id).bounce_count == 2
    smtp_sink.before_data = None
    send_one("flaky@example.org")
    assert member(user.id).bounce_count == 0
    refusing(smtp_sink, "550 5.1.1 no such mailbox", "flaky@example.org")
    send_one("flaky@example.org")
    assert member(user.id).bounce_count == 1
    assert member(user.id).email_bounced_at is None


def test_one_refused_address_does_not_stop_the_batch(app, smtp_sink):
    bad = make_user(email="bad@example.org")
    good = make_user(email="good@example.org")
    send_queued()
    refusing(smtp_sink, "550 5.1.1 no such mailbox", "bad@example.org")
    refused = queue_verify("bad@example.org")
    accepted = queue_verify("good@example.org")
    assert send_queued() == 1
    assert row(refused).sent_at is None
    assert row(accepted).sent_at is not None
    assert member(bad.id).bounce_count == 1
    assert member(good.id).bounce_count == 0


def test_a_refusal_to_a_stranger_touches_no_member(app, smtp_sink):
    user = make_user(email="someone@example.org")
    send_queued()
    refusing(smtp_sink, "550 5.1.1 no such mailbox", "stranger@example.org")
    send_one("stranger@example.org")
    assert member(user.id).bounce_count == 0
