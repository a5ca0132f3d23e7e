"""One row per searchable thing (thread, post, resource; events later).

A document's community decides who finds it; one with no community (community_id NULL: a
network-wide event) is found through its kind's rule (kinds.py).

The full-text index lives beside this table and is made by the migrations: on SQLite an FTS5
table (`search_fts`) kept in step by triggers, on PostgreSQL a generated tsvector column
(`search_vector`) with a GIN index. Neither is declared here: env.py tells Alembic to leave
them alone.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import utcnow
from ..extensions import db

# A bulk load (flask bench seed) sets the SQLite triggers aside and remakes the full-text
# indexes once at the end with these: every document, and the titles that are not replies'.
SQLITE_FULL_TEXT_REBUILD = (
    "INSERT INTO search_fts(search_fts) VALUES ('rebuild')",
    "INSERT INTO search_fts_titles(search_fts_titles) VALUES ('delete-all')",
    "INSERT INTO search_fts_titles(rowid, title) "
    "SELECT id, title FROM search_document WHERE kind <> 'post'",
)


class SearchDocument(db.Model):
    __tablename__ = "search_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # thread, post, resource, event
    object_id: Mapped[int]
    community_id: Mapped[int | None] = mapped_column(
        ForeignKey("community.id", ondelete="CASCADE"), index=True
    )
    thread_id: Mapped[int | None] = mapped_column(index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("kind", "object_id"),
        Index("ix_search_document_created", "created_at"),
    )
