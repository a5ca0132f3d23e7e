"""The mail queue: mail is written in the transaction that caused it and sent by a job.

`queue_mail` renders the message and adds a row; the row commits, or rolls back, with the
change that caused it. `send_queued` (run by the job loop every few seconds) claims due rows,
hands them to the backend and records the outcome. With `SMTP_URL` the backend is SMTP;
without it (the embedded mode) each message is written as an `.eml` file to
`instance/outbox/` and its path logged. A failed send is retried with backoff, so mail
survives an SMTP outage. No request ever talks to an SMTP server.

Delivery is at least once: a runner that dies after the server accepted a message but before
the row was marked sent leaves a claim that expires, and the message goes again. Its
Message-ID stays the same on every attempt, so the duplicate can be recognised.
"""

import logging
import os
import smtplib
import ssl
import time
import unicodedata
import uuid
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, parseaddr
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app, render_template
from jinja2 import TemplateNotFound
from sqlalchemy import String, Text, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from .db import atomic, utcnow
from .extensions import db
from .jobs import register_job

log = logging.getLogger(__name__)

# How long a claim keeps other runners off a message. It is renewed just before each send,
# so it only has to outlast one send (SMTP_URL's timeout bounds each step of that).
CLAIM_SECONDS = 120
SEND_EVERY = timedelta(seconds=3)  # how often the job loop sends the due messages
SUBJECT_MAX = 300  # OutboundMail.subject's length
ADDRESS_MAX = 254  # OutboundMail.to_addr's length, and RFC 5321's limit for a path
ERROR_MAX = 500

# Headers that the queue sets itself, or that would change who receives the message or how
# it is parsed: a caller may not pass them in `headers`.
RESERVED_HEADERS = frozenset(
    {
        "from",
        "sender",
        "to",
        "cc",
        "bcc",
        "subject",
        "date",
        "message-id",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
        "content-disposition",
        "return-path",
        "received",
    }
)


class OutboundMail(db.Model):
    __tablename__ = "outbound_mail"

    id: Mapped[int] = mapped_column(primary_key=True)
    to_addr: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    headers: Mapped[str] = mapped_column(Text, default="")  # "Name: value" lines
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(40))
    claimed_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    failed_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")


# --- queueing ----------------------------------------------------------------------------


def queue_mail(
    to: str, subject: str, template: str, *, headers: dict | None = None, **context
) -> OutboundMail:
    """Render `mail/<template>.txt` (and `.html` when it exists) and queue the message in the
    caller's transaction; nothing is sent here.

    The subject often carries user data (a thread title), so it is cleaned to one line of at
    most SUBJECT_MAX characters. A recipient or extra header that could inject headers is a
    programming error and raises ValueError now, rather than breaking the mail job later.
    """
    to = _recipient(to)
    subject = clean_subject(subject)
    header_lines = _header_lines(headers or {})
    context.setdefault("site_url", current_app.config["SITE_URL"])
    text = render_template(f"mail/{template}.txt", **context)
    html_name = f"mail/{template}.html"
    try:
        html = render_template(html_name, **context)
    except TemplateNotFound as exc:
        if exc.name != html_name:  # the HTML version exists but includes a missing template
            raise
        html = None
    mail = OutboundMail(
        to_addr=to,
        subject=subject,
        text_body=text,
        html_body=html,
        headers="\n".join(header_lines),
    )
    db.session.add(mail)
    return mail


def _one_line(value: str) -> bool:
    """True when `value` holds no line break of any kind (what the email package refuses)
    and no NUL."""
    return "\0" not in value and "".join(value.splitlines()) == value


def clean_subject(subject: str) -> str:
    """One line: runs of whitespace (line breaks included) become one space, other control
    characters go, and a subject longer than the column is cut with an ellipsis."""
    subject = " ".join(subject.split())
    subject = "".join(c for c in subject if unicodedata.category(c) != "Cc")
    if len(subject) > SUBJECT_MAX:
        subject = subject[: SUBJECT_MAX - 1].rstrip() + "…"
    return subject


