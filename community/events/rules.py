"""The rules for event fields, shared by actions and forms: times typed in a zone, the
place or join link, capacity and the RSVP deadline."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from ..accounts.rules import check_timezone, one_line
from ..errors import Invalid
from ..rules import check_web_address

TITLE_MAX = 200
LOCATION_MAX = 300
DESCRIPTION_MAX = 20_000
CANCEL_REASON_MAX = 500
CAPACITY_MAX = 100_000
# How far times may go: the record of past events reaches back to EARLIEST (the demo's, and
# any kept from before); nothing is published more than AHEAD_MAX ahead, nor runs longer
# than LENGTH_MAX. Far from the ends of datetime, so every zone can show every stored time.
EARLIEST = datetime(1990, 1, 1)  # noqa: DTZ001 (naive UTC, as stored)
AHEAD_MAX = timedelta(days=5 * 365)
LENGTH_MAX = timedelta(days=14)


def to_utc(local: datetime, zone: str, *, field: str | None = None) -> datetime:
    """A wall-clock time in `zone` as naive UTC (what is stored). A time that does not
    exist (the hour skipped when the clocks go forward) is refused (Invalid on `field`);
    a time that happens twice (the hour repeated when they go back) is read as the first
    of the two, before the clocks change (01:30 in London on the last Sunday of October is
    01:30 BST, 00:30 UTC). A date so far off that it has no UTC is refused too."""
    tz = ZoneInfo(zone)
    wall = local.replace(tzinfo=None, fold=0)
    try:
        utc = wall.replace(tzinfo=tz).astimezone(UTC)
        back = utc.astimezone(tz).replace(tzinfo=None)
    except OverflowError:
        raise Invalid("That date is out of range.", field=field) from None
    if back != wall:
        raise Invalid(
            f"That time does not exist in {zone.replace('_', ' ')}: the clocks go forward then.",
            field=field,
        )
    return utc.replace(tzinfo=None)


def to_local(utc: datetime, zone: str) -> datetime:
    """A stored UTC time as the wall-clock time in `zone` (aware, so it can name the zone).
    A time at the very ends of datetime (none is stored now: check_times keeps within
    bounds) is shown in UTC rather than fail."""
    aware = utc.replace(tzinfo=UTC)
    try:
        return aware.astimezone(ZoneInfo(zone))
    except OverflowError:
        return aware


def check_title(value: str | None) -> str:
    title = one_line(value)
    if not title:
        raise Invalid("Give the event a title.", field="title")
    if len(title) > TITLE_MAX:
        raise Invalid(f"A title has at most {TITLE_MAX} characters.", field="title")
    return title


def check_description(value: str | None) -> str:
    text = (value if isinstance(value, str) else "").replace("\r\n", "\n").strip()
    if len(text) > DESCRIPTION_MAX:
        raise Invalid(
            f"A description has at most {DESCRIPTION_MAX:,} characters.", field="description"
        )
    return text


@dataclass(frozen=True)
class Times:
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC
    rsvp_deadline: datetime | None  # UTC


def check_times(
    starts: datetime | None,
    ends: datetime | None,
    zone: str,
    *,
    deadline: datetime | None = None,
    now: datetime,
    allow_past: bool = False,
    kept_deadline: datetime | None = None,
) -> Times:
    """Start, end and deadline typed as wall-clock times in `zone`, checked and in UTC.
    `now` is naive UTC; a new event may not start in the past, nor have its RSVP deadline
    passed (`allow_past` for an edit of one that already started, and for the demo's
    record of past events; `kept_deadline`, UTC, is the deadline an edit may keep though
    it has passed). It starts from EARLIEST to AHEAD_MAX from now and lasts at most
    LENGTH_MAX."""
    zone = check_timezone(zone)
    if starts is None:
        raise Invalid("Give the date and time it starts.", field="starts")
    if ends is None:
        raise Invalid("Give the date and time it ends.", field="ends")
    starts_at = to_utc(starts, zone, field="starts")
    ends_at = to_utc(ends, zone, field="ends")
    if starts_at < EARLIEST:
        raise Invalid(f"An event starts in {EARLIEST.year} or later.", field="starts")
    if starts_at > now + AHEAD_MAX:
        raise Invalid(
            f"An event is published at most {AHEAD_MAX.days // 365} years ahead.", field="starts"
        )
    if ends_at <= starts_at:
        raise Invalid("The end must come after the start.", field="ends")
    if ends_at - starts_at > LENGTH_MAX:
        raise Invalid(f"An event lasts at most {LENGTH_MAX.days} days.", field="ends")
    if not allow_past and starts_at < now:
        raise Invalid("That time has passed: an event starts in the future.", field="starts")
    deadline_at = None
    if deadline is not None:
        deadline_at = to_utc(deadline, zone, field="deadline")
        if deadline_at > starts_at:
            raise Invalid("The RSVP deadline must be before the event starts.", field="deadline")
        if deadline_at < EARLIEST:
            raise Invalid(f"The RSVP deadline is in {EARLIEST.year} or later.", field="deadline")
        if not allow_past and deadline_at < now and deadline_at != kept_deadline:
            raise Invalid(
                "That RSVP deadline has passed: give a later one (or leave it empty).",
                field="deadline",
            )
    return Times(starts_at, ends_at, deadline_at)


def check_place(location: str | None, join_url: str | None) -> tuple[str, str | None]:
    """Where: a place, an online join link (http or https), or both; not neither."""
    place = one_line(location)
    if len(place) > LOCATION_MAX:
        raise Invalid(f"A place has at most {LOCATION_MAX} characters.", field="location")
    link = check_web_address(join_url, field="join_url")
    if not place and not link:
        raise Invalid(
            "Say where it happens: a place, or a join link for an online event.",
            field="location",
        )
    return place, link


def check_capacity(value) -> int | None:
    """Places for "going": a whole number above zero, or empty for no limit."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Invalid(
            "Capacity is a whole number of places (or leave it empty).", field="capacity"
        ) from None
    if number <= 0:
        raise Invalid(
            "Capacity must be at least 1 (or leave it empty for no limit).", field="capacity"
        )
    if number > CAPACITY_MAX:
        raise Invalid(f"Capacity is at most {CAPACITY_MAX:,}.", field="capacity")
    return number


def check_cancel_reason(value: str | None) -> str:
    reason = one_line(value)
    if len(reason) > CANCEL_REASON_MAX:
        raise Invalid(f"A reason has at most {CANCEL_REASON_MAX} characters.", field="reason")
    return reason
