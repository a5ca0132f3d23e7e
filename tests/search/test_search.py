"""search(): one interface, two backends. Every test here runs on SQLite (FTS5) and PostgreSQL
(tsvector + GIN), with content made and changed through the real thread actions."""

import base64
import json

import pytest

from community.search.queries import PAGE_SIZE, START, STOP, Filters
from tests.communities.helpers import archive, set_visibility
from tests.factories import make_user
from tests.search.helpers import (
    community_id,
    delete_post,
    delete_thread,
    edit,
    find,
    move_thread,
    urls,
)
from tests.threads.helpers import first_post_id, reply, start

# --- ranking, stemming, what is indexed -----------------------------------------------------


def test_a_title_match_ranks_above_a_body_only_match(ada):
    body_only = start(
        ada,
        title="Notes from the budget meeting",
        body="Procurement, procurement and more procurement: procurement all day.",
    )
    in_title = start(ada, title="Procurement rules for councils", body="Read this first.")

    assert urls(None, "procurement") == [f"/t/{in_title}", f"/t/{body_only}"]


def test_ranking_holds_whichever_was_written_first(ada):
    """Not id order in disguise: the title match wins when it is the older one too."""
    in_title = start(ada, title="Procurement rules for councils", body="Read this first.")
    body_only = start(ada, title="Budget notes", body="A word about procurement.")

    assert urls(None, "procurement") == [f"/t/{in_title}", f"/t/{body_only}"]


@pytest.mark.parametrize(
    ("written", "searched"),
    [
        ("Our procurement strategy", "procure"),
        ("I was running late", "run"),
        ("Two councils replied", "council"),
    ],
)
def test_words_are_stemmed(ada, written, searched):
    thread_id = start(ada, title="A thread", body=written)

    assert urls(None, searched) == [f"/t/{thread_id}"]


def test_results_cover_thread_titles_and_reply_bodies(ada, bob):
    thread_id = start(ada, title="Tendering for kiwifruit", body="Opening post.")
    reply_id = reply(bob, thread_id, "Have you tried the greengrocer cooperative?")

    [by_title] = find(None, "kiwifruit").items
    assert (by_title.kind, by_title.url, by_title.title) == (
        "thread",
        f"/t/{thread_id}",
        "Tendering for kiwifruit",
    )
    [by_body] = find(None, "greengrocer").items
    assert (by_body.kind, by_body.url) == ("post", f"/p/{reply_id}")
    assert by_body.title == "Tendering for kiwifruit"  # the thread it is in
    assert by_body.author.display_name == "Bob Builder"
    assert by_body.community.slug == "procurement"


def test_a_reply_is_found_by_its_own_words_with_its_thread_title_as_context(ada, bob):
    """Not by its thread's title alone: every reply would come up for each word of it."""
    thread_id = start(ada, title="Tendering for kiwifruit", body="Opening post.")
    replies = [reply(bob, thread_id, "I agree.") for _ in range(3)]
    with_word = reply(bob, thread_id, "Have you tried the greengrocer cooperative?")

    assert urls(None, "kiwifruit") == [f"/t/{thread_id}"]
    assert urls(None, "kiwifruit greengrocer") == [f"/p/{with_word}"]
    assert urls(None, "kiwifruit agree") == [f"/p/{r}" for r in reversed(replies)]


def test_every_word_must_be_there(ada):
    both = start(ada, title="Social value", body="Scoring social value in tenders.")
    start(ada, title="Scoring", body="Scoring bids on price alone.")

    assert urls(None, "scoring tenders") == [f"/t/{both}"]
    assert urls(None, "tenders scoring") == [f"/t/{both}"]


# --- the index follows the content ----------------------------------------------------------


