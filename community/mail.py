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

import binascii
import logging
import os
import smtplib
import ssl
import time
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, getaddresses, parseaddr
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

# How long a claim keeps other runners off a message. The rest of a batch is renewed every
# RENEW_EVERY seconds, so a claim has at least 90 s left when a send starts: one send is a
# few SMTP steps, each bounded by SMTP_URL's timeout.
CLAIM_SECONDS = 120
RENEW_EVERY = 30
MARK_GROUP, MARK_EVERY = 50, timedelta(seconds=1)  # see _Sent
FETCH_GROUP = 50  # rows read at once to send
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
    """Render the message (see render_mail) and queue it in the caller's transaction;
    nothing is sent here."""
    mail = OutboundMail(**render_mail(to, subject, template, headers=headers, **context))
    db.session.add(mail)
    return mail


def render_mail(
    to: str, subject: str, template: str, *, headers: dict | None = None, **context
) -> dict:
    """The columns of a queued message: `mail/<template>.txt` rendered, and `.html` when it
    exists. A batch renders its messages before it takes the write lock and inserts them at
    once (see digests/build.py).

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
    return dict(
        to_addr=to,
        subject=subject,
        text_body=text,
        html_body=html,
        headers="\n".join(header_lines),
    )


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


@dataclass(frozen=True)
class Envelope:
    """A message ready to go: what the SMTP server and the outbox file get."""

    sender: str  # the envelope's From address
    to: str
    data: bytes  # the whole message, CRLF line endings as SMTP wants them
    international: bool  # an address is not ASCII: needs SMTPUTF8 (RFC 6531)


def build_message(mail, sender: str) -> Envelope:
    """The message for a queued row (an OutboundMail or a row of its columns): plain text
    first, then HTML when there is one, both UTF-8 quoted-printable.

    Written out directly (quoted-printable by binascii, encoded words by email.header): the
    email package's message classes cost more than sending the message to a local server,
    which made them the mail job's main cost in a digest batch. An address that is not
    ASCII needs raw UTF-8 headers (RFC 6532), and that rare message is built with them.
    """
    from_address = parseaddr(sender)[1]
    if not f"{from_address}{mail.to_addr}".isascii():
        return Envelope(from_address, mail.to_addr, _international(mail, sender), True)
    head = [_header_line(name, value) for name, value in _headers(mail, sender)]
    head.append("MIME-Version: 1.0")
    if not mail.html_body:
        body = _text_part("plain", mail.text_body)
    else:
        # "=_" never occurs in quoted-printable text, so the boundary cannot either.
        boundary = f"=_commons_{mail.id}_{uuid.uuid4().hex}"
        head.append(f'Content-Type: multipart/alternative; boundary="{boundary}"')
        body = (
            f"\n--{boundary}\n".encode()
            + _text_part("plain", mail.text_body)
            + f"\n--{boundary}\n".encode()
            + _text_part("html", mail.html_body)
            + f"\n--{boundary}--\n".encode()
        )
    data = "\n".join(head).encode() + b"\n" + body
    return Envelope(from_address, mail.to_addr, data.replace(b"\n", b"\r\n"), False)


def _text_part(subtype: str, text: str) -> bytes:
    """A part's headers and its quoted-printable body (for a single part, the end of the
    message's headers)."""
    encoded = binascii.b2a_qp(text.replace("\r\n", "\n").encode(), istext=True)
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"\n'
        "Content-Transfer-Encoding: quoted-printable\n\n"
    ).encode() + encoded


def _header_line(name: str, value: str) -> str:
    """One header, folded and encoded (RFC 2047) only when it must be: most are short
    ASCII. A value with a line break would inject headers: refused."""
    if not _one_line(value):
        raise ValueError(f"build_message: the {name} header has a line break")
    line = f"{name}: {value}"
    if len(line) <= 78 and value.isascii():
        return line
    if value.isascii():
        return _fold(line)
    if name in {"From", "To"}:
        return f"{name}: {formataddr(parseaddr(value), charset='utf-8')}"
    charset = "us-ascii" if value.isascii() else "utf-8"
    return f"{name}: " + Header(value, charset, header_name=name).encode(linesep="\n")


