"""Site-wide values every page shows (the settings, the footer's pages, the banners), held
by each process and read again once the site has changed, in whichever process.

A change to a watched model (`watch`) bumps one counter in the database, in the same flush
and so the same transaction as the change: committed with it, rolled back with it, made by
a request, a job or the command line alike. A request reads the counter once, by primary key,
the first time it asks for a held value, and reads every value again whose counter is old.
An admin's change is then seen by the next request in every process, with one statement per
page instead of one per value, and no Redis needed (the embedded mode has none), nor a
message that may arrive after the next request.

Imports no domain: each domain watches its own models."""

from collections.abc import Callable, Iterable
from typing import TypeVar

from flask import current_app, g, has_app_context, has_request_context
from sqlalchemy import event, insert, inspect, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from .extensions import db

T = TypeVar("T")
VERSION_ID = 1
_EXTENSION = "site_cache"
_watched: dict[type, frozenset[str] | None] = {}


class SiteVersion(db.Model):
    """One row: how many times a site-wide value has changed (made by the migration)."""

    __tablename__ = "site_version"

    id: Mapped[int] = mapped_column(primary_key=True)  # always 1
    version: Mapped[int] = mapped_column(default=0)


def watch(model: type, columns: Iterable[str] | None = None) -> None:
    """Count a change to `model` (to one of `columns`, when given) as a change of the site."""
    _watched[model] = frozenset(columns) if columns is not None else None


def version() -> int:
    """The site's version, read once per request (each time outside one)."""
    if has_request_context() and "site_version" in g:
        return g.site_version
    found = db.session.scalar(select(SiteVersion.version).where(SiteVersion.id == VERSION_ID))
    found = found or 0  # no row: a database emptied by hand (the tests)
    if has_request_context():
        g.site_version = found
    return found


def held(name: str, load: Callable[[], T], still_good: Callable[[T], bool] | None = None) -> T:
    """`load()`'s value, kept by this process while the site's version stays the same (and
    `still_good(value)`, when given, holds). Values must be plain (no ORM objects): requests
    in other threads share them."""
    if not has_request_context():
        return load()  # a job or a command: read afresh, as nothing would keep it fresh
    values = current_app.extensions.setdefault(_EXTENSION, {})
    current = version()
    kept = values.get(name)
    if kept is not None and kept[0] == current and (still_good is None or still_good(kept[1])):
        return kept[1]
    value = load()
    if not g.get("site_changing"):  # never keep what an uncommitted change shows
        values[name] = (current, value)
    return value


def _changes_the_site(session: Session) -> bool:
    for obj in (*session.new, *session.deleted, *session.dirty):
        if type(obj) not in _watched:
            continue
        columns = _watched[type(obj)]
        if obj in session.new or obj in session.deleted or columns is None:
            return True
        attrs = inspect(obj).attrs
        if any(attrs[c].history.has_changes() for c in columns):
            return True
    return False


@event.listens_for(Session, "after_flush")
def _bump(session: Session, _flush_context) -> None:
    # after_flush still sees what the flush wrote; the Core statement runs on the flush's
    # own connection, inside its transaction.
    if not _watched or not _changes_the_site(session):
        return
    table = SiteVersion.__table__
    connection = session.connection()
    bumped = connection.execute(
        update(table).where(table.c.id == VERSION_ID).values(version=table.c.version + 1)
    )
    if bumped.rowcount == 0:
        connection.execute(insert(table).values(id=VERSION_ID, version=1))
    if has_app_context():
        g.pop("site_version", None)
        g.site_changing = True  # until the transaction ends


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _transaction_ended(_session: Session) -> None:
    # The version read inside the transaction may be the one it bumped: read it again.
    if has_app_context() and g.pop("site_changing", False):
        g.pop("site_version", None)