def test_edits_are_reindexed(ada, bob):
    thread_id = start(ada, title="Catering contracts", body="Who supplies aubergines?")
    reply_id = reply(bob, thread_id, "We buy zucchini locally.")

    edit(ada, first_post_id(thread_id), "Who supplies artichokes?")
    edit(bob, reply_id, "We buy pumpkins locally.")

    assert urls(None, "aubergines") == []
    assert urls(None, "artichokes") == [f"/t/{thread_id}"]
    assert urls(None, "zucchini") == []
    assert urls(None, "pumpkins") == [f"/p/{reply_id}"]


def test_deleted_posts_disappear(ada, bob):
    thread_id = start(ada, title="Catering contracts", body="Who supplies aubergines?")
    reply_id = reply(bob, thread_id, "We buy zucchini locally.")

    delete_post(bob, reply_id)
    assert urls(None, "zucchini") == []

    delete_post(ada, first_post_id(thread_id))
    assert urls(None, "aubergines") == []


def test_deleted_threads_disappear_with_their_replies(ada, bob, admin):
    thread_id = start(ada, title="Catering contracts", body="Who supplies aubergines?")
    reply(bob, thread_id, "We buy zucchini locally.")
    kept = start(ada, title="Other catering", body="Still here.")

    delete_thread(admin, thread_id)

    assert urls(admin, "aubergines") == []
    assert urls(admin, "zucchini") == []
    assert urls(admin, "catering") == [f"/t/{kept}"]


def test_a_moderator_editing_inside_a_deleted_thread_does_not_bring_it_back(ada, bob, admin):
    thread_id = start(ada, title="Catering contracts", body="Who supplies aubergines?")
    reply_id = reply(bob, thread_id, "We buy zucchini locally.")
    delete_thread(admin, thread_id)

    # Moderators can still open a deleted thread, and so change its posts.
    edit(admin, first_post_id(thread_id), "Who supplies artichokes? [removed by moderator]")
    edit(admin, reply_id, "We buy pumpkins locally. [removed by moderator]")

    for reader in (None, admin):
        assert urls(reader, "artichokes") == []
        assert urls(reader, "pumpkins") == []
        assert urls(reader, "catering") == []


def test_a_moved_thread_changes_community(ada, bob, admin):
    thread_id = start(ada, title="Invoices paid late", body="Thirty days or sixty?")
    reply_id = reply(bob, thread_id, "Sixty days hurts small suppliers.")

    move_thread(admin, thread_id, "finance")

    assert {r.community.slug for r in find(None, "sixty").items} == {"finance"}
    procurement = Filters(community_id=community_id("procurement"))
    finance = Filters(community_id=community_id("finance"))
    assert urls(None, "sixty", procurement) == []
    assert set(urls(None, "sixty", finance)) == {f"/t/{thread_id}", f"/p/{reply_id}"}


# --- odd input ------------------------------------------------------------------------------

ODD_QUERIES = [
    '"',
    '""',
    '"procurement',
    'foo"bar',
    "procurement\"'",
    "AND OR NOT",
    "procurement AND",
    "OR procurement",
    "NOT procurement",
    "*",
    "procurement*",
    "-",
    "-procurement",
    "NEAR(",
    "NEAR(procurement rules, 2)",
    ":",
    "title:procurement",
    "body : procurement",
    "{title}: procurement",
    "(",
    ")",
    "(procurement",
    "procurement)",
    "^procurement",
    "procurement + rules",
    "a & b | !c <-> d",
    "'procurement':*",
    "\\",
    "%_",
    "; DROP TABLE search_document; --",
    "🙂",
    "procurement 🙂",
    "x" * 2000,
    "procurement " * 200,
    "?!.,;:-*()[]{}<>",
    "",
    "   ",
    "\x00",
    "procurement\x00rules",
    START + "procurement" + STOP,
]


@pytest.mark.parametrize("q", ODD_QUERIES)
def test_odd_queries_return_normally(ada, q):
    start(ada, title="Procurement rules", body="Rules for buying things.")

    page = find(None, q)

    assert page.next_cursor is None
    assert all(r.url for r in page.items)


