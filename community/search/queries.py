"""Full-text search: one interface, two backends (SQLite FTS5, PostgreSQL tsvector).

The query is the words of what the reader typed (letters and digits; everything else,
operators and quotes included, is only a separator), and a result holds every word, stemmed
(porter on SQLite, the english configuration on PostgreSQL). User input never reaches either
backend's query syntax.

Results are ranked, filtered to what the reader may see (a document's community's readers;
for one with no community, its kind's rule: see kinds.py), keyset-paginated on (rank, id),
and carry a highlighted title and snippet that are safe to put in a page: the text is
escaped here and only our own <mark> tags are added.

Cost: the full-text index finds the matches. Below SCAN matches they are all ranked by
relevance; above, the work is bounded by the window (see WINDOW below). Only the page's rows
(LIMIT PAGE_SIZE + 1, in a subquery) get a snippet and a highlighted title, which is the
expensive part (ts_headline re-parses the whole text).
"""

import math
import re
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup, escape
from sqlalchemy import (
    ColumnElement,
    Float,
    and_,
    bindparam,
    case,
    column,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
    union,
)

from ..accounts.models import User
from ..communities.access import readable_filter
from ..communities.models import Community
from ..extensions import db
from ..ids import is_id
from ..pagination import Page, decode_cursor, encode_cursor
from .kinds import document_kinds
from .models import SearchDocument

PAGE_SIZE = 20
START, STOP = "\ue000", "\ue001"  # private-use characters mark the highlights
_WORD = re.compile(r"[^\W_]+")  # letters and digits: a word to both backends' tokenizers
# PostgreSQL's english configuration leaves these out of every query and document; SQLite is
# told to leave them out of queries too, so that both backends find the same things.
STOP_WORDS = frozenset(
    """
    i me my myself we our ours ourselves you your yours yourself yourselves he him his himself
    she her hers herself it its itself they them their theirs themselves what which who whom
    this that these those am is are was were be been being have has had having do does did
    doing a an the and but if or because as until while of at by for with about against
    between into through during before after above below to from up down in out on off over
    under again further then once here there when where why how all any both each few more
    most other some such no nor not only own same so than too very s t can will just don
    should now
    """.split()  # noqa: SIM905 (a paragraph of words reads better than a list)
)
MAX_TERMS = 12
MAX_TERM_LENGTH = 60  # no real word is longer; PostgreSQL ignores lexemes over 2 KB anyway


@dataclass
class Filters:
    community_id: int | None = None
    author_ids: tuple[int, ...] | None = None  # display names are not unique
    since: datetime | None = None  # naive UTC, inclusive
    until: datetime | None = None  # naive UTC, exclusive
    kinds: tuple[str, ...] | None = None  # thread, post, resource


@dataclass
class Result:
    kind: str
    label: str  # the kind in words ("Thread", "Reply")
    url: str
    title: str
    title_html: Markup  # the title with the matched words highlighted
    snippet: Markup
    community: Community | None  # None: a document of the whole network
    author: User | None
    created_at: datetime


def clean_for_index(value: str) -> str:
    """Text as stored for search: without the characters used to mark highlights."""
    return value.replace(START, "").replace(STOP, "")


def query_terms(q: str | None) -> list[str]:
    """The words searched for: the interface's whole query language."""
    words = [w for w in _WORD.findall(q or "") if w.lower() not in STOP_WORDS]
    return [w[:MAX_TERM_LENGTH] for w in words[:MAX_TERMS]]


def _highlight(raw: str) -> Markup:
    escaped = str(escape(raw))
    return Markup(escaped.replace(START, "<mark>").replace(STOP, "</mark>"))  # noqa: S704 (escaped first)


