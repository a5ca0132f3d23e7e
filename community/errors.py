"""Domain errors: raised by actions, with messages that are safe to show to users."""


class DomainError(Exception):
    status = 400

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class Invalid(DomainError):
    """The input breaks a rule; `field` names the form field when there is one."""

    status = 400


class Forbidden(DomainError):
    status = 403


class NotFound(DomainError):
    status = 404

    def __init__(self, message: str = "We could not find that page.", **kwargs):
        super().__init__(message, **kwargs)


class Conflict(DomainError):
    status = 409


class Unavailable(DomainError):
    """A service the operation needs (Redis) cannot be reached just now: nothing was done,
    and the same request may succeed in a moment."""

    status = 503


class TooMany(DomainError):
    """Over a rate limit (community/ratelimits.py)."""

    status = 429


def allowed(check) -> bool:
    """Whether `check()`, an action's permission check, passes: how a view tells its
    template what the member may do (`can_*`) without the template checking roles."""
    try:
        check()
    except DomainError:
        return False
    return True
