"""`/search?q=`: full-text search with filters by community, author and date."""

from datetime import datetime, timedelta

from flask import render_template, request
from flask_login import current_user
from sqlalchemy import select

from ..accounts.models import User
from ..communities import queries as community_queries
from ..extensions import db
from . import bp
from .queries import Filters, search


def _date(name: str) -> tuple[datetime | None, str | None]:
    value = request.args.get(name, "").strip()
    if not value:
        return None, None
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=None), None  # noqa: DTZ007 (a date: stored times are naive UTC)
    except ValueError:
        return None, f"“{value[:20]}” is not a date like 2026-11-25."


@bp.get("/search")
def index():
    reader = current_user if current_user.is_authenticated else None
    q = request.args.get("q", "").strip()[:200]
    communities = [c for c, _role in community_queries.communities_for(reader)]
    slug = request.args.get("community", "")
    community = next((c for c in communities if c.slug == slug), None)
    author_name = request.args.get("author", "").strip()[:80]
    errors = []
    author = None
    if author_name:
        author = db.session.scalar(select(User).where(User.sort_name == author_name.lower()))
        if author is None:
            errors.append(f"No member is called “{author_name}”.")
    since, error = _date("from")
    errors += [error] if error else []
    until, error = _date("to")
    errors += [error] if error else []
    page = None
    if q and not errors:
        filters = Filters(
            community_id=community.id if community else None,
            author_id=author.id if author else None,
            since=since,
            until=until + timedelta(days=1) if until else None,
        )
        page = search(reader, q, filters, after=request.args.get("after"))
    return render_template(
        "search/index.html", q=q, page=page, communities=communities, community=community,
        author_name=author_name, errors=errors,
        date_from=request.args.get("from", ""), date_to=request.args.get("to", ""),
    )  # fmt: skip
