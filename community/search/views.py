"""`/search?q=`: full-text search with filters by community, author and date."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import render_template, request
from flask_login import current_user
from sqlalchemy import select

from ..accounts.models import User
from ..communities import queries as community_queries
from ..config import default_timezone
from ..extensions import db
from . import bp
from .queries import Filters, search

QUERY_MAX = 200


def _arg(name: str, limit: int) -> str:
    # (NUL never gets here: web.py refuses it for the whole site.)
    return request.args.get(name, "").strip()[:limit]


def _date(name: str) -> tuple[date | None, str | None]:
    value = _arg(name, 40)
    if not value:
        return None, None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date(), None  # noqa: DTZ007 (a day, no time)
    except ValueError:
        return None, f"“{value[:20]}” is not a date like 2026-11-25."


def _start_of_day(day: date | None, tz: ZoneInfo) -> datetime | None:
    """The stored time (naive UTC) at which `day` begins in the reader's time zone."""
    if day is None:
        return None
    try:
        return datetime.combine(day, time(), tz).astimezone(UTC).replace(tzinfo=None)
    except OverflowError:  # the first or last day a datetime holds: no limit there
        return None


def _reader_timezone(reader) -> ZoneInfo:
    try:
        return ZoneInfo(getattr(reader, "timezone", None) or default_timezone())
    except (ValueError, KeyError):
        return ZoneInfo(default_timezone())


# The "what" filter: its value in the URL, and the kinds of search documents it means.
WHAT = {
    "": None,
    "discussions": ("thread", "post"),
    "resources": ("resource",),
    "events": ("event",),
}


@bp.get("/search")
def index():
    reader = current_user if current_user.is_authenticated else None
    q = _arg("q", QUERY_MAX)
    communities = [c for c, _role in community_queries.communities_for(reader, archived=True)]
    errors = []
    slug = _arg("community", 80)
    community = next((c for c in communities if c.slug == slug), None)
    if slug and community is None:
        # The same words for a members-only community as for one that does not exist.
        errors.append(f"We could not find the community “{slug}”.")
    author_name = _arg("author", 80)
    author_ids = None
    if author_name:
        author_ids = tuple(
            db.session.scalars(
                select(User.id).where(User.sort_name == " ".join(author_name.split()).lower())
            )
        )
        if not author_ids:
            errors.append(f"No member is called “{author_name}”.")
    what = _arg("what", 20)
    if what not in WHAT:
        what = ""
    day_from, error = _date("from")
    errors += [error] if error else []
    day_to, error = _date("to")
    errors += [error] if error else []
    page = None
    if q and not errors:
        tz = _reader_timezone(reader)
        next_day = None
        if day_to is not None and day_to < date.max:
            next_day = day_to + timedelta(days=1)
        filters = Filters(
            community_id=community.id if community else None,
            author_ids=author_ids,
            since=_start_of_day(day_from, tz),
            until=_start_of_day(next_day, tz),  # the whole of the last day
            kinds=WHAT[what],
        )
        page = search(reader, q, filters, after=_arg("after", 200) or None)
    return render_template(
        "search/index.html", q=q, page=page, communities=communities, community=community,
        author_name=author_name, errors=errors, what=what,
        date_from=_arg("from", 40), date_to=_arg("to", 40),
    )  # fmt: skip
