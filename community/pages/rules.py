"""The rules for a site page's fields, in one place: actions enforce them, forms reuse them."""

import re
import unicodedata

from ..accounts.rules import one_line, without_controls
from ..errors import Invalid

TITLE_MAX = 120
SLUG_MAX = 80
BODY_MAX_BYTES = 128 * 1024
POSITION_MAX = 999
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Addresses a page cannot have because a route under /admin/pages/ already uses the word
# (/admin/pages/new would open the form, never the page's editor).
RESERVED_SLUGS = frozenset({"new"})
# The pages `flask seed` makes (community/pages/standard.py): they can be edited, renamed or
# deleted like any other, and the delete page warns first.
STANDARD_SLUGS = ("about", "privacy", "terms", "contact")


def check_title(value: str | None) -> str:
    title = one_line(value)
    if not title:
        raise Invalid("A page needs a title.", field="title")
    if len(title) > TITLE_MAX:
        raise Invalid(f"A title has at most {TITLE_MAX} characters.", field="title")
    return title


def normalise_slug(value: str | None) -> str:
    return one_line(value).lower()


def slug_from_title(title: str) -> str:
    """An address made from a title ("Code of conduct" → "code-of-conduct"); empty when the
    title has no letters or digits in the Latin alphabet."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:SLUG_MAX].rstrip("-")


def check_slug(value: str | None) -> str:
    """A page's address: lower-case letters, digits and hyphens (not at either end)."""
    slug = normalise_slug(value)
    if not slug:
        raise Invalid("A page needs an address.", field="slug")
    if len(slug) > SLUG_MAX:
        raise Invalid(f"An address has at most {SLUG_MAX} characters.", field="slug")
    if not _SLUG.match(slug):
        raise Invalid(
            "An address uses lower-case letters, digits and single hyphens only, "
            "like “code-of-conduct”.",
            field="slug",
        )
    if slug in RESERVED_SLUGS:
        raise Invalid(f"“{slug}” cannot be a page's address: choose another.", field="slug")
    return slug


def check_page_body(value: str | None) -> str:
    body = without_controls(value).replace("\r\n", "\n")
    if not body.strip():
        raise Invalid("A page needs some text.", field="body")
    if len(body.encode("utf-8")) > BODY_MAX_BYTES:
        raise Invalid("A page's text is at most 128 KB: split it into two pages.", field="body")
    return body.strip("\n").rstrip()


def check_position(value) -> int:
    """The page's place in the footer: a whole number from 0 (first) to 999."""
    if isinstance(value, bool):
        value = None
    try:
        position = int(value) if value not in (None, "") else 0
    except (TypeError, ValueError):
        position = -1
    if not 0 <= position <= POSITION_MAX:
        raise Invalid(f"The position is a whole number from 0 to {POSITION_MAX}.", field="position")
    return position
