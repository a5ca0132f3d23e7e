"""Signed, expiring tokens for links sent by mail (verify, reset, change of email)."""

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..errors import Invalid

EXPIRED = "This link has expired. Please ask for a new one."
BROKEN = "This link is not valid. Please check that you copied all of it, or ask for a new one."


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"commons.{purpose}")


def make_token(purpose: str, data: dict) -> str:
    return _serializer(purpose).dumps(data)


def read_token(purpose: str, token: str, max_age: int) -> dict:
    """The token's data, or Invalid with a message for the person who clicked the link."""
    try:
        data = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise Invalid(EXPIRED) from exc
    except BadSignature as exc:
        raise Invalid(BROKEN) from exc
    if not isinstance(data, dict):
        raise Invalid(BROKEN)
    return data
