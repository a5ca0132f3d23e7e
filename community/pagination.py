"""Keyset pagination: pages continue after the last row seen, never with OFFSET."""

import base64
import json
from dataclasses import dataclass, field

from .ids import MAX_ID


def encode_cursor(values: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, types: tuple[type, ...]) -> list | None:
    """The values of a cursor from a URL, or None when it is missing or malformed."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(values, list) or len(values) != len(types):
        return None
    if not all(type(v) is t for v, t in zip(values, types, strict=True)):
        return None
    if not all(_sane(v) for v in values):
        return None
    return values


MAX_CURSOR_INT = MAX_ID  # ids and small ranks: what the database's INTEGER columns hold


def _sane(value) -> bool:
    """Cursor values go straight into queries: in range, and text the database can store."""
    if isinstance(value, int) and not isinstance(value, bool):
        return -MAX_CURSOR_INT <= value <= MAX_CURSOR_INT
    if isinstance(value, str):
        if "\x00" in value:
            return False
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates
            return False
    return True


@dataclass
class Page:
    items: list
    next_cursor: str | None = None
    extra: dict = field(default_factory=dict)


def page_of(rows: list, size: int, key) -> Page:
    """Rows were fetched with LIMIT size + 1: the extra row says a next page exists."""
    items = rows[:size]
    more = len(rows) > size
    return Page(items=items, next_cursor=encode_cursor(key(items[-1])) if more and items else None)
