"""Queueing mail, and the embedded mode's outbox (no SMTP_URL): one .eml file per message."""

import logging
from datetime import timedelta
from email import policy
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from jinja2 import ChoiceLoader, DictLoader

from community.db import atomic, utcnow
from community.extensions import db
from community.mail import (
    ERROR_MAX,
    SUBJECT_MAX,
    OutboundMail,
    build_message,
    message_id,
    queue_mail,
    send_queued,
)

from .conftest import SECRET, TOKEN_URL, community_log, queue_verify, row, rows


def outbox_files(app) -> list[Path]:
    directory = Path(app.config["INSTANCE_DIR"]) / "outbox"
    return sorted(directory.glob("*.eml")) if directory.exists() else []


def parse_bytes(data: bytes):
    return BytesParser(policy=policy.default).parsebytes(data)


def parse(path: Path):
    return BytesParser(policy=policy.default).parsebytes(path.read_bytes())


def _queue_then_fail() -> None:
    with atomic():
        queue_mail(
            "zoe@example.org",
            "Confirm",
            "verify",
            user=SimpleNamespace(display_name="Zoë"),
            verify_url=TOKEN_URL,
            valid_for="48 hours",
        )
        db.session.flush()  # the row reached the database, inside the transaction
        raise RuntimeError("the change failed")


def test_a_rolled_back_transaction_leaves_no_mail(app):
    with pytest.raises(RuntimeError, match="the change failed"):
        _queue_then_fail()
    assert rows() == []
    assert send_queued() == 0
    assert outbox_files(app) == []


def test_queueing_sends_nothing_until_the_job_runs(app):
    mail_id = queue_verify()
    assert outbox_files(app) == []
    assert row(mail_id).sent_at is None

    assert send_queued() == 1
    assert len(outbox_files(app)) == 1


def test_send_queued_refuses_to_run_inside_a_transaction(app):
    queue_verify()
    with pytest.raises(RuntimeError, match="never inside atomic"), atomic():
        send_queued()
    assert outbox_files(app) == []


def test_the_outbox_gets_one_parseable_file_per_message_and_logs_its_path(app, caplog):
    caplog.set_level(logging.DEBUG, logger="community")
    subject = "Grüße, Zoë — ✓ 你好"
    first = queue_verify("zoe@example.org", subject)
    second = queue_verify("sam@example.org", "Second")

    assert send_queued() == 2

    files = outbox_files(app)
    assert len(files) == 2
    logged = community_log(caplog)
    for path in files:
        assert str(path) in logged
    assert SECRET not in logged

    messages = {m["To"]: m for m in map(parse, files)}
    message = messages["zoe@example.org"]
    assert message["Subject"] == subject
    assert message["From"] == app.config["MAIL_FROM"]
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert TOKEN_URL in text
    assert "Zoë Ançelotti" in text
    assert f'href="{TOKEN_URL}"' in html
    assert "<p>" not in text

    mail = row(first)
    assert mail.sent_at is not None
    assert (mail.attempts, mail.claimed_until, mail.last_error) == (1, None, "")
    assert parsedate_to_datetime(message["Date"]).replace(tzinfo=None) == mail.created_at.replace(
        microsecond=0
    )
    assert message["Message-ID"] == message_id(mail, app.config["MAIL_FROM"])
    assert row(second).sent_at is not None

    assert send_queued() == 0  # sent means sent: nothing goes twice
    assert len(outbox_files(app)) == 2


def test_a_text_only_template_makes_a_plain_message(app, monkeypatch):
    # Every mail of the site has an HTML part (tests/mail/test_templates.py): this one is
    # made up, to show that a template without one still makes a message.
    text_only = DictLoader({"mail/text_only.txt": "Hello {{ user.display_name }}."})
    monkeypatch.setattr(app.jinja_env, "loader", ChoiceLoader([text_only, app.jinja_env.loader]))
    with atomic():
        queue_mail(
            "zoe@example.org",
            "Hello",
            "text_only",
            user=SimpleNamespace(display_name="Zoë"),
        )
    send_queued()
    [path] = outbox_files(app)
    message = parse(path)
    assert message.get_content_type() == "text/plain"
    assert "Zoë" in message.get_content()


def test_an_address_with_a_non_ascii_local_part_is_written_as_utf8(app):
    queue_verify("josé@example.org", "Olá")
    assert send_queued() == 1
    [path] = outbox_files(app)
    assert "josé@example.org".encode() in path.read_bytes()
    message = parse(path)
    assert message["To"] == "josé@example.org"
    assert message["Subject"] == "Olá"


def test_message_ids_are_unique_and_stable_across_attempts(app):
    first, second = queue_verify(), queue_verify()
    sender = app.config["MAIL_FROM"]
    id_one = parse_bytes(build_message(row(first), sender).data)["Message-ID"]
    assert parse_bytes(build_message(row(first), sender).data)["Message-ID"] == id_one
    assert parse_bytes(build_message(row(second), sender).data)["Message-ID"] != id_one
    assert id_one.startswith("<")
    assert id_one.endswith("@localhost>")


# --- header injection and other bad input -------------------------------------------------