def _recipient(to: str) -> str:
    to = to.strip()
    if not to or len(to) > ADDRESS_MAX or not _one_line(to) or any(c.isspace() for c in to):
        raise ValueError("queue_mail: the recipient must be one address on one line")
    pairs = getaddresses([to])
    if len(pairs) != 1 or pairs[0] != ("", to) or to.count("@") != 1:
        raise ValueError("queue_mail: the recipient must be exactly one bare address")
    return to


def _header_lines(headers: dict) -> list[str]:
    lines = []
    for name, value in headers.items():
        name, value = str(name), str(value)
        # RFC 5322 field names: printable ASCII except the colon.
        if not name or not all("!" <= c <= "~" and c != ":" for c in name):
            raise ValueError(f"queue_mail: {name!r} is not a valid header name")
        if name.lower() in RESERVED_HEADERS:
            raise ValueError(f"queue_mail: the {name} header is set by the mail queue")
        if not _one_line(value):
            raise ValueError(f"queue_mail: the value of the {name} header has a line break")
        lines.append(f"{name}: {value.strip()}")
    return lines


# --- building ----------------------------------------------------------------------------


def message_id(mail: OutboundMail, sender: str) -> str:
    """The same on every attempt, so a receiver can recognise a message sent twice. No
    make_msgid(): it looks up this host's FQDN, which can stall on DNS."""
    domain = parseaddr(sender)[1].rpartition("@")[2]
    if not domain or not domain.isascii():
        domain = "commons.invalid"
    return f"<{mail.created_at:%Y%m%d%H%M%S%f}.{mail.id}.commons@{domain}>"


