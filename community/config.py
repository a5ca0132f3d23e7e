"""Settings: built-in defaults for the embedded mode, then the environment (and `.env`).

This is the only module that reads environment variables. `create_app(config)` applies the
dict it is given on top of what `load()` returns, so tests pass their settings last.
"""

import contextlib
import os
import secrets
from pathlib import Path

from dotenv import dotenv_values

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DOTENV_PATH = PROJECT_ROOT / ".env"

# Every variable the application reads. README.md documents each one.
VARIABLES = (
    "DATABASE_URL",
    "REDIS_URL",
    "SMTP_URL",
    "MAIL_FROM",
    "SECRET_KEY",
    "SITE_URL",
    "INSTANCE_DIR",
    "UPLOAD_DIR",
    "MAX_UPLOAD_MB",
    "JOBS_IN_PROCESS",
    "TRUSTED_PROXIES",
    "HOST",
    "PORT",
    "LOG_LEVEL",
    "CHAT_PRESENCE_TTL",
)


def default_timezone() -> str:
    """The zone of visitors and new accounts (DEFAULT_TIMEZONE): the one place it is read,
    by the User model's default, the settings form and rendering."""
    from flask import current_app

    return current_app.config["DEFAULT_TIMEZONE"]


class ConfigError(RuntimeError):
    """A setting has a value the application cannot use; the message says which and why."""


def environment(dotenv_path: Path | None = None) -> dict[str, str]:
    """The variables above, from `.env` first and then the real environment (which wins)."""
    path = DOTENV_PATH if dotenv_path is None else dotenv_path
    values = {k: v for k, v in dotenv_values(path).items() if v is not None}
    values.update({k: v for k, v in os.environ.items() if k in VARIABLES})
    return {k: v for k, v in values.items() if k in VARIABLES and v != ""}


def child_environment(**overrides: str) -> dict[str, str]:
    """This process's whole environment plus `overrides`, for a process of ours that must see
    what this one sees (a heavy job's process: community/jobs.py)."""
    return {**os.environ, **overrides}


def _flag(name: str, value: str) -> bool:
    word = value.strip().lower()
    if word in {"1", "true", "yes", "on"}:
        return True
    if word in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be 1/0, true/false, yes/no or on/off, not {value!r}.")


def _number(name: str, value: str, minimum: int = 0) -> int:
    try:
        number = int(value.strip())
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {value!r}.") from None
    if number < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, not {number}.")
    return number


