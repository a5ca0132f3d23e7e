"""Rate limits inside actions, so every path (a page, a Socket.IO event, the API, the CLI)
is limited the same: `check` raises when a member goes over RATE_LIMITS[name]. Also
counting rules of other kinds (`hit`: a download counted once per member per hour).

The same `limits` library and storage as Flask-Limiter (memory, or Redis when REDIS_URL is
set, so every process shares the counts). Flask-Limiter's route decorators remain only
for requests refused before any action runs (sign-in, registration, resets) and as a
coarser flood guard on upload requests ("upload_requests")."""

from flask import current_app
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from .errors import DomainError, TooMany, Unavailable
from .queue import is_outage


def _limiter() -> MovingWindowRateLimiter:
    """The app's limiter (one per app: its storage may be another site's Redis too)."""
    app = current_app._get_current_object()
    found = app.extensions.get("commons_rate_limiter")
    if found is None:
        storage = storage_from_string(app.config["RATELIMIT_STORAGE_URI"])
        found = app.extensions["commons_rate_limiter"] = MovingWindowRateLimiter(storage)
    return found


def hit(limit: str, *identifiers: str) -> bool:
    """Count one event against `limit` ("5 per 3 seconds") for these identifiers; False when
    the limit is already reached (the event is then not counted). The counts are this site's:
    another site using the same Redis has its own members with the same ids."""
    site = current_app.config["RATELIMIT_KEY_PREFIX"]
    return _limiter().hit(parse(limit), site, *identifiers)


UNAVAILABLE = "That cannot be done just now. Try again in a moment."


def check(
    name: str,
    user_id: int,
    message: str,
    *,
    error: type[DomainError] = TooMany,
    unavailable: str = UNAVAILABLE,
) -> None:
    """Count one `name` event of a member against RATE_LIMITS[name]; raise `error(message)`
    when they are over it, and Unavailable(`unavailable`) when the counts cannot be reached
    (Redis down: nothing can be counted). Off when RATELIMIT_ENABLED is false (the tests'
    default)."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    try:
        allowed = hit(current_app.config["RATE_LIMITS"][name], name, str(user_id))
    except Exception as exc:
        if not is_outage(exc):
            raise
        raise Unavailable(unavailable) from exc
    if not allowed:
        raise error(message)
