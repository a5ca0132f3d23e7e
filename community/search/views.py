"""`/search?q=`: full-text search with filters by community, author and date."""

from datetime import date

from flask import render_template, request
from flask_login import current_user
from sqlalchemy import select

from ..accounts.models import User
from ..communities import queries as community_queries
from ..config import default_timezone
from ..extensions import db
from ..web import day_end, day_start, parse_day
from . import bp
from .queries import Filters, search

QUERY_MAX = 200


def _arg(name: str, limit: int) -> str:
    # (NUL never gets here: web.py refuses it for the whole site.)
    return request.args.get(name, "").strip()[:limit]


def _date(name: str) -> tuple[date | None, str | None]:
    return parse_day(_arg(name, 40))


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
        tz_name = getattr(reader, "timezone", None) or default_timezone()
        filters = Filters(
            community_id=community.id if community else None,
            author_ids=author_ids,
            since=day_start(day_from, tz_name),
            until=day_end(day_to, tz_name),  # the whole of the last day
            kinds=WHAT[what],
        )
        page = search(reader, q, filters, after=_arg("after", 200) or None)
    return render_template(
        "search/index.html", q=q, page=page, communities=communities, community=community,
        author_name=author_name, errors=errors, what=what,
        date_from=_arg("from", 40), date_to=_arg("to", 40),
    )  # fmt: skip