def _fold(line: str) -> str:
    """An ASCII header folded at its spaces into lines of 78 or less where it can be. A
    long word (an unsubscribe link) stays whole on its line: folding before it would put
    a space at the start of the value."""
    words = line.split(" ")
    lines = [words[0]]
    for word in words[1:]:
        if not word or len(lines[-1]) + 1 + len(word) <= 78 or lines[-1].endswith(":"):
            lines[-1] += " " + word
        else:
            lines.append(" " + word)
    return "\n".join(lines)


def _headers(mail, sender: str) -> list[tuple[str, str]]:
    headers = [
        ("From", sender),
        ("To", mail.to_addr),
        ("Subject", mail.subject),
        # RFC 5322: when the message was complete and ready to enter the mail system.
        ("Date", format_datetime(mail.created_at.replace(tzinfo=UTC), usegmt=True)),
        ("Message-ID", message_id(mail, sender)),
    ]
    for line in filter(None, mail.headers.splitlines()):
        name, _, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    return headers


def _international(mail, sender: str) -> bytes:
    msg = EmailMessage()
    for name, value in _headers(mail, sender):
        msg[name] = value
    msg.set_content(mail.text_body)
    if mail.html_body:
        msg.add_alternative(mail.html_body, subtype="html")
    return msg.as_bytes(policy=msg.policy.clone(utf8=True, linesep="\r\n"))


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

    def send(self, envelope: Envelope, mail_id: int) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = utcnow().strftime("%Y%m%dT%H%M%S")
        path = self.directory / f"{stamp}-{mail_id:06d}.eml"
        # Written under another name and renamed, so a reader never sees half a message.
        partial = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
        partial.write_bytes(envelope.data)
        os.replace(partial, path)
        log.info("mail %s to %s written to %s", mail_id, envelope.to, path)


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

    def send(self, envelope: Envelope, mail_id: int) -> None:
        if self.client is None:
            self.client = self._connect()
        try:
            self._transmit(envelope)
        except smtplib.SMTPRecipientsRefused:
            raise  # the server refused this recipient and reset the transaction; go on
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code == 421:  # the server is closing the connection
                self.close()
            raise  # otherwise it refused this message and reset the transaction; go on
        except BaseException:
            self.close()  # the connection is in an unknown state: the next message reconnects
            raise
        log.info("mail %s to %s sent by SMTP", mail_id, envelope.to)

    def _transmit(self, envelope: Envelope) -> None:
        """What smtplib's send_message does, for a message already written out."""
        client = self.client
        options = []
        if envelope.international:
            client.ehlo_or_helo_if_needed()
            if not client.has_extn("smtputf8"):
                raise smtplib.SMTPNotSupportedError(
                    "an address is not ASCII and the server does not offer SMTPUTF8"
                )
            options = ["SMTPUTF8", "BODY=8BITMIME"]
        client.sendmail(envelope.sender, [envelope.to], envelope.data, mail_options=options)

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


