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

from .errors import DomainError, TooMany


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


def check(name: str, user_id: int, message: str, *, error: type[DomainError] = TooMany) -> None:
    """Count one `name` event of a member against RATE_LIMITS[name]; raise `error(message)`
    when they are over it. Off when RATELIMIT_ENABLED is false (the tests' default)."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    if not hit(current_app.config["RATE_LIMITS"][name], name, str(user_id)):
        raise error(message)
