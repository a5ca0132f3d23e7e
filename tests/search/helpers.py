"""Helpers for the search tests: searching as a reader, and changing content through the actions."""

import re
from html import unescape

from community.communities.models import Community
from community.db import atomic
from community.extensions import db
from community.search.queries import Filters, search
from community.threads import actions
from community.threads.models import Post
from community.threads.receivers import index_post
from tests.threads.helpers import fresh, live


def find(reader, q: str, filters: Filters | None = None, *, after: str | None = None):
    """One page of results, as `reader` (a User, or None for an anonymous reader) sees them."""
    fresh()
    return search(live(reader) if reader else None, q, filters or Filters(), after=after)


def urls(reader, q: str, filters: Filters | None = None) -> list[str]:
    """The urls of every result, page after page, in order."""
    seen, after = [], None
    for _ in range(50):
        page = find(reader, q, filters, after=after)
        seen += [r.url for r in page.items]
        if page.next_cursor is None:
            return seen
        after = page.next_cursor
    raise AssertionError("the pages never end")


def edit(user, post_id: int, body: str, reason: str = "Tidied by a moderator") -> None:
    """(`reason` is asked only of a moderator changing someone else's post.)"""
    with atomic():
        actions.edit_post(live(user), post_id, body=body, reason=reason)


def delete_post(user, post_id: int) -> None:
    with atomic():
        actions.delete_post(live(user), post_id)


def delete_thread(user, thread_id: int) -> None:
    with atomic():
        actions.delete_thread(live(user), thread_id)


def move_thread(user, thread_id: int, to_slug: str) -> None:
    with atomic():
        actions.move_thread(live(user), thread_id, to_slug=to_slug)


def community_id(slug: str) -> int:
    fresh()
    return db.session.scalar(db.select(Community.id).where(Community.slug == slug))


def backdate(post_id: int, when) -> None:
    """Give a post an earlier time (naive UTC), in the index too, as `flask demo load` does."""
    with atomic():
        post = db.session.get(Post, post_id)
        post.created_at = when
        index_post(post)


def result_urls(html: str) -> list[str]:
    """The links of the results on a search page, in order."""
    results = re.search(r'<ol class="results">(.*?)</ol>', html, re.S)
    return re.findall(r'<h2><a href="([^"]+)">', results.group(1)) if results else []


def next_link(html: str) -> str | None:
    match = re.search(r'<a class="button secondary" href="([^"]+)">Next page</a>', html)
    return unescape(match.group(1)) if match else None


def errors(html: str) -> list[str]:
    summary = re.search(r'<div class="error-summary" role="alert">(.*?)</div>', html, re.S)
    return [unescape(e) for e in re.findall(r"<p>(.*?)</p>", summary.group(1))] if summary else []
