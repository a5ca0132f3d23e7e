"""Full-text search: one interface, two backends (SQLite FTS5, PostgreSQL tsvector).

Results are ranked, filtered to what the reader may see, keyset-paginated on (rank, id), and
carry a highlighted snippet that is safe to put in a page: the text is escaped here and only
our own <mark> tags are added.
"""

import re
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup, escape
from sqlalchemy import Float, and_, bindparam, column, func, literal_column, select, table

from ..accounts.models import User
from ..communities.models import Community
from ..communities.queries import readable_filter
from ..extensions import db
from ..pagination import Page, decode_cursor, encode_cursor
from .models import SearchDocument

PAGE_SIZE = 20
START, STOP = "\ue000", "\ue001"  # private-use characters mark the highlights
_WORD = re.compile(r"\w+", re.UNICODE)
MAX_TERMS = 12


@dataclass
class Filters:
    community_id: int | None = None
    author_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass
class Result:
    kind: str
    url: str
    title: str
    snippet: Markup
    community: Community
    author: User | None
    created_at: datetime


def clean_for_index(value: str) -> str:
    """Text as stored for search: without the characters used to mark highlights."""
    return value.replace(START, "").replace(STOP, "")


def _highlight(raw: str) -> Markup:
    escaped = str(escape(raw))
    return Markup(escaped.replace(START, "<mark>").replace(STOP, "</mark>"))  # noqa: S704 (escaped first)


def search(user: User | None, q: str, filters: Filters, *, after: str | None = None) -> Page:
    terms = _WORD.findall(q or "")[:MAX_TERMS]
    if not terms:
        return Page(items=[])
    backend = _postgresql if db.engine.dialect.name == "postgresql" else _sqlite
    rank, match, snippet, extra_from = backend(terms, q)
    stmt = (
        select(SearchDocument, Community, User, rank.label("rank"), snippet.label("snippet"))
        .select_from(extra_from)
        .join(Community, Community.id == SearchDocument.community_id)
        .outerjoin(User, User.id == SearchDocument.author_id)
        .where(match, readable_filter(user), Community.archived_at.is_(None))
    )
    stmt = _apply_filters(stmt, filters)
    cursor = decode_cursor(after, (float, int))
    if cursor is not None:
        # Higher rank first, then newer id first.
        stmt = stmt.where(
            (rank < cursor[0]) | and_(rank == cursor[0], SearchDocument.id < cursor[1])
        )
    rows = db.session.execute(
        stmt.order_by(rank.desc(), SearchDocument.id.desc()).limit(PAGE_SIZE + 1)
    ).all()
    items = [
        Result(
            kind=doc.kind,
            url=doc.url,
            title=doc.title,
            snippet=_highlight(snip or ""),
            community=community,
            author=author,
            created_at=doc.created_at,
        )  # fmt: skip
        for doc, community, author, _rank, snip in rows[:PAGE_SIZE]
    ]
    next_cursor = None
    if len(rows) > PAGE_SIZE:
        last = rows[PAGE_SIZE - 1]
        next_cursor = encode_cursor([float(last.rank), last[0].id])
    return Page(items=items, next_cursor=next_cursor)


def _apply_filters(stmt, filters: Filters):
    if filters.community_id is not None:
        stmt = stmt.where(SearchDocument.community_id == filters.community_id)
    if filters.author_id is not None:
        stmt = stmt.where(SearchDocument.author_id == filters.author_id)
    if filters.since is not None:
        stmt = stmt.where(SearchDocument.created_at >= filters.since)
    if filters.until is not None:
        stmt = stmt.where(SearchDocument.created_at < filters.until)
    return stmt


_FTS = table("search_fts", column("rowid"))


def _sqlite(terms: list[str], _q: str):
    # Every term quoted as its own phrase: user input never reaches FTS5's query syntax.
    fts_query = " ".join('"' + t.replace('"', '""') + '"' for t in terms)
    fts = literal_column("search_fts")
    # bm25() is lower for better matches; negate it so that higher is better, as on PostgreSQL.
    rank = (-func.bm25(fts, 10.0, 1.0)).cast(Float)
    match = fts.op("MATCH")(bindparam("fts_query", fts_query))
    snippet = func.snippet(fts, 1, START, STOP, "…", 16)
    joined = SearchDocument.__table__.join(_FTS, _FTS.c.rowid == SearchDocument.id)
    return rank, match, snippet, joined


def _postgresql(terms: list[str], q: str):
    query = func.websearch_to_tsquery("english", q)
    vector = literal_column("search_document.search_vector")
    rank = func.ts_rank_cd(vector, query).cast(Float)
    match = vector.op("@@")(query)
    snippet = func.ts_headline(
        "english",
        SearchDocument.body,
        query,
        f"StartSel={START}, StopSel={STOP}, MaxWords=30, MinWords=12, MaxFragments=2",
    )
    return rank, match, snippet, SearchDocument.__table__