@pytest.mark.parametrize(
    "q", ['"procurement', "procurement*", "-procurement", "(procurement)", "procurement AND"]
)
def test_operators_are_ordinary_separators(ada, q):
    """The interface's query language is words: the same results on both backends."""
    thread_id = start(ada, title="Procurement rules", body="Rules for buying things.")

    assert urls(None, q) == [f"/t/{thread_id}"]


def test_a_query_with_no_words_finds_nothing(ada):
    start(ada, title="Procurement rules", body="Rules for buying things.")

    assert find(None, "?!*").items == []
    assert find(None, "").items == []


# --- who sees what --------------------------------------------------------------------------


def test_members_only_content_is_only_for_members_and_admins(ada, bob, admin):
    set_visibility("finance", "members")
    thread_id = start(ada, "finance", title="Private ledger", body="Quarterly reconciliation.")
    stranger = make_user("Sam Stranger", email="sam@example.org")

    for reader in (None, stranger, bob):
        assert urls(reader, "reconciliation") == []
        assert urls(reader, "ledger") == []
        only_finance = Filters(community_id=community_id("finance"))
        assert urls(reader, "reconciliation", only_finance) == []
    for reader in (ada, admin):
        assert urls(reader, "reconciliation") == [f"/t/{thread_id}"]


def test_a_thread_moved_into_a_members_only_community_goes_out_of_sight(ada, bob, admin):
    set_visibility("finance", "members")
    thread_id = start(ada, title="Invoices paid late", body="Thirty days or sixty?")
    reply(bob, thread_id, "Sixty days hurts small suppliers.")
    assert len(urls(bob, "sixty")) == 2

    move_thread(admin, thread_id, "finance")

    assert urls(None, "sixty") == []
    assert urls(bob, "sixty") == []
    assert len(urls(ada, "sixty")) == 2


def test_archived_communities_are_still_searched(ada, admin):
    thread_id = start(ada, title="Procurement rules", body="Rules for buying things.")

    archive("procurement", admin)  # read-only, not hidden

    assert urls(None, "procurement") == [f"/t/{thread_id}"]


# --- filters --------------------------------------------------------------------------------


def test_filter_by_community_and_author(ada, bob):
    procurement = start(ada, title="Supplier lists", body="Who do you use?")
    by_bob = reply(bob, procurement, "Our supplier list is online.")
    finance = start(ada, "finance", title="Supplier payments", body="Paying suppliers on time.")

    assert set(urls(None, "supplier", Filters(community_id=community_id("finance")))) == {
        f"/t/{finance}"
    }
    assert urls(None, "supplier", Filters(author_ids=(bob.id,))) == [f"/p/{by_bob}"]
    assert set(urls(None, "supplier", Filters(author_ids=(ada.id,)))) == {
        f"/t/{procurement}",
        f"/t/{finance}",
    }
    assert urls(None, "supplier", Filters(author_ids=())) == []


# --- snippets -------------------------------------------------------------------------------


def test_snippets_highlight_the_matched_words(ada):
    start(ada, title="A thread", body="Long ago we wrote about social value in procurement.")

    [result] = find(None, "procure").items

    assert "<mark>procurement</mark>" in result.snippet
    assert str(result.snippet).count("<mark>") == 1


def test_titles_highlight_the_matched_words(ada, bob):
    thread_id = start(ada, title="Procurement rules for councils", body="Read this first.")
    reply(bob, thread_id, "Councils should read the rules.")

    results = {r.kind: r for r in find(None, "procure").items}

    assert set(results) == {"thread"}  # the reply has none of the words in its own body
    assert str(results["thread"].title_html) == "<mark>Procurement</mark> rules for councils"
    assert results["thread"].title == "Procurement rules for councils"
    found = {r.kind: r for r in find(None, "council rules").items}
    assert str(found["thread"].title_html) == (
        "Procurement <mark>rules</mark> for <mark>councils</mark>"
    )
    assert str(found["post"].title_html) == str(found["thread"].title_html)


