"""The kinds of search documents, and who may find a document that belongs to no community.

A document filed under a community is found by whoever may read that community (and never
while it is archived). A document with no community (a network-wide event, say) is found by
whoever its kind's rule lets see it. The domain that owns a kind registers it once per app,
from its own module (`register_document_kind`), with the label results show and that rule;
search imports no domain. A kind has to name a rule: there is no default audience, so a kind
nobody thought about is never shown to the wrong people (a document of an unregistered kind
with no community is found by no one).
"""

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app
from sqlalchemy import ColumnElement, false

from ..accounts.models import User

REGISTRY = "commons_search_kinds"  # app.extensions key: {kind: DocumentKind}

# (reader, None when anonymous) -> a WHERE clause on SearchDocument (correlated subqueries
# allowed): true for the community-less documents of the kind that this reader may see.
Visibility = Callable[[User | None], ColumnElement[bool]]


@dataclass(frozen=True)
class DocumentKind:
    label: str  # how a result of this kind is named ("Thread", "Reply", "Event")
    visible: Visibility


def register_document_kind(app: Flask, kind: str, *, label: str, visible: Visibility) -> None:
    """Make documents of `kind` searchable in `app` (the kind's domain calls this once)."""
    if not callable(visible):
        raise TypeError(f"search kind {kind!r} needs a visibility rule for documents with no "
                        "community (use in_a_community_only when it never has any)")  # fmt: skip
    if not 0 < len(kind) <= 20:
        raise ValueError(f"search kind {kind!r} must be 1 to 20 characters")
    kinds = app.extensions.setdefault(REGISTRY, {})
    if kind in kinds:
        raise ValueError(f"search kind {kind!r} is registered twice")
    kinds[kind] = DocumentKind(label=label, visible=visible)


def document_kinds() -> dict[str, DocumentKind]:
    return dict(current_app.extensions.get(REGISTRY, {}))


def in_a_community_only(_reader: User | None) -> ColumnElement[bool]:
    """The rule of a kind whose documents always belong to a community (threads, replies,
    resources): one without a community is found by no one."""
    return false()