def test_a_subject_with_line_breaks_is_cleaned_to_one_line(app):
    mail_id = queue_verify(subject="Hello\r\nBcc: evil@example.org\u2028X-Evil: 1\x00")
    assert row(mail_id).subject == "Hello Bcc: evil@example.org X-Evil: 1"

    send_queued()
    [path] = outbox_files(app)
    message = parse(path)
    assert message["Subject"] == "Hello Bcc: evil@example.org X-Evil: 1"
    assert message["Bcc"] is None
    assert message["X-Evil"] is None


def test_an_over_long_subject_is_cut_to_fit_the_column(app):
    mail_id = queue_verify(subject="Thread title " * 40)  # PostgreSQL would refuse 520 chars
    subject = row(mail_id).subject
    assert SUBJECT_MAX - 5 < len(subject) <= SUBJECT_MAX
    assert subject.endswith("…")


@pytest.mark.parametrize(
    "to",
    [
        "zoe@example.org\r\nBcc: evil@example.org",
        "zoe@exa\nmple.org",
        "zoe@example.org, evil@example.org",
        "Zoë <zoe@example.org>",
        "zoe @example.org",
        "not-an-address",
        "",
        "x" * 250 + "@example.org",
    ],
)
def test_a_bad_recipient_is_refused_when_queued(app, to):
    with pytest.raises(ValueError, match="recipient"), atomic():
        queue_mail(to, "Hi", "password_changed", user=SimpleNamespace(display_name="Zoë"))
    assert rows() == []


@pytest.mark.parametrize(
    ("headers", "error"),
    [
        ({"List-Id": "commons\r\nBcc: evil@example.org"}, "line break"),
        ({"X-Thread": "1\nX-Other: 2"}, "line break"),
        ({"Bcc": "evil@example.org"}, "set by the mail queue"),
        ({"subject": "Another subject"}, "set by the mail queue"),
        ({"Content-Type": "text/html"}, "set by the mail queue"),
        ({"X Bad": "1"}, "not a valid header name"),
        ({"X-Bad:": "1"}, "not a valid header name"),
        ({"": "1"}, "not a valid header name"),
    ],
)
def test_a_header_that_could_inject_headers_is_refused_when_queued(app, headers, error):
    with pytest.raises(ValueError, match=error), atomic():
        queue_mail(
            "zoe@example.org",
            "Hi",
            "password_changed",
            headers=headers,
            user=SimpleNamespace(display_name="Zoë"),
        )
    assert rows() == []


def test_extra_headers_reach_the_message(app):
    headers = {"Reply-To": "helpdesk@example.org", "List-Unsubscribe": "<http://localhost/u>"}
    queue_verify(headers=headers)
    send_queued()
    [path] = outbox_files(app)
    message = parse(path)
    assert message["Reply-To"] == "helpdesk@example.org"
    assert message["List-Unsubscribe"] == "<http://localhost/u>"


def test_long_headers_fold_at_spaces_and_a_long_link_stays_whole(app):
    link = "<http://127.0.0.1:5000/unsubscribe/" + "x" * 90 + ">"
    words = " ".join(["word"] * 40)
    queue_verify(headers={"List-Unsubscribe": link, "X-Words": words})
    send_queued()
    [path] = outbox_files(app)
    data = path.read_bytes()
    message = parse_bytes(data)
    assert message["List-Unsubscribe"] == link
    assert message["X-Words"] == words
    folded = [line for line in data.split(b"\r\n\r\n")[0].split(b"\r\n") if b"word" in line]
    assert len(folded) > 1
    assert all(len(line) <= 78 for line in folded)


def test_a_row_that_cannot_be_built_is_recorded_and_the_batch_goes_on(app):
    """Rows written before queue_mail checked its input (or by hand) must not stop the job."""
    with atomic():
        db.session.add(
            OutboundMail(
                to_addr="old@example.org",
                subject="Old\nBcc: evil@example.org",
                text_body="old",
                headers="",
            )
        )
    good = queue_verify()

    assert send_queued() == 1

    broken, sent = rows()
    assert sent.id == good
    assert sent.sent_at is not None
    assert broken.sent_at is None
    assert broken.attempts == 1
    assert broken.last_error.startswith("ValueError")
    assert broken.claimed_until is None
    assert broken.next_attempt_at > utcnow()
    assert [parse(p)["To"] for p in outbox_files(app)] == ["zoe@example.org"]


def test_an_unwritable_outbox_is_retried_later_and_delivers_once(app, caplog):
    caplog.set_level(logging.DEBUG, logger="community")
    outbox = Path(app.config["INSTANCE_DIR"]) / "outbox"
    outbox.write_text("a file where the outbox folder should be")
    first, second = queue_verify(), queue_verify("sam@example.org")

    assert send_queued() == 0

    for mail in rows():
        assert mail.attempts == 1
        assert mail.sent_at is None
        assert mail.next_attempt_at > utcnow()
        assert len(mail.last_error) <= ERROR_MAX
        assert "\n" not in mail.last_error
    assert SECRET not in community_log(caplog)

    outbox.unlink()
    assert send_queued() == 0  # not due yet: the retry waits
    later = max(m.next_attempt_at for m in rows()) + timedelta(seconds=1)
    assert send_queued(now=later) == 2
    assert send_queued(now=later + timedelta(days=1)) == 0
    assert sorted(parse(p)["To"] for p in outbox_files(app)) == [
        "sam@example.org",
        "zoe@example.org",
    ]
    assert row(first).attempts == row(second).attempts == 2
