"""Field rules shared by several domains: a Markdown message body (posts, resource
discussions), a composer's one-time token, tags (threads' and resources') and web addresses.
"""

import re
from urllib.parse import urlsplit

from .errors import Invalid

BODY_MAX_BYTES = 64 * 1024
CLIENT_TOKEN_MAX = 64
TAG_MAX_LENGTH = 30
MAX_TAGS = 5
_TAG_CHARS = re.compile(r"^[\w][\w \-]*$")


def check_body(value: str) -> str:
    body = (value or "").replace("\r\n", "\n")
    if not body.strip():
        raise Invalid("Write something first: the message is empty.", field="body")
    if len(body.encode("utf-8")) > BODY_MAX_BYTES:
        raise Invalid("That message is longer than 64 KB. Please split it up.", field="body")
    return body.rstrip()


def tag_slug(name: str) -> str:
    return re.sub(r"[\s_]+", "-", name.strip().lower())


def check_tags(value: str | list[str]) -> list[str]:
    """Tags of a thread or a resource from a comma-separated field (or a list): trimmed,
    de-duplicated, at most five."""
    raw = value.split(",") if isinstance(value, str) else list(value or [])
    names: list[str] = []
    seen: set[str] = set()
    for item in raw:
        name = " ".join(item.split())
        if not name:
            continue
        if len(name) > TAG_MAX_LENGTH or not _TAG_CHARS.match(name):
            raise Invalid(
                f"Tags use letters, digits, spaces and hyphens, up to {TAG_MAX_LENGTH} characters.",
                field="tags",
            )
        if tag_slug(name) not in seen:
            seen.add(tag_slug(name))
            names.append(name)
    if len(names) > MAX_TAGS:
        raise Invalid(f"Use at most {MAX_TAGS} tags.", field="tags")
    return names


def check_client_token(value: str | None) -> str | None:
    """The composer's one-time token, or None when missing or not one we could have made."""
    value = (value or "").strip()
    if not value or len(value) > CLIENT_TOKEN_MAX:
        return None
    return value


def check_web_address(value: str | None, *, field: str, max_length: int = 500) -> str | None:
    """An optional web address (a resource's link, an event's join link): http or https,
    with a host, no spaces; None when left empty."""
    link = (value if isinstance(value, str) else "").strip()
    if not link:
        return None
    if len(link) > max_length:
        raise Invalid(f"A web address has at most {max_length} characters.", field=field)
    try:
        parts = urlsplit(link)
        usable = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. an unclosed "[" in the host
        usable = False
    if not usable:
        raise Invalid("Give a web address starting with http:// or https://.", field=field)
    if any(c.isspace() or ord(c) < 32 for c in link):
        raise Invalid("A web address cannot contain spaces.", field=field)
    return link
