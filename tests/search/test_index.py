"""The full-text index itself: made and removed by the migrations, and used by the queries.

On SQLite it is an FTS5 table (`search_fts`) kept in step with search_document by triggers; on
PostgreSQL a generated tsvector column (`search_vector`) with a GIN index.
"""

from collections.abc import Iterator

import pytest
from sqlalchemy import event, insert, inspect, text

from community.communities.models import Community
from community.db import atomic, utcnow
from community.extensions import db
from community.search.models import SearchDocument
from community.search.queries import Filters, search
from tests.test_migrations import empty_database, flask_db, fresh_app  # noqa: F401 (fixtures)

# (pyflakes reads a fixture argument as a redefinition of the imported fixture.)
# ruff: noqa: F811

SQLITE_OBJECTS = {
    ("table", "search_fts"),
    ("trigger", "search_document_ai"),
    ("trigger", "search_document_ad"),
    ("trigger", "search_document_au"),
    ("table", "search_fts_titles"),
    ("trigger", "search_document_titles_ai"),
    ("trigger", "search_document_titles_ad"),
    ("trigger", "search_document_titles_au"),
}
POSTGRESQL_OBJECTS = {
    ("column", "search_vector"),
    ("index", "ix_search_document_vector"),
    ("index", "ix_search_document_title"),
}
FTS5_SHADOW_TABLES = ("_data", "_idx", "_docsize", "_config", "_content")


def full_text_objects() -> set[tuple[str, str]]:
    db.session.remove()
    with db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            rows = conn.execute(
                text(
                    "SELECT type, name FROM sqlite_master WHERE name LIKE 'search_fts%' "
                    "OR type = 'trigger' AND tbl_name = 'search_document'"
                )
            )
            # The FTS5 table's shadow tables (search_fts_data, …) come and go with it.
            return {(t, n) for t, n in rows if not n.endswith(FTS5_SHADOW_TABLES)}
        objects = set()
        inspector = inspect(conn)
        if "search_document" in inspector.get_table_names():
            objects |= {
                ("column", c["name"])
                for c in inspector.get_columns("search_document")
                if c["name"] == "search_vector"
            }
        objects |= {
            ("index", name)
            for (name,) in conn.execute(
                text("SELECT indexname FROM pg_indexes WHERE indexname = ANY(:names)"),
                {"names": ["ix_search_document_vector", "ix_search_document_title"]},
            )
        }
        return objects


def test_the_migrations_make_and_remove_the_full_text_index(fresh_app, backend):
    expected = SQLITE_OBJECTS if backend == "sqlite" else POSTGRESQL_OBJECTS

    flask_db(fresh_app, "upgrade")
    assert full_text_objects() == expected

    flask_db(fresh_app, "downgrade", "0001_foundation")
    assert full_text_objects() == set()

    flask_db(fresh_app, "upgrade")
    assert full_text_objects() == expected
    # And the index works after the round trip.
    from community.seed import seed

    seed()
    with atomic():
        community = db.session.scalar(db.select(Community).limit(1))
        db.session.add(
            SearchDocument(
                kind="thread",
                object_id=1,
                title="Needle",
                body="In a haystack.",
                url="/t/1",
                community_id=community.id,
                created_at=utcnow(),
            )  # fmt: skip
        )
    assert [r.url for r in search(None, "haystack", Filters()).items] == ["/t/1"]


# --- the query plan -------------------------------------------------------------------------


def _statements(work) -> list[tuple[str, object]]:
    captured = []

    def before(_conn, _cursor, statement, parameters, _context, _executemany):
        captured.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        work()
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    return captured


def _many_documents(communities, n: int = 20_000) -> None:
    """A table big enough for the planner to prefer the index; one match in a thousand."""
    community_id = communities["procurement"].id
    now = utcnow()
    rows = [
        {
            "kind": "post",
            "object_id": i,
            "thread_id": i // 10,
            "url": f"/p/{i}",
            "title": "Filler",
            "community_id": community_id,
            "created_at": now,
            "body": f"Ordinary words about buying {i}" + (" needle" if i % 1000 == 0 else ""),
        }  # fmt: skip
        for i in range(1, n + 1)
    ]
    with atomic():
        db.session.execute(insert(SearchDocument), rows)


def _search_statement() -> tuple[str, object]:
    db.session.rollback()
    captured = _statements(lambda: search(None, "needle", Filters()))
    # The last statement is the page's (the first ones size the window of recent matches).
    return [(s, p) for s, p in captured if "search_document" in s][-1]


def _plan_nodes(node: dict) -> Iterator[dict]:
    yield node
    for child in node.get("Plans", []):
        yield from _plan_nodes(child)


@pytest.mark.postgresql_only
def test_postgresql_finds_matches_through_the_gin_index(app, communities):
    _many_documents(communities)
    statement, parameters = _search_statement()
    with db.engine.connect() as conn:
        # What autovacuum does on a live site: new entries wait in the GIN index's pending
        # list, which every search reads in full, until they are merged into the index.
        conn.exec_driver_sql("SELECT gin_clean_pending_list('ix_search_document_vector')")
        conn.exec_driver_sql("ANALYZE search_document")
        [[plan]] = conn.exec_driver_sql(
            "EXPLAIN (FORMAT JSON, VERBOSE) " + statement, parameters
        ).all()
        conn.rollback()
    nodes = list(_plan_nodes(plan[0]["Plan"]))

    assert any(n.get("Index Name") == "ix_search_document_vector" for n in nodes), plan
    # Every match is ranked and sorted, but only ids and ranks are: the rows themselves and
    # their snippets (ts_headline re-parses the whole text) are for the page's rows only.
    sorts = [n for n in nodes if n["Node Type"] == "Sort"]
    assert sorts, plan
    for sort in sorts:
        assert not any(".body" in column for column in sort["Output"]), sort["Output"]
        for node in _plan_nodes(sort):
            assert "ts_headline" not in " ".join(node.get("Output", [])), plan
    assert any("ts_headline" in " ".join(n.get("Output", [])) for n in nodes), plan


@pytest.mark.sqlite_only
def test_sqlite_finds_matches_through_fts5(app, communities):
    """Driven by the FTS5 index, then search_document by primary key: never a full scan."""
    _many_documents(communities)
    statement, parameters = _search_statement()
    with db.engine.connect() as conn:
        details = [
            row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
        ]
        conn.rollback()

    assert any(d.startswith("SCAN search_fts VIRTUAL TABLE INDEX") for d in details), details
    # The page's ids and ranks are made first; snippets come after, for those rows only.
    assert details[0] in ("MATERIALIZE ranked", "CO-ROUTINE ranked"), details
    assert "SCAN search_document" not in details, details
    assert any(d.startswith("SEARCH search_document USING INTEGER PRIMARY KEY") for d in details)