def search(user: User | None, q: str, filters: Filters, *, after: str | None = None) -> Page:
    terms = query_terms(q)
    if not terms:
        return Page(items=[])
    backend = _PostgreSQL(terms) if db.engine.dialect.name == "postgresql" else _SQLite(terms)
    kinds = document_kinds()
    wanted = [_visible_to(user, kinds), *_filter_clauses(filters)]
    cursor = _cursor(after)
    floor = cursor[2] if cursor is not None else _window_floor(backend, wanted)

    rows = db.session.execute(_page_rows(backend, _ranked(backend, wanted, floor, cursor))).all()
    items = [
        Result(
            kind=doc.kind,
            label=kinds[doc.kind].label if doc.kind in kinds else doc.kind.capitalize(),
            url=doc.url,
            title=doc.title,
            title_html=_highlight(backend.marked_text(title or "")),
            snippet=_highlight(backend.marked_text(snip or "")),
            community=community,
            author=author,
            created_at=doc.created_at,
        )  # fmt: skip
        for doc, community, author, _rank, snip, title in rows[:PAGE_SIZE]
    ]
    next_cursor = None
    if len(rows) > PAGE_SIZE:
        last = rows[PAGE_SIZE - 1]
        next_cursor = encode_cursor([float(last.rank), last[0].id, floor])
    return Page(items=items, next_cursor=next_cursor, extra={"narrowed": floor > 0})


# Ranking every match cannot stay fast. A common word is in a tenth of a million documents,
# and relevance needs statistics over all of them (FTS5's bm25 counts every match of each word
# on every query), while saying little: the word is everywhere. So once the words are in more
# than SCAN documents, the search is bounded ("the window"): the results are the documents
# whose title holds every word (a small index: one row per thread, resource or event), then the
# WINDOW newest matches the reader may find, each group newest first. Below SCAN matches, every
# match is ranked by relevance.
WINDOW = 500
SCAN = 10 * WINDOW


def _window_floor(backend, wanted: list) -> int:
    """The lowest document id in the window (0: no window, every match is ranked)."""
    scan_floor = db.session.scalar(backend.nth_newest_match(SCAN)) or 0
    if not scan_floor:
        return 0
    floor = db.session.scalar(
        select(SearchDocument.id)
        .select_from(backend.source)
        .outerjoin(Community, Community.id == SearchDocument.community_id)
        # (Not backend.match, which scores: a reply found only by its thread's title counts
        # here, which makes the window a little smaller.)
        .where(backend.has_words, backend.rowid >= scan_floor, *wanted)
        .order_by(backend.rowid.desc())
        .offset(WINDOW - 1)
        .limit(1)
    )
    return floor or scan_floor


def _ranked(backend, wanted: list, floor: int, cursor):
    """The page's ids and ranks, one more than a page."""
    if not floor:
        every = _branch(backend.source, backend.match, backend.rank, wanted, cursor)
        return (
            every.order_by(backend.rank.desc(), SearchDocument.id.desc())
            .limit(PAGE_SIZE + 1)
            .subquery("ranked")
        )
    # The window: title matches rank 1, the others 0, and within each the newest first.
    titles = _branch(backend.titles, backend.titles_match, literal(1.0, Float), wanted, cursor)
    titles = titles.order_by(backend.titles_rowid.desc()).limit(PAGE_SIZE + 1).subquery()
    title_match = case((SearchDocument.id.in_(backend.title_matches()), 1.0), else_=0.0)
    recent = _branch(backend.source, backend.window_match, title_match.cast(Float), wanted, cursor)
    recent = recent.where(backend.rowid >= floor).subquery()
    both = union(select(titles.c.id, titles.c.rank), select(recent.c.id, recent.c.rank))
    both = both.subquery("matches")
    return (
        select(both.c.id, both.c.rank)
        .order_by(both.c.rank.desc(), both.c.id.desc())
        .limit(PAGE_SIZE + 1)
        .subquery("ranked")
    )


def _branch(source, match, rank, wanted: list, cursor):
    branch = (
        select(SearchDocument.id.label("id"), rank.label("rank"))
        .select_from(source)
        .outerjoin(Community, Community.id == SearchDocument.community_id)
        .where(match, *wanted)
    )
    if cursor is not None:
        # Higher rank first, then newer id first.
        last_rank, last_id, _floor = cursor
        branch = branch.where(
            or_(rank < last_rank, and_(rank == last_rank, SearchDocument.id < last_id))
        )
    return branch


