"""search: an index of the titles that documents own (not replies), so that an old document
whose title holds every searched word is found however many newer documents match

Revision ID: 0018_search_titles
Revises: 0017_admin
Create Date: 2026-12-07 23:30:00
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0018_search_titles'
down_revision = '0017_admin'
branch_labels = None
depends_on = None


# A reply carries its thread's title only as context: it is left out, so the index holds one
# row per thread, resource or event. The document's kind never changes (search_document is
# unique on kind and object_id), so the WHEN clauses keep the external-content index exact.
SQLITE = [
    "CREATE VIRTUAL TABLE search_fts_titles USING fts5(title, content='search_document', "
    "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER search_document_titles_ai AFTER INSERT ON search_document "
    "WHEN new.kind <> 'post' BEGIN "
    "INSERT INTO search_fts_titles(rowid, title) VALUES (new.id, new.title); END",
    "CREATE TRIGGER search_document_titles_ad AFTER DELETE ON search_document "
    "WHEN old.kind <> 'post' BEGIN "
    "INSERT INTO search_fts_titles(search_fts_titles, rowid, title) "
    "VALUES ('delete', old.id, old.title); END",
    "CREATE TRIGGER search_document_titles_au AFTER UPDATE OF title ON search_document "
    "WHEN old.kind <> 'post' BEGIN "
    "INSERT INTO search_fts_titles(search_fts_titles, rowid, title) "
    "VALUES ('delete', old.id, old.title); "
    "INSERT INTO search_fts_titles(rowid, title) VALUES (new.id, new.title); END",
    "INSERT INTO search_fts_titles(rowid, title) "
    "SELECT id, title FROM search_document WHERE kind <> 'post'",
]
POSTGRESQL = [
    "CREATE INDEX ix_search_document_title ON search_document "
    "USING gin (to_tsvector('english'::regconfig, title)) WHERE kind <> 'post'",
]


def upgrade():
    for statement in SQLITE if op.get_bind().dialect.name == "sqlite" else POSTGRESQL:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS search_document_titles_{trigger}")
        op.execute("DROP TABLE IF EXISTS search_fts_titles")
    else:
        op.execute("DROP INDEX IF EXISTS ix_search_document_title")
