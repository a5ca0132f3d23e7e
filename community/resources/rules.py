"""The rules for resource fields, shared by actions and forms."""

import re
from datetime import date

from ..db import utcnow
from ..errors import Invalid
from ..rules import (
    check_tags,  # noqa: F401 (the same rule for resource tags)
    check_web_address,
)
from .models import KINDS, LICENCES

TITLE_MAX = 200
SUMMARY_MAX = 10_000
LINK_MAX = 500
REASON_MAX = 2_000
NOTE_MAX = 300
_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2}))?$")
EARLIEST_YEAR = 1900


def check_title(value: str) -> str:
    title = " ".join((value or "").split())
    if not title:
        raise Invalid("Give the resource a title.", field="title")
    if len(title) > TITLE_MAX:
        raise Invalid(f"A title has at most {TITLE_MAX} characters.", field="title")
    return title


def check_summary(value: str) -> str:
    summary = (value or "").replace("\r\n", "\n").strip()
    if len(summary) > SUMMARY_MAX:
        raise Invalid(
            f"A summary has at most {SUMMARY_MAX:,} characters. Shorten it, or put the detail "
            "in the document.",
            field="summary",
        )
    return summary


def check_kind(value: str) -> str:
    if value not in KINDS:
        raise Invalid("Choose what kind of resource this is.", field="kind")
    return value


def check_licence(value: str) -> str:
    value = value or "unknown"
    if value not in LICENCES:
        raise Invalid("Choose a licence from the list.", field="licence")
    return value


def check_link(value: str | None) -> str | None:
    """An optional web address: http or https, with a host."""
    return check_web_address(value, field="link", max_length=LINK_MAX)


def check_date(value: str | None, *, today: date | None = None) -> tuple[date | None, str]:
    """A publication date typed as "2006" or "2006-09": (first day of it, precision)."""
    text = (value or "").strip()
    if not text:
        return None, "year"
    match = _DATE.match(text)
    if not match:
        raise Invalid(
            "Give the year (2006) or the year and month (2006-09) it was published.",
            field="published",
        )
    year, month = int(match[1]), int(match[2]) if match[2] else None
    today = today or utcnow().date()
    if month is not None and not 1 <= month <= 12:
        raise Invalid("The month is a number from 01 to 12.", field="published")
    if not EARLIEST_YEAR <= year <= today.year + 1:
        raise Invalid(f"Give a year between {EARLIEST_YEAR} and {today.year}.", field="published")
    return date(year, month or 1, 1), "month" if month else "year"


def check_reason(value: str | None, *, required: bool) -> str:
    reason = (value or "").replace("\r\n", "\n").strip()
    if required and not reason:
        raise Invalid("Say why, so the submitter knows what to do next.", field="reason")
    if len(reason) > REASON_MAX:
        raise Invalid(f"Keep the reason under {REASON_MAX:,} characters.", field="reason")
    return reason


def check_note(value: str | None) -> str:
    note = " ".join((value or "").split())
    if len(note) > NOTE_MAX:
        raise Invalid(f"A version note has at most {NOTE_MAX} characters.", field="note")
    return note