def build_message(mail: OutboundMail, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = mail.to_addr
    msg["Subject"] = mail.subject
    # RFC 5322: when the message was complete and ready to enter the mail system.
    msg["Date"] = format_datetime(mail.created_at.replace(tzinfo=UTC), usegmt=True)
    msg["Message-ID"] = message_id(mail, sender)
    for line in filter(None, mail.headers.splitlines()):
        name, _, value = line.partition(":")
        msg[name.strip()] = value.strip()
    msg.set_content(mail.text_body)
    if mail.html_body:
        msg.add_alternative(mail.html_body, subtype="html")
    return msg


def as_bytes(msg: EmailMessage) -> bytes:
    """The message as a file holds it. An address with a non-ASCII local part can only be
    written as raw UTF-8 (RFC 6532); everything else keeps the ASCII encodings."""
    addresses = f"{msg['From']}{msg['To']}"
    policy = msg.policy if addresses.isascii() else msg.policy.clone(utf8=True)
    return msg.as_bytes(policy=policy)


# --- backends ----------------------------------------------------------------------------


class BackendUnavailable(Exception):
    """The mail server could not be reached or refused our login: no message of this batch
    can go, so the whole batch is put back."""


class OutboxBackend:
    """The embedded mode's backend: one `.eml` file per message in `instance/outbox/`."""

    def __init__(self, directory: Path):
        self.directory = directory

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        pass

    def send(self, msg: EmailMessage, mail_id: int) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = utcnow().strftime("%Y%m%dT%H%M%S")
        path = self.directory / f"{stamp}-{mail_id:06d}.eml"
        # Written under another name and renamed, so a reader never sees half a message.
        partial = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
        partial.write_bytes(as_bytes(msg))
        os.replace(partial, path)
        log.info("mail %s to %s written to %s", mail_id, msg["To"], path)


class SMTPBackend:
    """SMTP_URL: smtp://[user:password@]host[:port][?starttls=1][&timeout=20] or smtps://…
    (implicit TLS). Percent-encode special characters in the user name and password.

    Used as a context manager for one batch: the connection is opened at the first message,
    reused for the rest, and reopened after a message that broke it.
    """

    def __init__(self, url: str):
        # Error messages here never quote the URL: it may hold the password.
        try:
            parts = urlsplit(url)
            port = parts.port
            query = parse_qs(parts.query)
            self.starttls = query.get("starttls", ["0"])[0].lower() in {"1", "true", "yes"}
            self.timeout = float(query.get("timeout", ["20"])[0])
        except ValueError:
            raise ValueError(
                "SMTP_URL is malformed: smtp://user:password@host:port, with special "
                "characters in the user name and password percent-encoded"
            ) from None
        if parts.scheme not in {"smtp", "smtps"}:
            raise ValueError("SMTP_URL must start with smtp:// or smtps://")
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname or "127.0.0.1"
        self.port = port or (465 if self.implicit_tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.client: smtplib.SMTP | None = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        try:
            if self.implicit_tls:
                client = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=context
                )
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            try:
                if self.starttls:
                    client.starttls(context=context)
                if self.username:
                    client.login(self.username, self.password or "")
            except BaseException:
                client.close()
                raise
        except OSError as exc:  # smtplib.SMTPException is an OSError too
            raise BackendUnavailable(describe_error(exc)) from exc
        return client

    def send(self, msg: EmailMessage, mail_id: int) -> None:
        if self.client is None:
            self.client = self._connect()
        try:
            self.client.send_message(msg)
        except smtplib.SMTPRecipientsRefused:
            raise  # the server refused this recipient and reset the transaction; go on
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code == 421:  # the server is closing the connection
                self.close()
            raise  # otherwise it refused this message and reset the transaction; go on
        except BaseException:
            self.close()  # the connection is in an unknown state: the next message reconnects
            raise
        log.info("mail %s to %s sent by SMTP", mail_id, msg["To"])

    def close(self) -> None:
        client, self.client = self.client, None
        if client is None:
            return
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()


def backend():
    config = current_app.config
    if config.get("SMTP_URL"):
        return SMTPBackend(config["SMTP_URL"])
    return OutboxBackend(Path(config["INSTANCE_DIR"]) / "outbox")


# --- sending -----------------------------------------------------------------------------


def _claim(batch_size: int, now: datetime) -> tuple[str, list[int]]:
    """Mark up to `batch_size` due messages as ours for a while, so two job runners never
    send the same message. On PostgreSQL the rows are locked and skipped by the others; on
    SQLite the write lock taken by atomic() already serialises the claim. A claim whose time
    has run out (its runner crashed) is taken over."""
    token = uuid.uuid4().hex
    due = (
        select(OutboundMail.id)
        .where(
            OutboundMail.sent_at.is_(None),
            OutboundMail.failed_at.is_(None),
            OutboundMail.next_attempt_at <= now,
            or_(OutboundMail.claimed_until.is_(None), OutboundMail.claimed_until < now),
        )
        .order_by(OutboundMail.next_attempt_at, OutboundMail.id)
        .limit(batch_size)
    )
    if db.engine.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    with atomic():
        ids = list(db.session.scalars(due))
        if ids:
            db.session.execute(
                update(OutboundMail)
                .where(OutboundMail.id.in_(ids))
                .values(claimed_by=token, claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
            )
    return token, ids


def _renew(mail_id: int, token: str, now: datetime) -> bool:
    """Extend our claim on one message just before sending it. False when another runner
    took it over because our claim ran out while earlier messages of the batch were slow."""
    with atomic():
        result = db.session.execute(
            update(OutboundMail)
            .where(
                OutboundMail.id == mail_id,
                OutboundMail.claimed_by == token,
                OutboundMail.sent_at.is_(None),
                OutboundMail.failed_at.is_(None),
            )
            .values(claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
        )
    return result.rowcount == 1


def _mark_sent(mail_id: int, token: str, now: datetime) -> None:
    with atomic():
        result = db.session.execute(
            update(OutboundMail)
            .where(OutboundMail.id == mail_id, OutboundMail.claimed_by == token)
            .values(sent_at=now, attempts=OutboundMail.attempts + 1, claimed_until=None)
        )
    if result.rowcount != 1:
        log.warning("mail %s was sent after its claim ran out: it may go twice", mail_id)


# Callbacks told of each outcome: callback(to_addr, permanent_failure) after a send
# (permanent_failure False) or a 5xx refusal (True). Accounts counts bounces with it; mail.py
# imports no domain.
_delivery_hooks: list = []


def on_delivery(callback) -> None:
    """Register `callback(to_addr: str, refused: bool)`, run outside any transaction."""
    if callback not in _delivery_hooks:
        _delivery_hooks.append(callback)


def _tell(to_addr: str, refused: bool) -> None:
    for callback in _delivery_hooks:
        try:
            callback(to_addr, refused)
        except Exception:  # a hook's failure never stops the batch
            db.session.rollback()
            log.exception("delivery hook failed for %s", to_addr)


def is_permanent(exc: BaseException) -> bool:
    """True when the server answered 5xx: sending again will not help."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(500 <= code <= 599 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return 500 <= exc.smtp_code <= 599
    return False


def retry_delay(attempts: int) -> timedelta:
    """Wait after the n-th failed attempt: 1, 3, 9, 27, 81 minutes, then about 4 and 6 hours,
    so the default 8 attempts ride out an outage of about half a day."""
    return timedelta(seconds=min(60 * 3 ** (attempts - 1), 6 * 3600))


def describe_error(exc: BaseException) -> str:
    """One line, at most ERROR_MAX characters, for last_error and the log."""
    if isinstance(exc, BackendUnavailable):
        text = str(exc)
    else:
        text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return text if len(text) <= ERROR_MAX else text[: ERROR_MAX - 1] + "…"


def send_queued(now: datetime | None = None) -> int:
    """Send the due messages; returns how many were sent. Called by the job loop, outside
    any transaction. A failed send is recorded on its message (and retried later), never
    raised; only a malformed SMTP_URL or a database error raises."""
    if db.session().info.get("atomic"):
        raise RuntimeError("send_queued() runs at the edge (a job), never inside atomic()")
    config = current_app.config
    started, start = time.monotonic(), now or utcnow()

    def clock() -> datetime:  # `now`, moving on as the batch takes time
        return start + timedelta(seconds=time.monotonic() - started)

    sender = backend()  # a malformed SMTP_URL raises here, before anything is claimed
    token, ids = _claim(config["MAIL_BATCH_SIZE"], start)
    sent = 0
    with sender:
        for position, mail_id in enumerate(ids):
            if not _renew(mail_id, token, clock()):
                continue
            try:
                mail = db.session.get(OutboundMail, mail_id)
                msg = build_message(mail, config["MAIL_FROM"])
                db.session.rollback()  # send outside any transaction: SMTP may be slow
                sender.send(msg, mail_id)
            except BackendUnavailable as exc:
                db.session.rollback()
                _record_failure(ids[position:], token, exc, clock())
                break
            except Exception as exc:  # any failure is recorded and retried
                db.session.rollback()
                _record_failure([mail_id], token, exc, clock())
                if is_permanent(exc):
                    _tell(mail.to_addr, True)
                continue
            _mark_sent(mail_id, token, clock())
            _tell(mail.to_addr, False)
            sent += 1
    return sent


def _record_failure(ids: list[int], token: str, exc: Exception, now: datetime) -> None:
    """Count a failed attempt on each message we still hold: retry later, or give up after
    MAIL_MAX_ATTEMPTS. The log gets the error and the addresses, never a message's body."""
    error = describe_error(exc)
    max_attempts = current_app.config["MAIL_MAX_ATTEMPTS"]
    given_up: list[tuple[int, str]] = []
    with atomic():
        mails = db.session.scalars(
            select(OutboundMail)
            .where(
                OutboundMail.id.in_(ids),
                OutboundMail.claimed_by == token,
                OutboundMail.sent_at.is_(None),
            )
            .order_by(OutboundMail.id)
        ).all()
        for mail in mails:
            mail.attempts += 1
            mail.last_error = error
            mail.claimed_until = None
            if mail.attempts >= max_attempts:
                mail.failed_at = now
                given_up.append((mail.id, mail.to_addr))
            else:
                mail.next_attempt_at = now + retry_delay(mail.attempts)
        retried = [(m.id, m.attempts, m.next_attempt_at) for m in mails if m.failed_at is None]
    if isinstance(exc, BackendUnavailable):
        log.warning("mail server unavailable (%s): %s message(s) put back", error, len(mails))
    else:
        for mail_id, attempts, next_at in retried:
            log.warning(
                "mail %s: attempt %s failed (%s); retry at %s", mail_id, attempts, error, next_at
            )
    for mail_id, to_addr in given_up:
        log.error(
            "mail %s to %s failed for good after %s attempts: %s",
            mail_id,
            to_addr,
            max_attempts,
            error,
        )


def register_jobs(app) -> None:
    """The mail job: the queue's due messages, every few seconds."""
    register_job(app, "mail", SEND_EVERY, send_queued)