def test_a_title_that_does_not_match_is_shown_whole_and_plain(ada):
    start(ada, title="Budget notes & <b>more</b>", body="A word about procurement.")

    [result] = find(None, "procurement").items

    assert str(result.title_html) == "Budget notes &amp; &lt;b&gt;more&lt;/b&gt;"
    assert "<mark>procurement</mark>" in result.snippet


def test_titles_escape_what_members_wrote_and_mark_only_matches(ada):
    start(ada, title="<script>alert(1)</script> tender & <b>bids</b>", body="Nothing here.")

    [result] = find(None, "tender").items

    assert str(result.title_html) == (
        "&lt;script&gt;alert(1)&lt;/script&gt; <mark>tender</mark> &amp; &lt;b&gt;bids&lt;/b&gt;"
    )


def test_snippets_escape_what_members_wrote(ada):
    start(
        ada,
        title="Markup <b>in</b> titles",
        body='Procurement <script>alert(1)</script> and <img src=x onerror="alert(2)"> & more',
    )

    [result] = find(None, "procurement").items
    snippet = str(result.snippet)

    assert "<mark>Procurement</mark>" in snippet
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in snippet
    assert "&lt;img src=x onerror=" in snippet
    assert "&amp; more" in snippet
    without_marks = snippet.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in without_marks
    assert ">" not in without_marks


def test_the_highlight_markers_in_member_text_cannot_forge_a_highlight(ada):
    start(
        ada,
        title=f"{START}Fake{STOP} title",
        body=f"{START}forged{STOP} procurement {STOP}{START} &#xe000;x&#xe001;",
    )

    [result] = find(None, "procurement").items

    assert str(result.snippet).count("<mark>") == 1
    assert str(result.snippet).count("</mark>") == 1
    assert "<mark>procurement</mark>" in result.snippet
    assert "&amp;#xe000;x&amp;#xe001" in result.snippet  # text, not a character reference
    assert result.title == "Fake title"
    assert str(result.title_html) == "Fake title"


# --- pagination -----------------------------------------------------------------------------


def test_pages_follow_on_with_no_duplicates_and_nothing_missed(ada, bob):
    thread_id = start(ada, title="Widget tenders", body="All about widgets.")
    replies = []
    for i in range(PAGE_SIZE + 6):
        # Different ranks (one, two or three mentions), so pages cut inside rank groups.
        replies.append(reply(bob, thread_id, f"Number {i}: " + "widget " * (i % 3 + 1)))
    expected = {f"/t/{thread_id}"} | {f"/p/{r}" for r in replies}

    first = find(None, "widget")
    assert len(first.items) == PAGE_SIZE
    assert first.next_cursor
    second = find(None, "widget", after=first.next_cursor)
    assert second.next_cursor is None

    seen = [r.url for r in first.items + second.items]
    assert len(seen) == len(set(seen)) == len(expected)
    assert set(seen) == expected


def _cursor(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode()


@pytest.mark.parametrize(
    "after",
    [
        "garbage",
        "!!!",
        "\x00",
        _cursor([]),
        _cursor(["a", 1]),
        _cursor([1.0, "1"]),
        _cursor([1.0, 10**30]),
        _cursor([1.0, 5]),  # a cursor from before the window
        _cursor([1.0, 5, -1]),
        _cursor([1.0, 5, "7"]),
        _cursor([1.0, 5, 10**30]),
        _cursor([1.0, -(10**30)]),
        _cursor([1e308, 1]),
        _cursor({"rank": 1.0}),
        base64.urlsafe_b64encode(b"[NaN, 5]").decode(),
        base64.urlsafe_b64encode(b"[Infinity, 5]").decode(),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
def test_a_malformed_cursor_is_harmless(ada, after):
    thread_id = start(ada, title="Widget tenders", body="All about widgets.")

    page = find(None, "widget", after=after)

    assert [r.url for r in page.items] in ([f"/t/{thread_id}"], [])
