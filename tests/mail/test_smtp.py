"""SMTP mode: mail goes to a real SMTP server (aiosmtpd on loopback), and survives its outage."""

import asyncio
import logging
from datetime import timedelta

import pytest

from community.db import utcnow
from community.extensions import db
from community.mail import ERROR_MAX, OutboundMail, send_queued
from tests.factories import PASSWORD

from .conftest import (
    SECRET,
    TOKEN_URL,
    Sink,
    community_log,
    free_port,
    queue_verify,
    row,
    rows,
)

MAIL_FROM = "Commons Network <noreply@commons.example.org>"


@pytest.fixture
def app_settings(smtp_sink):
    return {"SMTP_URL": smtp_sink.url, "MAIL_FROM": MAIL_FROM}


@pytest.fixture
def log_text(caplog):
    caplog.set_level(logging.DEBUG, logger="community")
    return lambda: community_log(caplog)


def due_again(mail_id: int):
    """A moment after the message's retry time: pass as now= instead of waiting."""
    return row(mail_id).next_attempt_at + timedelta(seconds=1)


def test_a_message_arrives_by_smtp_and_parses(app, smtp_sink, log_text):
    subject = "Grüße, Zoë — ✓"
    mail_id = queue_verify("zoe@example.org", subject)
    assert smtp_sink.received == []

    assert send_queued() == 1

    [received] = smtp_sink.received
    assert received.mail_from == "noreply@commons.example.org"
    assert received.rcpt_tos == ["zoe@example.org"]
    message = received.message
    [sender] = message["From"].addresses
    assert (sender.display_name, sender.addr_spec) == (
        "Commons Network",
        "noreply@commons.example.org",
    )
    assert message["To"] == "zoe@example.org"
    assert message["Subject"] == subject
    assert message["Message-ID"].endswith("@commons.example.org>")
    assert message["Date"] is not None
    assert message.get_content_type() == "multipart/alternative"
    assert TOKEN_URL in message.get_body(("plain",)).get_content()
    assert f'href="{TOKEN_URL}"' in message.get_body(("html",)).get_content()

    mail = row(mail_id)
    assert mail.sent_at is not None
    assert mail.attempts == 1
    assert send_queued() == 0
    assert len(smtp_sink.received) == 1
    assert SECRET not in log_text()


def test_a_batch_goes_through_and_each_message_arrives_once(app, smtp_sink):
    for n in range(5):
        queue_verify(f"member{n}@example.org", f"Message {n}")
    assert send_queued() == 5
    assert sorted(r.rcpt_tos[0] for r in smtp_sink.received) == [
        f"member{n}@example.org" for n in range(5)
    ]
    assert all(m.sent_at is not None for m in rows())


def test_a_request_only_queues_the_mail(app, smtp_sink, browser, communities):
    response = browser.submit(
        "/auth/register",
        {
            "email": "sam@example.org",
            "display_name": "Sam Okafor",
            "organisation": "other",
            "organisation_other": "Riverside Enterprise",
            "password": PASSWORD,
            "confirm": PASSWORD,
        },
    )
    assert response.status_code == 200
    assert [m.to_addr for m in rows()] == ["sam@example.org"]
    assert smtp_sink.received == []  # the request talked to no SMTP server

    assert send_queued() == 1
    assert [r.rcpt_tos for r in smtp_sink.received] == [["sam@example.org"]]


def test_a_non_ascii_address_goes_by_smtputf8_where_the_server_offers_it(app, smtp_servers):
    app.config["SMTP_URL"] = smtp_servers.start().url  # no SMTPUTF8
    mail_id = queue_verify("josé@example.org")
    assert send_queued() == 0
    assert "SMTPNotSupportedError" in row(mail_id).last_error

    sink = smtp_servers.start(smtputf8=True)
    app.config["SMTP_URL"] = sink.url
    assert send_queued(now=due_again(mail_id)) == 1
    [received] = sink.received
    assert received.rcpt_tos == ["josé@example.org"]
    assert received.message["To"] == "josé@example.org"


def test_a_subject_cannot_add_recipients(app, smtp_sink):
    queue_verify("zoe@example.org", "Hi\r\nBcc: evil@example.org\r\nCc: evil2@example.org")
    send_queued()
    [received] = smtp_sink.received
    assert received.rcpt_tos == ["zoe@example.org"]
    assert received.message["Bcc"] is None
    assert received.message["Cc"] is None


# --- outage and retries -------------------------------------------------------------------


def test_an_outage_is_recorded_and_the_message_goes_once_the_server_is_back(
    app, smtp_servers, log_text
):
    port = free_port()  # nothing listens here yet
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{port}"
    mail_id = queue_verify()
    before = utcnow()

    assert send_queued() == 0  # and no exception

    mail = row(mail_id)
    assert mail.attempts == 1
    assert "ConnectionRefusedError" in mail.last_error
    assert mail.next_attempt_at > before
    assert (mail.sent_at, mail.failed_at, mail.claimed_until) == (None, None, None)
    assert send_queued() == 0  # not due again yet
    assert row(mail_id).attempts == 1

    sink = smtp_servers.start(port)
    assert send_queued() == 0  # the server is back, but the retry time has not come
    later = due_again(mail_id)
    assert send_queued(now=later) == 1
    assert send_queued(now=later + timedelta(hours=1)) == 0
    assert [r.rcpt_tos for r in sink.received] == [["zoe@example.org"]]
    mail = row(mail_id)
    assert mail.sent_at is not None
    assert mail.attempts == 2
    assert SECRET not in log_text()


