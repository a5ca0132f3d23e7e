"""Limits outside Flask-Limiter's route decorators: Socket.IO events and counting rules.

The same `limits` library and storage as Flask-Limiter (memory, or Redis when REDIS_URL is
set, so every process shares the counts)."""

from flask import current_app
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter


def _limiter() -> MovingWindowRateLimiter:
    app = current_app._get_current_object()
    found = app.extensions.get("commons_rate_limiter")
    if found is None:
        storage = storage_from_string(app.config["RATELIMIT_STORAGE_URI"])
        found = app.extensions["commons_rate_limiter"] = MovingWindowRateLimiter(storage)
    return found


def hit(limit: str, *identifiers: str) -> bool:
    """Count one event against `limit` ("5 per 3 seconds") for these identifiers; False when
    the limit is already reached (the event is then not counted)."""
    return _limiter().hit(parse(limit), *identifiers)