def _renew(ids: list[int], token: str, now: datetime) -> None:
    """Extend our claim on the messages of the batch not sent yet."""
    with atomic():
        db.session.execute(
            update(OutboundMail)
            .where(
                OutboundMail.id.in_(ids),
                OutboundMail.claimed_by == token,
                OutboundMail.sent_at.is_(None),
                OutboundMail.failed_at.is_(None),
            )
            .values(claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
        )


_ROW = (
    OutboundMail.id,
    OutboundMail.to_addr,
    OutboundMail.subject,
    OutboundMail.text_body,
    OutboundMail.html_body,
    OutboundMail.headers,
    OutboundMail.created_at,
)


def _fetch(ids: list[int], token: str) -> dict[int, object]:
    """The rows of `ids` still ours and not sent, to send next. A row goes missing when
    another runner took it over: our claim ran out while the batch was slow (the loop fetches
    again after each renewal, so what it holds is never older than RENEW_EVERY and a send)."""
    rows = db.session.execute(
        select(*_ROW).where(
            OutboundMail.id.in_(ids),
            OutboundMail.claimed_by == token,
            OutboundMail.sent_at.is_(None),
            OutboundMail.failed_at.is_(None),
        )
    ).all()
    db.session.rollback()  # send outside any transaction: SMTP may be slow
    return {row.id: row for row in rows}


class _Sent:
    """Messages the server accepted, marked sent in groups: a commit per message was most of
    the job's database time. Marked at least every MARK_EVERY seconds or MARK_GROUP messages,
    so a runner that dies leaves at most that many to go again (same Message-ID)."""

    def __init__(self, token: str, clock):
        self.token, self.clock = token, clock
        self.ids: list[int] = []
        self.addresses: list[str] = []
        self.since = clock()
        self.count = 0

    def add(self, mail_id: int, to_addr: str) -> None:
        self.count += 1
        self.ids.append(mail_id)
        self.addresses.append(to_addr)
        if len(self.ids) >= MARK_GROUP or self.clock() - self.since >= MARK_EVERY:
            self.mark()

    def mark(self) -> None:
        ids, addresses = self.ids, self.addresses
        self.ids, self.addresses, self.since = [], [], self.clock()
        if not ids:
            return
        with atomic():
            result = db.session.execute(
                update(OutboundMail)
                .where(OutboundMail.id.in_(ids), OutboundMail.claimed_by == self.token)
                .values(
                    sent_at=self.clock(), attempts=OutboundMail.attempts + 1, claimed_until=None
                )
            )
        if result.rowcount != len(ids):
            log.warning("%s mail(s) were sent after their claim ran out: they may go twice",
                        len(ids) - result.rowcount)  # fmt: skip
        _tell(addresses, False)


# Callbacks told of the outcomes: callback(addresses, refused) after sends (refused False) or
# a 5xx refusal (True). Accounts counts bounces with it; mail.py imports no domain.
_delivery_hooks: list = []


def on_delivery(callback) -> None:
    """Register `callback(addresses: list[str], refused: bool)`, run outside any
    transaction."""
    if callback not in _delivery_hooks:
        _delivery_hooks.append(callback)


def _tell(addresses: list[str], refused: bool) -> None:
    for callback in _delivery_hooks:
        try:
            callback(addresses, refused)
        except Exception:  # a hook's failure never stops the batch
            db.session.rollback()
            log.exception("delivery hook failed for %s message(s)", len(addresses))


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
    sent, renewed, fetched = _Sent(token, clock), start, {}
    with sender:
        try:
            for position, mail_id in enumerate(ids):
                if (clock() - renewed).total_seconds() >= RENEW_EVERY:
                    sent.mark()
                    renewed = clock()
                    _renew(ids[position:], token, renewed)
                    fetched = {}
                if mail_id not in fetched:
                    fetched = _fetch(ids[position : position + FETCH_GROUP], token)
                mail = fetched.pop(mail_id, None)
                if mail is None:
                    continue
                try:
                    sender.send(build_message(mail, config["MAIL_FROM"]), mail_id)
                except BackendUnavailable as exc:
                    sent.mark()
                    _record_failure(ids[position:], token, exc, clock())
                    break
                except Exception as exc:  # any failure is recorded and retried
                    db.session.rollback()
                    _record_failure([mail_id], token, exc, clock())
                    if is_permanent(exc):
                        _tell([mail.to_addr], True)
                    continue
                sent.add(mail_id, mail.to_addr)
        finally:
            sent.mark()
    return sent.count


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