def test_an_outage_puts_the_whole_batch_back_after_one_try(app, log_text):
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{free_port()}"
    ids = [queue_verify(f"member{n}@example.org") for n in range(4)]

    assert send_queued() == 0

    assert [row(i).attempts for i in ids] == [1, 1, 1, 1]
    assert all(row(i).next_attempt_at > utcnow() for i in ids)
    logged = log_text()
    assert logged.count("mail server unavailable") == 1
    assert SECRET not in logged


def test_after_max_attempts_a_message_fails_for_good(app, smtp_servers, log_text):
    app.config["MAIL_MAX_ATTEMPTS"] = 3
    port = free_port()
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{port}"
    mail_id = queue_verify()

    now = utcnow()
    delays = []
    for _ in range(3):
        assert send_queued(now=now) == 0
        mail = row(mail_id)
        if mail.failed_at is None:
            delays.append(mail.next_attempt_at - now)
            now = due_again(mail_id)
    mail = row(mail_id)
    assert mail.attempts == 3
    assert mail.failed_at is not None
    assert delays[1] > delays[0] > timedelta(0)  # backoff grows

    sink = smtp_servers.start(port)
    assert send_queued(now=now + timedelta(days=30)) == 0
    assert sink.received == []
    assert row(mail_id).attempts == 3
    logged = log_text()
    assert "failed for good" in logged
    assert SECRET not in logged


def test_a_refused_message_does_not_stop_the_batch_and_long_errors_are_cut(
    app, smtp_sink, log_text
):
    async def refuse_one(envelope):
        if "bounce@example.org" in envelope.rcpt_tos:
            return "554 5.7.1 " + "rejected because of policy " * 100
        return None

    smtp_sink.before_data = refuse_one
    refused = queue_verify("bounce@example.org")
    accepted = queue_verify("zoe@example.org")

    assert send_queued() == 1

    mail = row(refused)
    assert mail.attempts == 1
    assert mail.sent_at is None
    assert mail.failed_at is None
    assert mail.last_error.startswith("SMTPDataError: (554")
    assert len(mail.last_error) <= ERROR_MAX
    assert "\n" not in mail.last_error
    assert row(accepted).sent_at is not None
    assert [r.rcpt_tos for r in smtp_sink.received] == [["zoe@example.org"]]
    assert SECRET not in log_text()


class DropsSecondMessage(Sink):
    """Ends the connection when the client starts its second message: with a 421 reply
    (which makes smtplib close its socket) or by hanging up without one."""

    def __init__(self, how: str):
        super().__init__()
        self.how = how
        self.mail_commands = 0

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        self.mail_commands += 1
        if self.mail_commands == 2:
            if self.how == "hang up":
                server.transport.close()
            else:
                asyncio.get_running_loop().call_soon(server.transport.close)
            return "421 4.3.0 closing the connection"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"


@pytest.mark.parametrize("how", ["421", "hang up"])
def test_a_connection_lost_mid_batch_costs_one_attempt_and_the_batch_goes_on(
    app, smtp_servers, how
):
    """The batch reuses one connection; after it breaks, the next message reconnects."""
    sink = smtp_servers.start(sink=DropsSecondMessage(how))
    app.config["SMTP_URL"] = sink.url
    first, second, third = (queue_verify(f"{n}@example.org") for n in "abc")

    assert send_queued() == 2

    assert [r.rcpt_tos for r in sink.received] == [["a@example.org"], ["c@example.org"]]
    assert row(first).sent_at is not None
    assert row(third).sent_at is not None
    mail = row(second)
    assert mail.sent_at is None
    assert mail.attempts == 1
    assert send_queued(now=due_again(second)) == 1
    assert sink.received[-1].rcpt_tos == ["b@example.org"]


# --- SMTP AUTH (plain connection: aiosmtpd is told not to insist on TLS) -----------------

AUTH_URL = "smtp://commons%40example.org:{password}@127.0.0.1:{port}"


def test_smtp_auth_with_percent_encoded_credentials(app, smtp_servers):
    sink = smtp_servers.start(auth=True)
    app.config["SMTP_URL"] = AUTH_URL.format(password="p%40ss%3Aw%2Frd%231", port=sink.port)
    queue_verify()
    assert send_queued() == 1
    [received] = sink.received
    assert received.login == "commons@example.org"


def test_a_refused_login_is_retried_and_never_logs_the_password(app, smtp_servers, log_text):
    sink = smtp_servers.start(auth=True)
    app.config["SMTP_URL"] = AUTH_URL.format(password="wr0ng-Passw0rd", port=sink.port)
    mail_id = queue_verify()

    assert send_queued() == 0

    mail = row(mail_id)
    assert mail.attempts == 1
    assert mail.sent_at is None
    assert "SMTPAuthenticationError" in mail.last_error
    assert "wr0ng-Passw0rd" not in mail.last_error
    logged = log_text()
    assert "wr0ng-Passw0rd" not in logged
    assert SECRET not in logged
    assert sink.received == []


@pytest.mark.parametrize(
    "url", ["smtp://user:pa/ss@127.0.0.1:25", "smtp://127.0.0.1:notaport", "http://x"]
)
def test_a_malformed_smtp_url_claims_nothing_and_does_not_echo_itself(app, url):
    app.config["SMTP_URL"] = url
    mail_id = queue_verify()
    with pytest.raises(ValueError, match="SMTP_URL") as info:
        send_queued()
    assert "pa/ss" not in str(info.value)
    assert "notaport" not in str(info.value)
    mail = db.session.get(OutboundMail, mail_id)
    assert (mail.claimed_by, mail.attempts) == (None, 0)
