"""Keeping the search index in step: domains call these inside their own transactions."""

from datetime import datetime

from sqlalchemy import delete, select, update

from ..extensions import db
from .models import SearchDocument
from .queries import clean_for_index


def index_document(
    kind: str,
    object_id: int,
    *,
    title: str,
    body: str,
    url: str,
    community_id: int | None,
    author_id: int | None,
    created_at: datetime,
    thread_id: int | None = None,
) -> SearchDocument:
    """Add or replace the searchable text of one object. With `community_id` None it belongs
    to no community and is found through its kind's rule (kinds.py)."""
    doc = db.session.scalar(
        select(SearchDocument).where(
            SearchDocument.kind == kind, SearchDocument.object_id == object_id
        )
    )
    if doc is None:
        doc = SearchDocument(kind=kind, object_id=object_id)
        db.session.add(doc)
    doc.title, doc.body, doc.url = clean_for_index(title)[:300], clean_for_index(body), url
    doc.community_id, doc.author_id, doc.thread_id = community_id, author_id, thread_id
    doc.created_at = created_at
    return doc


def remove_document(kind: str, object_id: int) -> None:
    db.session.execute(
        delete(SearchDocument).where(
            SearchDocument.kind == kind, SearchDocument.object_id == object_id
        )
    )


def move_thread_documents(thread_id: int, community_id: int) -> None:
    db.session.execute(
        update(SearchDocument)
        .where(SearchDocument.thread_id == thread_id)
        .values(community_id=community_id)
    )


def retitle_thread_documents(thread_id: int, title: str) -> None:
    db.session.execute(
        update(SearchDocument)
        .where(SearchDocument.thread_id == thread_id)
        .values(title=clean_for_index(title)[:300])
    )


def remove_thread_documents(thread_id: int) -> None:
    db.session.execute(delete(SearchDocument).where(SearchDocument.thread_id == thread_id))