def database_url(url: str) -> str:
    """Accept the URL forms hosting platforms hand out and pick the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def load(env: dict[str, str] | None = None) -> dict:
    """Build the settings dict from defaults and the environment."""
    env = environment() if env is None else env
    instance_dir = Path(env.get("INSTANCE_DIR", PROJECT_ROOT / "instance")).resolve()
    scaled_out = "DATABASE_URL" in env or "REDIS_URL" in env
    settings = {
        "INSTANCE_DIR": str(instance_dir),
        "SQLALCHEMY_DATABASE_URI": database_url(
            env.get("DATABASE_URL", f"sqlite:///{instance_dir / 'commons.db'}")
        ),
        "REDIS_URL": env.get("REDIS_URL"),
        "SMTP_URL": env.get("SMTP_URL"),
        "MAIL_FROM": env.get("MAIL_FROM", "Commons <commons@localhost>"),
        "SECRET_KEY": env.get("SECRET_KEY"),
        "UPLOAD_DIR": env.get("UPLOAD_DIR", str(instance_dir / "uploads")),
        "MAX_UPLOAD_MB": _number("MAX_UPLOAD_MB", env.get("MAX_UPLOAD_MB", "50"), minimum=1),
        "JOBS_IN_PROCESS": _flag(
            "JOBS_IN_PROCESS", env.get("JOBS_IN_PROCESS", "0" if scaled_out else "1")
        ),
        "TRUSTED_PROXIES": _number("TRUSTED_PROXIES", env.get("TRUSTED_PROXIES", "0")),
        "HOST": env.get("HOST", "127.0.0.1"),
        "PORT": _number("PORT", env.get("PORT", "5000")),
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO").upper(),
        "SCALED_OUT": scaled_out,
        "CHAT_PRESENCE_TTL": _number(
            "CHAT_PRESENCE_TTL", env.get("CHAT_PRESENCE_TTL", "45"), minimum=3
        ),
    }
    settings["MAX_CONTENT_LENGTH"] = settings["MAX_UPLOAD_MB"] * 1024 * 1024
    site_url = env.get("SITE_URL") or bind_url(settings["HOST"], settings["PORT"])
    settings["SITE_URL"] = site_url.rstrip("/")
    return settings


def bind_url(host: str, port: int) -> str:
    """SITE_URL when none is given: the address the server binds, http://HOST:PORT. A
    wildcard bind (0.0.0.0, ::) is reached on this machine at the loopback address."""
    host = host.strip() or "127.0.0.1"
    if host in ("0.0.0.0", "::", "[::]"):  # noqa: S104 (a comparison, not a bind)
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address
    return f"http://{host}:{port}"


def instance_secret_key(instance_dir: Path) -> str:
    """The embedded mode's key: generated on first run and kept in the instance folder.

    The key is written to a private temporary file and then linked into place, so two
    processes starting at once (`flask db upgrade` and the server, say) agree on one key and
    neither ever reads a half-written file.
    """
    path = instance_dir / "secret_key"
    if not path.exists():
        instance_dir.mkdir(parents=True, exist_ok=True)
        temporary = instance_dir / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(48))
                f.flush()
                os.fsync(f.fileno())
            with contextlib.suppress(FileExistsError):  # another process got there first
                os.link(temporary, path)
        finally:
            temporary.unlink()
    key = path.read_text().strip()
    if not key:
        raise ConfigError(
            f"{path} is empty. Delete it to have a new key generated (this signs everyone "
            "out), or set SECRET_KEY."
        )
    return key


# Defaults that are not environment variables; tests and the benchmark override some.
DEFAULTS = {
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_NAME": "commons_session",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_NAME": "commons_remember",
    "REMEMBER_COOKIE_DURATION": 60 * 60 * 24 * 30,
    "PERMANENT_SESSION_LIFETIME": 60 * 60 * 24 * 14,
    "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_HEADERS_ENABLED": True,
    # Redis unreachable: count in this process's memory until it is back (limits still hold,
    # per process) instead of failing every sign-in, registration and reset with a 500.
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    # Per client IP, and per account (keyed by the email typed); login counts only failures.
    "RATE_LIMITS": {
        "login_ip": "30 per minute",
        "login_account": "10 per 15 minutes",
        "register_ip": "10 per hour",
        "register_account": "3 per hour",
        "reset_ip": "10 per hour",
        "reset_account": "3 per hour",
        # Uploads per signed-in member: resources, their versions, images and pictures,
        # counted by the actions that store them (every path).
        "upload_account": "60 per hour",
        # Upload requests per member, refused ones too: a coarser guard on the routes, as the
        # file is read and checked before an action counts it.
        "upload_requests": "120 per hour",
        # Chat messages per member (a resend of the same message does not count).
        "chat_send": "5 per 3 seconds",
        "chat_typing": "10 per 10 seconds",
        # Posts (threads and replies) of a member new to a community (threads/safeguards.py).
        "new_member_post": "5 per 15 minutes",
        # Unsubscribe links per address (GET and POST): a mail client's one-click POST comes
        # from its provider's servers, so generous.
        "unsubscribe_ip": "60 per minute",
    },
    # Presence changes go to a room at most once per this many seconds, in one batch (0: each
    # at once). See community/chat/presence.py, PresenceChanges.
    "CHAT_PRESENCE_BATCH_SECONDS": 1.0,
    # argon2id; RFC 9106's second recommended option (64 MiB, 3 passes).
    "PASSWORD_HASH": {"time_cost": 3, "memory_cost": 64 * 1024, "parallelism": 4},
    "VERIFY_TOKEN_MAX_AGE": 60 * 60 * 48,
    "RESET_TOKEN_MAX_AGE": 60 * 60,
    "DEFAULT_TIMEZONE": "Europe/London",
    "MAIL_BATCH_SIZE": 50,
    "MAIL_MAX_ATTEMPTS": 8,
    "SOCKETIO_ASYNC_MODE": None,  # None: follow the server (gevent when it has patched the stdlib)
}
