"""A real SMTP server (aiosmtpd) on loopback for the mail tests, and helpers to read mail."""

import socket
import threading
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from community.db import atomic
from community.extensions import db
from community.mail import OutboundMail, queue_mail


def free_port() -> int:
    """A port nothing listens on (aiosmtpd cannot be given port 0)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    login: str | None


class Sink:
    """An aiosmtpd handler that keeps what it receives. `before_data`, when set, is awaited
    inside the DATA command, before the message is accepted (to slow the server down or to
    run something while a client waits); when it returns a reply such as "554 …", the
    message is refused with it."""

    def __init__(self):
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.before_data = None
        self.port = 0

    async def handle_DATA(self, server, session, envelope):
        if self.before_data is not None:
            reply = await self.before_data(envelope)
            if reply:
                return reply
        raw = envelope.original_content or envelope.content
        message = BytesParser(policy=policy.default).parsebytes(raw)
        login = session.auth_data.login.decode() if session.authenticated else None
        with self.lock:
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), message, login)
            )
        return "250 OK"

    @property
    def messages(self) -> list[EmailMessage]:
        with self.lock:
            return [r.message for r in self.received]

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        b"commons@example.org",
        b"p@ss:w/rd#1",
    )
    if ok:
        return AuthResult(success=True, auth_data=auth_data)
    return AuthResult(success=False, handled=False)  # aiosmtpd replies 535


class SMTPServers:
    """Starts aiosmtpd controllers on loopback and stops them all at the end of the test."""

    def __init__(self):
        self.controllers: list[Controller] = []

    def start(
        self,
        port: int | None = None,
        *,
        auth: bool = False,
        smtputf8: bool = False,
        sink: Sink | None = None,
    ) -> Sink:
        sink = sink or Sink()
        sink.port = port or free_port()
        options: dict = {"enable_SMTPUTF8": smtputf8}
        if auth:
            options.update(authenticator=_authenticator, auth_require_tls=False)
        controller = Controller(sink, hostname="127.0.0.1", port=sink.port, **options)
        controller.start()
        self.controllers.append(controller)
        return sink

    def stop_all(self) -> None:
        while self.controllers:
            self.controllers.pop().stop()


@pytest.fixture
def smtp_servers():
    servers = SMTPServers()
    yield servers
    servers.stop_all()


@pytest.fixture
def smtp_sink(smtp_servers) -> Sink:
    return smtp_servers.start()


# --- queueing and reading back -----------------------------------------------------------

SECRET = "tok-3f9a8e61c5d2-secret"
TOKEN_URL = f"http://localhost/auth/verify/{SECRET}"


def queue_verify(to: str = "zoe@example.org", subject: str = "Confirm your address", **kw):
    """Queue the verification mail (text and HTML parts) in its own committed transaction;
    returns the row's id. Its body holds a token, which must never reach a log."""
    with atomic():
        mail = queue_mail(
            to,
            subject,
            "verify",
            user=SimpleNamespace(display_name="Zoë Ançelotti"),
            verify_url=TOKEN_URL,
            valid_for="48 hours",
            **kw,
        )
        db.session.flush()
        mail_id = mail.id
    return mail_id


def row(mail_id: int) -> OutboundMail:
    db.session.expire_all()
    return db.session.get(OutboundMail, mail_id)


def rows() -> list[OutboundMail]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(OutboundMail).order_by(OutboundMail.id)))


def community_log(caplog) -> str:
    """Everything our own code logged (aiosmtpd's debug log is not ours to police)."""
    lines = []
    for record in caplog.records:
        if record.name.startswith("community"):
            lines.append(record.getMessage())
            if record.exc_info:
                lines.append(caplog.handler.format(record))
    return "\n".join(lines)
