"""A member's digest period and delivery time, in their own zone.

The period names the member's window: the ISO week ("2026-W50") for a weekly digest, the
day ("2026-12-07") for a daily one, both in the member's time zone. A digest is due once the
member's local time has reached their chosen weekday and hour within the period.
"""

from datetime import datetime, timedelta

from ..web import to_local

SPANS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def period_key(frequency: str, local: datetime) -> str:
    if frequency == "daily":
        return local.date().isoformat()
    year, week, _ = local.isocalendar()
    return f"{year}-W{week:02d}"


def local_time(user, now: datetime) -> datetime:
    return to_local(now, user.timezone or "UTC")


def delivery_reached(user, local: datetime) -> bool:
    """Has the member's chosen delivery time in this period come?"""
    if user.digest_frequency == "daily":
        return local.hour >= user.digest_hour
    return (local.weekday(), local.hour) >= (user.digest_day, user.digest_hour)
