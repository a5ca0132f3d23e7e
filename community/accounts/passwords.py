"""Password hashing: argon2id, with parameters from the config so tests can turn them down."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

from ..offload import off_the_event_loop

_hashers: dict[tuple, PasswordHasher] = {}


def _hasher() -> PasswordHasher:
    params = current_app.config["PASSWORD_HASH"]
    key = (params["time_cost"], params["memory_cost"], params["parallelism"])
    if key not in _hashers:
        _hashers[key] = PasswordHasher(*key)
    return _hashers[key]


def hash_password(password: str) -> str:
    return off_the_event_loop(_hasher().hash, password)


def _verify(hasher: PasswordHasher, password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_password(password_hash: str, password: str) -> bool:
    return off_the_event_loop(_verify, _hasher(), password_hash, password)


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


_DUMMY: dict[tuple, str] = {}


def burn_time(password: str) -> None:
    """Spend as long as a real check does, so a login for an unknown email is not faster."""
    hasher = _hasher()
    key = (hasher.time_cost, hasher.memory_cost, hasher.parallelism)
    if key not in _DUMMY:
        _DUMMY[key] = hasher.hash("not a real password")
    check_password(_DUMMY[key], password)
