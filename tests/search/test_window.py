"""The window of recent matches: what keeps a search fast when a word is in a tenth of a
million documents (community/search/queries.py, WINDOW and SCAN).

Every match is ranked while there are fewer than SCAN; beyond that, the WINDOW most recent
matches the reader may find are ranked, and older documents come in only when their own title
holds every word. The window is made small here so that a handful of documents crosses it.
"""

import pytest

from community.extensions import db
from community.search import queries
from tests.communities.helpers import set_visibility
from tests.search.helpers import find, urls
from tests.threads.helpers import reply, start

# The ranking of a fixed set of documents, as the engine ranked it before the window came in
# (the same order: the set is smaller than the window).
FIXED_SET = [
    ("Budget planning for training", "How we plan the training budget each year."),
    ("Training notes", "The budget for training is set in March."),
    ("Budget", "Only the budget, nothing about the other word."),
    ("Minutes of the board", "Training, training, training, and a budget line."),
    ("Procurement rules", "Nothing relevant here at all."),
    ("Training the trainers", "A day of training; the budget was small."),
]
FIXED_REPLIES = [
    (0, "Our budget for training doubled."),
    (2, "Budget training sessions start soon."),
    (4, "A reply about neither word."),
]
FIXED_RANKING = {  # per backend: their relevance measures differ
    "sqlite": {
        "budget": ["p1", "p0", "t2", "t0", "t1", "t5", "t3"],
        "budget training": ["p0", "t0", "p1", "t1", "t5", "t3"],
        "training": ["p0", "t1", "t5", "t0", "t3", "p1"],
    },
    "postgresql": {
        "budget": ["p1", "p0", "t2", "t0", "t5", "t3", "t1"],
        "budget training": ["p0", "t0", "p1", "t1", "t5", "t3"],
        "training": ["p0", "t5", "t1", "t0", "t3", "p1"],
    },
}


def _fixed_set(ada) -> dict[str, str]:
    """The documents' urls by name: t<i> a thread, p<i> a reply."""
    names = {}
    threads = []
    for i, (title, body) in enumerate(FIXED_SET):
        thread_id = start(ada, title=title, body=body)
        threads.append(thread_id)
        names[f"/t/{thread_id}"] = f"t{i}"
    for i, (thread_index, body) in enumerate(FIXED_REPLIES):
        post_id = reply(ada, threads[thread_index], body)
        names[f"/p/{post_id}"] = f"p{i}"
    return names


def _named(names: dict[str, str], found: list[str]) -> list[str]:
    return [names.get(url, url) for url in found]


@pytest.mark.parametrize("q", ["budget", "budget training", "training"])
def test_a_fixed_set_ranks_as_it_did_before_the_window(ada, q):
    """(A reply carries its thread's title, so a reply in a thread whose title has a word
    ranks with the title matches: p0, p1.)"""
    names = _fixed_set(ada)
    assert _named(names, urls(None, q)) == FIXED_RANKING[db.engine.dialect.name][q]


@pytest.fixture
def small_window(monkeypatch):
    monkeypatch.setattr(queries, "WINDOW", 3)
    monkeypatch.setattr(queries, "SCAN", 6)


def test_with_few_matches_every_match_is_ranked(ada, small_window):
    for i in range(5):  # fewer than SCAN
        start(ada, title=f"Note {i}", body="About tenders.")
    page = find(None, "tenders")
    assert len(page.items) == 5
    assert page.extra["narrowed"] is False


def test_beyond_the_window_an_old_title_match_still_comes_first(ada, small_window):
    old_title = start(ada, title="Tenders explained", body="An old guide.")
    old_body = start(ada, title="Old notes", body="Something about tenders.")
    recent = [start(ada, title=f"Note {i}", body="More about tenders.") for i in range(8)]

    page = find(None, "tenders")

    found = [r.url for r in page.items]
    assert found[0] == f"/t/{old_title}"  # its title holds the word
    assert set(found[1:]) == {f"/t/{t}" for t in recent[-3:]}  # the window: 3 most recent
    assert f"/t/{old_body}" not in found
    assert page.extra["narrowed"] is True


def test_the_window_counts_only_what_the_reader_may_find(ada, small_window, monkeypatch):
    monkeypatch.setattr(queries, "SCAN", 10)
    visible = [start(ada, title=f"Open {i}", body="About tenders.") for i in range(8)]
    hidden = [start(ada, "finance", title=f"Closed {i}", body="About tenders.") for i in range(4)]
    set_visibility("finance", "members")

    found = [r.url for r in find(None, "tenders").items]

    assert found == [f"/t/{t}" for t in reversed(visible[-3:])]
    assert not {f"/t/{t}" for t in hidden} & set(found)


def test_the_scan_for_the_window_is_bounded_too(ada, small_window):
    """Mostly hidden matches: the window is what the SCAN newest matches held for the reader."""
    visible = [start(ada, title=f"Open {i}", body="About tenders.") for i in range(6)]
    hidden = [start(ada, "finance", title=f"Closed {i}", body="About tenders.") for i in range(5)]
    set_visibility("finance", "members")

    found = [r.url for r in find(None, "tenders").items]

    assert found == [f"/t/{visible[-1]}"]  # the 6 newest matches: 5 hidden, 1 visible
    assert not {f"/t/{t}" for t in hidden} & set(found)


def test_pages_keep_their_window_while_new_matches_arrive(ada, small_window, monkeypatch):
    monkeypatch.setattr(queries, "PAGE_SIZE", 2)
    threads = [start(ada, title=f"Note {i}", body="About tenders.") for i in range(8)]
    first = find(None, "tenders")
    assert [r.url for r in first.items] == [f"/t/{t}" for t in reversed(threads[-2:])]

    start(ada, title="Newer", body="About tenders too.")  # would move a window made anew
    second = find(None, "tenders", after=first.next_cursor)

    assert [r.url for r in second.items] == [f"/t/{threads[-3]}"]
    assert second.next_cursor is None


def test_the_search_page_says_when_the_window_is_in_use(client, ada, small_window):
    for i in range(8):
        start(ada, title=f"Note {i}", body="About tenders.")
    start(ada, title="Zebra crossings", body="Only one of these.")
    assert "newest matches, newest first" in client.get("/search?q=tenders").text
    assert "newest matches" not in client.get("/search?q=zebra").text
