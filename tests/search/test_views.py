"""GET /search: the page a reader uses, with its filters, messages, snippets and pages."""

import re
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest

from community.accounts.models import User
from community.db import atomic
from community.extensions import db
from tests.communities.helpers import set_visibility
from tests.factories import make_user
from tests.search.helpers import backdate, errors, next_link, result_urls
from tests.search.test_search import ODD_QUERIES
from tests.threads.helpers import first_post_id, reply, signed_in, start


def get(client, status=200, **params):
    response = client.get("/search?" + urlencode(params))
    assert response.status_code == status, response.status_code
    return response.get_data(as_text=True)


def stored(*fields) -> datetime:
    """A stored time: naive UTC."""
    return datetime(*fields, tzinfo=UTC).replace(tzinfo=None)


def test_the_search_page_finds_ranks_and_highlights(client, ada, bob):
    body_only = start(ada, title="Budget notes", body="A word about procurement.")
    in_title = start(ada, title="Procurement rules", body="Read this first.")
    reply_id = reply(bob, in_title, "Procurement teams should read them.")

    html = get(client, q="procure")

    urls = result_urls(html)
    assert set(urls[:2]) == {f"/t/{in_title}", f"/p/{reply_id}"}  # both have it in the title
    assert urls[2:] == [f"/t/{body_only}"]
    assert "<mark>procurement</mark>" in html
    assert "Reply in Procurement" in html
    assert "Bob Builder" in html
    assert next_link(html) is None


def test_an_empty_search_shows_the_form_only(client):
    html = get(client)

    assert 'role="search"' in html
    assert result_urls(html) == []
    assert "Nothing matches" not in html


@pytest.mark.parametrize("q", ODD_QUERIES)
def test_odd_queries_return_a_page(client, ada, q):
    start(ada, title="Procurement rules", body="Rules for buying things.")

    # NUL: no browser sends it, and the site refuses it everywhere with a plain 400.
    html = get(client, 400 if "\x00" in q else 200, q=q)

    assert "Search" in html or "cannot accept" in html


@pytest.mark.parametrize("name", ["community", "author", "from", "to", "after"])
@pytest.mark.parametrize("value", ["a\x00b", "x" * 5000, "🙂", "'\"<>&;--", "   "])
def test_odd_values_in_any_parameter_are_harmless(client, ada, name, value):
    start(ada, title="Procurement rules", body="Rules for buying things.")

    if "\x00" in value:
        get(client, 400, q="procurement", **{name: value})
        return
    html = get(client, q="procurement", **{name: value})

    if name == "after" or not value.strip():
        assert errors(html) == []
        assert len(result_urls(html)) == 1
    else:
        assert errors(html)  # no such community or member; not a date
        assert "<>&" not in html


def test_member_text_is_escaped_and_only_highlights_are_markup(client, ada):
    start(
        ada,
        title="<script>alert(1)</script> tender",
        body='Tender <img src=x onerror="alert(2)"> and <script>alert(3)</script> & </p><b>',
    )

    html = get(client, q="tender")

    assert "<script>alert" not in html
    assert "<img src=x" not in html
    # The title's matched word is highlighted too, the rest of it escaped.
    assert "&lt;script&gt;alert(1)&lt;/script&gt; <mark>tender</mark></a>" in html
    [snippet] = re.findall(r'<p class="snippet">(.*?)</p>', html, re.S)
    assert set(re.findall(r"</?[^>]*>", snippet)) == {"<mark>", "</mark>"}
    assert "&lt;img src=x onerror=" in snippet
    assert "&lt;script&gt;alert(3)" in snippet
    # The query box gives back what was typed, escaped too.
    html = get(client, q='"><script>alert(4)</script>')
    assert "<script>alert(4)" not in html
    assert "&lt;script&gt;alert(4)" in html


def test_members_only_results_are_for_members_and_admins(app, client, ada, bob):
    set_visibility("finance", "members")
    thread_id = start(ada, "finance", title="Private ledger", body="Quarterly reconciliation.")
    admin = make_user("Ann Admin", email="admin@example.org", admin=True)

    assert result_urls(get(client, q="reconciliation")) == []
    assert result_urls(get(signed_in(app, bob).client, q="reconciliation")) == []
    # Naming the community does not reveal it either: the message is the one for a typo.
    html = get(signed_in(app, bob).client, q="reconciliation", community="finance")
    assert errors(html) == ["We could not find the community “finance”."]
    assert result_urls(html) == []

    for reader in (ada, admin):
        member = signed_in(app, reader).client
        assert result_urls(get(member, q="reconciliation")) == [f"/t/{thread_id}"]
        html = get(member, q="reconciliation", community="finance")
        assert result_urls(html) == [f"/t/{thread_id}"]


def test_filter_by_community(client, ada):
    in_procurement = start(ada, title="Supplier lists", body="Who do you use?")
    in_finance = start(ada, "finance", title="Supplier payments", body="On time.")

    assert result_urls(get(client, q="supplier", community="finance")) == [f"/t/{in_finance}"]
    assert result_urls(get(client, q="supplier", community="procurement")) == [
        f"/t/{in_procurement}"
    ]
    html = get(client, q="supplier", community="no-such-place")
    assert errors(html) == ["We could not find the community “no-such-place”."]


def test_filter_by_author_name_in_any_case(client, ada, bob):
    thread_id = start(ada, title="Supplier lists", body="Who do you use?")
    by_bob = reply(bob, thread_id, "Our supplier list is online.")

    assert result_urls(get(client, q="supplier", author="Bob Builder")) == [f"/p/{by_bob}"]
    assert result_urls(get(client, q="supplier", author="  bob   BUILDER ")) == [f"/p/{by_bob}"]
    assert result_urls(get(client, q="supplier", author="Ada Lovelace")) == [f"/t/{thread_id}"]


