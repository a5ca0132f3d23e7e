"""Helpers shared by the community and admin tests."""

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from html import unescape

from sqlalchemy import event, select

from community.communities.models import Community, Membership
from community.db import atomic
from community.extensions import db


@contextmanager
def count_statements() -> Iterator[list[str]]:
    """Every SQL statement sent to the database inside the block."""
    statements: list[str] = []

    def before(_conn, _cursor, statement, _parameters, _context, _executemany):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def fresh() -> None:
    """End the test's read transaction: on SQLite (WAL) it would keep an old snapshot."""
    db.session.rollback()


def community(slug: str) -> Community:
    fresh()
    return db.session.scalar(select(Community).where(Community.slug == slug))


def membership_count(slug: str) -> int:
    fresh()
    return db.session.scalar(
        select(db.func.count())
        .select_from(Membership)
        .join(Community)
        .where(Community.slug == slug)
    )


def set_visibility(slug: str, visibility: str) -> None:
    with atomic():
        db.session.scalar(select(Community).where(Community.slug == slug)).visibility = visibility


def archive(slug: str, admin=None) -> None:
    """Archive the community through the admins' action (an admin is made if none given)."""
    from community.communities.actions import archive_community
    from tests.factories import make_user

    admin = admin or make_user(admin=True)
    with atomic():
        archive_community(db.session.merge(admin), slug)


def run_concurrently(app, work: Callable[[int], None], items: list[int]) -> list[BaseException]:
    """Run `work(item)` for every item at once, each in its own thread and app context."""
    barrier = threading.Barrier(len(items))
    errors: list[BaseException] = []

    def run(item: int) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                work(item)
            except BaseException as exc:  # reported to the test, not lost in the thread
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(item,)) for item in items]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a worker thread hung"
    return errors


def text_of(html: str) -> str:
    """The page's text with tags removed, entities decoded and whitespace collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def csrf(client, url: str = "/") -> str:
    """A CSRF token from any form on the page (every token of the session is valid)."""
    html = client.get(url).get_data(as_text=True)
    for tag in re.findall(r"<input[^>]*>", html):
        if re.search(r'name="(?:[\w-]+-)?csrf_token"', tag):
            return re.search(r'value="([^"]+)"', tag).group(1)
    raise AssertionError(f"no CSRF token on {url}")


def post(client, url: str, data: dict | None = None, *, token_page: str = "/", **kwargs):
    """POST a form as a browser would: with the session's CSRF token."""
    return client.post(url, data={"csrf_token": csrf(client, token_page), **(data or {})}, **kwargs)
