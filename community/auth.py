"""Who is acting: helpers shared by views and socket handlers."""

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flask import current_app
from flask_login import current_user

if TYPE_CHECKING:  # core imports no domain at run time (accounts' views import this module)
    from .accounts.models import User


def actor() -> "User":
    """The signed-in member as a real User (actions never get the LocalProxy)."""
    return current_user._get_current_object()


def is_safe_next(target: str | None) -> bool:
    """Only paths on this site may be a `next=` target; anything else is an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(c) < 32 for c in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def rate_limit(name: str):
    """A Flask-Limiter limit read from the RATE_LIMITS setting when the request comes."""
    return lambda: current_app.config["RATE_LIMITS"][name]


def member_key() -> str:
    """Rate-limit key per signed-in member (their id), per address for anyone else."""
    if current_user.is_authenticated:
        return f"member:{current_user.id}"
    from .extensions import client_ip

    return f"ip:{client_ip()}"