def test_an_author_name_two_members_share_finds_both(client, ada):
    twin = make_user("Ada Lovelace", email="ada2@example.org", communities=("procurement",))
    first = start(ada, title="Supplier lists", body="Who do you use?")
    second = start(twin, title="Supplier days", body="Meet the buyers.")
    start(make_user(communities=("procurement",)), title="Supplier news", body="Nothing.")

    html = get(client, q="supplier", author="ada lovelace")

    assert set(result_urls(html)) == {f"/t/{first}", f"/t/{second}"}


def test_an_unknown_author_is_a_clear_message(client, ada):
    start(ada, title="Supplier lists", body="Who do you use?")

    html = get(client, q="supplier", author="Nobody Atall")

    assert errors(html) == ["No member is called “Nobody Atall”."]
    assert result_urls(html) == []
    assert 'value="Nobody Atall"' in html  # kept in the form to correct


@pytest.mark.parametrize("value", ["yesterday", "2026-02-30", "2026-13-01", "25/11/2026", "0"])
def test_an_invalid_date_is_a_clear_message(client, ada, value):
    start(ada, title="Supplier lists", body="Who do you use?")

    for field in ("from", "to"):
        html = get(client, q="supplier", **{field: value})

        assert errors(html) == [f"“{value}” is not a date like 2026-11-25."]
        assert result_urls(html) == []


def _dated_threads(ada) -> dict[str, int]:
    """Threads started at known times (UTC); London is on summer time (UTC+1) in June."""
    threads = {}
    for name, when in {
        "late_31_may": stored(2026, 5, 31, 23, 30),  # 1 June, 00:30 in London
        "noon_1_june": stored(2026, 6, 1, 12, 0),
        "late_1_june": stored(2026, 6, 1, 23, 30),  # 2 June, 00:30 in London
        "noon_2_june": stored(2026, 6, 2, 12, 0),
    }.items():
        threads[name] = start(ada, title=f"Supplier {name}", body="Dated.")
        backdate(first_post_id(threads[name]), when)
    return threads


def test_dates_are_whole_days_in_the_readers_time_zone(client, ada):
    t = _dated_threads(ada)

    def found(**dates):
        return set(result_urls(get(client, q="supplier", **dates)))

    # An anonymous reader sees London dates: from and to are inclusive London days.
    assert found(**{"from": "2026-06-01", "to": "2026-06-01"}) == {
        f"/t/{t['late_31_may']}",
        f"/t/{t['noon_1_june']}",
    }
    assert found(**{"from": "2026-06-02"}) == {f"/t/{t['late_1_june']}", f"/t/{t['noon_2_june']}"}
    assert found(to="2026-05-31") == set()
    assert found(**{"from": "2026-06-03"}) == set()
    assert found(**{"from": "2026-06-02", "to": "2026-06-01"}) == set()
    assert found(**{"from": "0001-01-01", "to": "9999-12-31"}) == {f"/t/{i}" for i in t.values()}
    # The dates shown agree with the filter.
    html = get(client, q="supplier", **{"from": "2026-06-02", "to": "2026-06-02"})
    assert "2 Jun 2026" in html
    assert "1 Jun 2026" not in html


def test_a_member_in_another_time_zone_gets_their_own_days(app, ada):
    t = _dated_threads(ada)
    with atomic():
        db.session.get(User, ada.id).timezone = "Pacific/Auckland"  # UTC+12 in June
    member = signed_in(app, ada).client

    html = get(member, q="supplier", **{"from": "2026-06-02", "to": "2026-06-02"})

    # 1 June 12:00 UTC is midnight on 2 June in Auckland; 1 June 23:30 UTC is 11:30 there.
    assert set(result_urls(html)) == {f"/t/{t['noon_1_june']}", f"/t/{t['late_1_june']}"}


def test_more_than_a_page_of_results_has_a_next_page_link(client, ada, bob):
    thread_id = start(ada, title="Widget tenders", body="All about widgets.")
    replies = [reply(bob, thread_id, f"Number {i}: " + "widget " * (i % 3 + 1)) for i in range(27)]
    expected = {f"/t/{thread_id}"} | {f"/p/{r}" for r in replies}

    seen, url, pages = [], "/search?" + urlencode({"q": "widgets", "community": "procurement"}), 0
    while url:
        response = client.get(url)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        seen += result_urls(html)
        url, pages = next_link(html), pages + 1
        if url:  # the filters go on to the next page
            assert "community=procurement" in url
            assert "q=widgets" in url

    assert pages == 2
    assert len(seen) == len(set(seen)) == len(expected)
    assert set(seen) == expected


def test_a_malformed_page_link_shows_the_first_page(client, ada):
    thread_id = start(ada, title="Widget tenders", body="All about widgets.")

    for after in ("garbage", "W1.0, 99999999999999999999999]", "WzEuMCwgMWUzMDBd"):
        html = get(client, q="widget", after=after)

        assert result_urls(html) == [f"/t/{thread_id}"]


def test_the_query_is_cut_to_the_length_of_the_box(client, ada):
    thread_id = start(ada, title="Widget tenders", body="All about widgets.")

    assert result_urls(get(client, q="widget " + "x" * 5000)) == []  # needs the x… word too
    html = get(client, q="widget" + " " * 300 + "nonsense")
    assert result_urls(html) == [f"/t/{thread_id}"]  # the second word was past the limit