def _page_rows(backend, ranked):
    """The page's rows themselves, with a snippet and a highlighted title for those only."""
    stmt = (
        select(
            SearchDocument,
            Community,
            User,
            ranked.c.rank,
            backend.snippet().label("snippet"),
            backend.title().label("title"),
        )
        .select_from(ranked)
        .join(SearchDocument, SearchDocument.id == ranked.c.id)
        .outerjoin(Community, Community.id == SearchDocument.community_id)
        .outerjoin(User, User.id == SearchDocument.author_id)
    )
    stmt = backend.snippet_source(stmt, ranked)
    return stmt.order_by(ranked.c.rank.desc(), ranked.c.id.desc())


def _visible_to(user: User | None, kinds: dict) -> ColumnElement[bool]:
    """Documents `user` may find: in a community they may read (archived ones too), or in
    none and let through by their kind's rule (a kind with no rule: by nobody)."""
    reader = user if user is not None and user.is_authenticated else None
    in_community = and_(SearchDocument.community_id.is_not(None), readable_filter(user))
    by_kind = [and_(SearchDocument.kind == k, kind.visible(reader)) for k, kind in kinds.items()]
    return or_(in_community, and_(SearchDocument.community_id.is_(None), or_(false(), *by_kind)))


def _cursor(after: str | None) -> tuple[float, int, int] | None:
    values = decode_cursor(after, (float, int, int))
    if values is None:
        return None
    rank, last_id, floor = values
    if not math.isfinite(rank) or not is_id(last_id) or not (floor == 0 or is_id(floor)):
        return None
    return rank, last_id, floor


def _filter_clauses(filters: Filters) -> list:
    clauses = []
    if filters.community_id is not None:
        clauses.append(SearchDocument.community_id == filters.community_id)
    if filters.author_ids is not None:
        clauses.append(SearchDocument.author_id.in_(filters.author_ids))
    if filters.kinds is not None:
        clauses.append(SearchDocument.kind.in_(filters.kinds))
    if filters.since is not None:
        clauses.append(SearchDocument.created_at >= filters.since)
    if filters.until is not None:
        clauses.append(SearchDocument.created_at < filters.until)
    return clauses


# Every backend says, per matching document, whether a searched word is in its title
# (`in_title`) and whether one is in its body (`in_body`), and gives a relevance in [0, 1).
#
# Rank: a match in the title always ranks above a match in the body only (1 + relevance
# against 0 + relevance), and within each, the backend's relevance.
#
# A reply carries its thread's title (to show it), but that title is context, not a match of
# its own: a reply is found only when one of the words is in its body. Otherwise every reply
# of a thread would come up for each word of the thread's title.


def _rank(in_title, relevance):
    return (case((in_title, 1.0), else_=0.0) + relevance).cast(Float)


def _match(full_text_match, in_body):
    return and_(full_text_match, or_(SearchDocument.kind != "post", in_body))


_FTS = table("search_fts", column("rowid"))
_TITLES = table("search_fts_titles", column("rowid"))  # threads, resources, events: not replies


class _SQLite:
    def __init__(self, terms: list[str]):
        # Every term quoted as its own phrase: user input never reaches FTS5's query syntax.
        quoted = ['"' + t.replace('"', '""') + '"' for t in terms]
        self.fts_query = bindparam("fts_query", " ".join(quoted))
        self.fts = fts = literal_column("search_fts")
        # bm25() is negative, lower for better matches; it is exactly 0 when no searched word is
        # in the columns that have a weight.
        in_title = func.bm25(fts, 1.0, 0.0) < 0
        in_body = func.bm25(fts, 0.0, 1.0) < 0
        score = -func.bm25(fts, 10.0, 1.0)
        self.rank = _rank(in_title, score / (score + 1.0))
        self.has_words = fts.op("MATCH")(self.fts_query)
        self.match = _match(self.has_words, in_body)
        # Every word, and one of them in the body, without bm25 (for the window): FTS5's own
        # query language, made only of our quoted terms.
        in_body_query = f"{' '.join(quoted)} AND {{body}} : ({' OR '.join(quoted)})"
        self.window_match = fts.op("MATCH")(bindparam("fts_window_query", in_body_query))
        self.source = SearchDocument.__table__.join(_FTS, _FTS.c.rowid == SearchDocument.id)
        self.rowid = _FTS.c.rowid  # FTS5 itself applies a range or an order on its rowid
        # The title index: a title holding every word.
        titles = literal_column("search_fts_titles")
        self.titles = SearchDocument.__table__.join(_TITLES, _TITLES.c.rowid == SearchDocument.id)
        self.titles_match = titles.op("MATCH")(self.fts_query)
        self.titles_rowid = _TITLES.c.rowid

    def title_matches(self):
        return select(_TITLES.c.rowid).where(self.titles_match)

    def nth_newest_match(self, n: int):
        return (
            select(_FTS.c.rowid)
            .where(self.fts.op("MATCH")(self.fts_query))
            .order_by(_FTS.c.rowid.desc())
            .offset(n - 1)
            .limit(1)
        )

    def snippet(self):
        return func.snippet(self.fts, 1, START, STOP, "…", 16)

    def title(self):
        return func.highlight(self.fts, 0, START, STOP)

    def snippet_source(self, stmt, ranked):
        # snippet() needs the row of a MATCH query: the same query, held to the page's ids.
        return stmt.join(_FTS, _FTS.c.rowid == ranked.c.id).where(
            self.fts.op("MATCH")(self.fts_query)
        )

    @staticmethod
    def marked_text(raw: str) -> str:
        return raw


