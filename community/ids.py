"""What a valid id is: a whole number from 1 to the largest an INTEGER column holds.

Ids (and room message numbers) come from URLs, forms, cursors and Socket.IO payloads; each
is checked here before it reaches a query, so a huge or malformed one is "not found" (or
"malformed") rather than an overflow error inside the database.
"""

# Both databases' INTEGER: every id column (and chat message numbers) is one.
MAX_ID = 2**31 - 1


def is_id(value: object, *, allow_zero: bool = False) -> bool:
    """Whether `value` is already an int that could be an id (0 too, with `allow_zero`:
    "from the start", as in catch-up after message 0)."""
    if isinstance(value, bool) or not isinstance(value, int):
        return False
    return (0 if allow_zero else 1) <= value <= MAX_ID


def as_id(value: object) -> int | None:
    """An id typed into a form, a URL or a payload (text or int), or None when it cannot be
    one. Text is ASCII digits only, surrounding spaces allowed."""
    if isinstance(value, str):
        value = value.strip()
        if not value.isascii() or not value.isdigit() or len(value) > len(str(MAX_ID)):
            return None
        value = int(value)
    return value if is_id(value) else None
