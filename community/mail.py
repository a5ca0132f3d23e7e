"""The mail queue: mail is written in the transaction that caused it and sent by a job.

`queue_mail` renders the message and adds a row; the row commits, or rolls back, with the
change that caused it. `send_queued` (run by the job loop every few seconds) claims due rows,
hands them to the backend and records the outcome. With `SMTP_URL` the backend is SMTP;
without it (the embedded mode) each message is written as an `.eml` file to
`instance/outbox/` and its path logged. A failed send is retried with backoff, so mail
survives an SMTP outage. No request ever talks to an SMTP server.
"""

import logging
import smtplib
import ssl
import uuid
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app, render_template
from sqlalchemy import String, Text, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from .db import atomic, utcnow
from .extensions import db

log = logging.getLogger(__name__)
CLAIM_SECONDS = 120


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


def queue_mail(
    to: str, subject: str, template: str, *, headers: dict | None = None, **context
) -> OutboundMail:
    """Render `mail/<template>.txt` (and `.html` when it exists) and queue the message."""
    context.setdefault("site_url", current_app.config["SITE_URL"])
    text = render_template(f"mail/{template}.txt", **context)
    try:
        html = render_template(f"mail/{template}.html", **context)
    except Exception as exc:  # no HTML version of this mail
        if type(exc).__name__ != "TemplateNotFound":
            raise
        html = None
    mail = OutboundMail(
        to_addr=to,
        subject=subject,
        text_body=text,
        html_body=html,
        headers="\n".join(f"{k}: {v}" for k, v in (headers or {}).items()),
    )
    db.session.add(mail)
    return mail


def build_message(mail: OutboundMail, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = mail.to_addr
    msg["Subject"] = mail.subject
    msg["Date"] = format_datetime(mail.created_at.replace(tzinfo=UTC), usegmt=True)
    msg["Message-ID"] = make_msgid(idstring=f"commons{mail.id}")
    for line in filter(None, mail.headers.splitlines()):
        name, _, value = line.partition(": ")
        msg[name] = value
    msg.set_content(mail.text_body)
    if mail.html_body:
        msg.add_alternative(mail.html_body, subtype="html")
    return msg


class OutboxBackend:
    """The embedded mode's backend: one `.eml` file per message in `instance/outbox/`."""

    def __init__(self, directory: Path):
        self.directory = directory

    def send(self, msg: EmailMessage, mail_id: int) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = utcnow().strftime("%Y%m%dT%H%M%S")
        path = self.directory / f"{stamp}-{mail_id:06d}.eml"
        path.write_bytes(bytes(msg))
        log.info("mail %s to %s written to %s", mail_id, msg["To"], path)


class SMTPBackend:
    """SMTP_URL: smtp://[user:password@]host[:port][?starttls=1] or smtps://… (implicit TLS)."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        if parts.scheme not in {"smtp", "smtps"}:
            raise ValueError("SMTP_URL must start with smtp:// or smtps://")
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (465 if self.implicit_tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        query = parse_qs(parts.query)
        self.starttls = query.get("starttls", ["0"])[0] in {"1", "true", "yes"}
        self.timeout = float(query.get("timeout", ["20"])[0])

    def send(self, msg: EmailMessage, mail_id: int) -> None:
        context = ssl.create_default_context()
        if self.implicit_tls:
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with client:
            if self.starttls:
                client.starttls(context=context)
            if self.username:
                client.login(self.username, self.password or "")
            client.send_message(msg)
        log.info("mail %s to %s sent by SMTP", mail_id, msg["To"])


def backend():
    config = current_app.config
    if config.get("SMTP_URL"):
        return SMTPBackend(config["SMTP_URL"])
    return OutboxBackend(Path(config["INSTANCE_DIR"]) / "outbox")


def _claim(batch_size: int, now: datetime) -> tuple[str, list[int]]:
    """Mark up to `batch_size` due messages as ours for a while, so two job runners never
    send the same message. On PostgreSQL the rows are locked and skipped by the others; on
    SQLite the write lock taken by atomic() already serialises the claim."""
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


def _retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** (attempts - 1), 6 * 3600))


def send_queued(now: datetime | None = None) -> int:
    """Send the due messages; returns how many were sent. Called by the job loop."""
    config = current_app.config
    now = now or utcnow()
    token, ids = _claim(config["MAIL_BATCH_SIZE"], now)
    if not ids:
        return 0
    sender = backend()
    sent = 0
    for mail_id in ids:
        mail = db.session.get(OutboundMail, mail_id)
        msg = build_message(mail, config["MAIL_FROM"])
        db.session.rollback()  # send outside any transaction: SMTP may be slow
        try:
            sender.send(msg, mail_id)
        except Exception as exc:  # any failure is recorded and retried
            _record_failure(mail_id, token, exc, config["MAIL_MAX_ATTEMPTS"])
            continue
        with atomic():
            db.session.execute(
                update(OutboundMail)
                .where(OutboundMail.id == mail_id, OutboundMail.claimed_by == token)
                .values(sent_at=utcnow(), attempts=OutboundMail.attempts + 1, claimed_until=None)
            )
        sent += 1
    return sent


def _record_failure(mail_id: int, token: str, exc: Exception, max_attempts: int) -> None:
    error = f"{type(exc).__name__}: {exc}"[:500]
    with atomic():
        mail = db.session.get(OutboundMail, mail_id)
        if mail is None or mail.claimed_by != token:
            return
        mail.attempts += 1
        mail.last_error = error
        mail.claimed_until = None
        if mail.attempts >= max_attempts:
            mail.failed_at = utcnow()
            log.error("mail %s to %s failed for good: %s", mail_id, mail.to_addr, error)
        else:
            mail.next_attempt_at = utcnow() + _retry_delay(mail.attempts)
            log.warning(
                "mail %s: attempt %s failed (%s); will retry", mail_id, mail.attempts, error
            )