_ENGLISH = literal_column("'english'::regconfig")
_VECTOR = literal_column("search_document.search_vector")  # title weighted A, body B


class _PostgreSQL:
    def __init__(self, terms: list[str]):
        # plainto_tsquery: every word required, stemmed; no operator syntax at all.
        self.query = func.plainto_tsquery(_ENGLISH, bindparam("ts_terms", " ".join(terms)))
        # Any of the words (tsquery || tsquery is OR), for the title and body tests.
        any_word = func.plainto_tsquery(_ENGLISH, bindparam("ts_term_0", terms[0]))
        for i, term in enumerate(terms[1:], start=1):
            any_word = any_word.op("||")(
                func.plainto_tsquery(_ENGLISH, bindparam(f"ts_term_{i}", term))
            )
        in_title = func.ts_filter(_VECTOR, literal_column("'{a}'::\"char\"[]")).op("@@")(any_word)
        in_body = func.ts_filter(_VECTOR, literal_column("'{b}'::\"char\"[]")).op("@@")(any_word)
        relevance = func.ts_rank_cd(_VECTOR, self.query, 32)  # 32: rank / (rank + 1)
        self.rank = _rank(in_title, relevance)
        self.has_words = _VECTOR.op("@@")(self.query)
        self.match = _match(self.has_words, in_body)
        self.window_match = and_(self.has_words, in_body)
        self.source = SearchDocument.__table__
        self.rowid = SearchDocument.id
        # The title index (a partial GIN index, migration 0018): a title holding every word.
        self.titles = SearchDocument.__table__
        self.titles_match = and_(
            func.to_tsvector(_ENGLISH, SearchDocument.title).op("@@")(self.query),
            SearchDocument.kind != literal_column("'post'"),  # a literal: the index's predicate
        )
        self.titles_rowid = SearchDocument.id

    def title_matches(self):
        return select(SearchDocument.id).where(self.titles_match)

    def nth_newest_match(self, n: int):
        return (
            select(SearchDocument.id)
            .where(_VECTOR.op("@@")(self.query))
            .order_by(SearchDocument.id.desc())
            .offset(n - 1)
            .limit(1)
        )

    def snippet(self):
        return self._headline(
            SearchDocument.body,
            'MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "',
        )

    def title(self):
        return self._headline(SearchDocument.title, "HighlightAll=true")  # the whole title

    def _headline(self, text, options: str):
        # ts_headline's parser drops anything that looks like an HTML tag: give it the text
        # escaped, so that "<div>" in a post stays in the snippet (unescaped in Python).
        escaped = func.replace(
            func.replace(func.replace(text, "&", "&amp;"), "<", "&lt;"), ">", "&gt;"
        )
        return func.ts_headline(
            _ENGLISH, escaped, self.query, f"StartSel={START}, StopSel={STOP}, {options}"
        )

    @staticmethod
    def snippet_source(stmt, _ranked):
        return stmt

    @staticmethod
    def marked_text(raw: str) -> str:
        # Exactly the inverse of the escaping above (no other entity is decoded).
        return raw.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
