"""Atom feeds: /feeds/latest.atom and /c/<slug>/feed.atom, read back with feedparser (as feed
readers do) and with an XML parser (for exactly what was written)."""

import xml.etree.ElementTree as ET

import feedparser
import pytest

from community.db import atomic
from community.extensions import db
from community.threads import actions
from tests.communities.helpers import archive
from tests.factories import make_user
from tests.threads.helpers import (
    community,
    first_post_id,
    live,
    make_private,
    post,
    reply,
    signed_in,
    start,
    thread,
)

SITE = "https://commons.example.org"
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def app_settings():
    return {"SITE_URL": SITE}


def fetch(client, url: str):
    """The feed, parsed; it must be well-formed Atom 1.0."""
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/atom+xml"
    xml = response.get_data(as_text=True)
    feed = feedparser.parse(xml)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed, ET.fromstring(response.get_data())  # noqa: S314 (our own output)


def entry_by_link(feed, thread_id: int):
    [entry] = [e for e in feed.entries if e.link == f"{SITE}/t/{thread_id}"]
    return entry


def links(feed) -> list[str]:
    return [e.link for e in feed.entries]


def atom_time(value) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_the_site_feed_is_atom_with_absolute_links_from_site_url(client, alice, bob):
    older = start(alice, title="Social value in tenders", body="How do you **score** it?")
    newer = start(bob, title="Framework agreements", body="Which ones do you use?")

    feed, _xml = fetch(client, "/feeds/latest.atom")

    assert feed.feed.id == f"{SITE}/feeds/latest.atom"
    assert {(link.rel, link.href) for link in feed.feed.links} == {
        ("self", f"{SITE}/feeds/latest.atom"),
        ("alternate", f"{SITE}/"),
    }
    assert links(feed) == [f"{SITE}/t/{newer}", f"{SITE}/t/{older}"]
    entry = entry_by_link(feed, older)
    started = thread(older)
    assert entry.id == f"{SITE}/t/{older}"
    assert entry.title == "Social value in tenders"
    assert entry.author == "Alice Author"
    assert entry.published == atom_time(started.created_at)
    assert entry.updated == atom_time(started.last_post_at)
    assert entry.tags[0].term == "procurement"
    assert entry.content[0].type == "text/html"
    assert "<strong>score</strong>" in entry.content[0].value
    assert feed.feed.updated == atom_time(thread(newer).last_post_at)


def test_a_reply_brings_a_thread_to_the_top_and_updates_it(client, alice, bob):
    older = start(alice, title="Social value in tenders", body="How do you score it?")
    newer = start(alice, title="Framework agreements", body="Which ones do you use?")

    reply(bob, older, "We weight it at ten per cent.")

    feed, _xml = fetch(client, "/feeds/latest.atom")
    assert links(feed) == [f"{SITE}/t/{older}", f"{SITE}/t/{newer}"]
    replied = thread(older)
    assert entry_by_link(feed, older).updated == atom_time(replied.last_post_at)
    assert feed.feed.updated == atom_time(replied.last_post_at)
    # The entry's content is still the first post.
    assert "ten per cent" not in entry_by_link(feed, older).content[0].value


def test_the_content_is_the_first_posts_html_escaped(client, alice):
    body = (
        "**Bold** & <script>alert(1)</script> <img src=x onerror=alert(2)>\n\n"
        "See [the other thread](/t/1) and https://example.org/?a=1&b=2"
    )
    thread_id = start(alice, title="Markup", body=body)
    html = post(first_post_id(thread_id)).html

    feed, xml = fetch(client, "/feeds/latest.atom")

    [content] = xml.iter(f"{ATOM}content")
    assert content.get("type") == "html"
    assert content.text == html  # exactly the stored (sanitised) HTML, as escaped text
    assert "<script" not in html
    value = entry_by_link(feed, thread_id).content[0].value
    assert "<strong>Bold</strong>" in value
    # Site-relative links in posts resolve against SITE_URL (xml:base), not the feed reader.
    assert f'href="{SITE}/t/1"' in value


def test_titles_and_names_with_markup_characters_are_escaped(client, communities):
    author = make_user('Tom "T" & <Co>', email="tom@example.org", communities=("procurement",))
    title = """Fish & chips < £5 > "cheap" 'really' ]]> &amp;"""
    thread_id = start(author, title=title, body="Body.")

    feed, xml = fetch(client, "/feeds/latest.atom")

    entry = entry_by_link(feed, thread_id)
    assert entry.title == title
    assert entry.author == 'Tom "T" & <Co>'
    [entry_title] = [e.text for e in xml.iter(f"{ATOM}title")][1:]
    assert entry_title == title


def test_control_characters_do_not_break_the_feed(client, alice):
    """XML 1.0 has no way to write most control characters, even escaped: they are left out."""
    thread_id = start(alice, title="Bell\x07 and\x1b escape", body="Form\x0cfeed \x01 body.")

    feed, _xml = fetch(client, "/feeds/latest.atom")  # well-formed: bozo == 0

    entry = entry_by_link(feed, thread_id)
    assert entry.title == "Bell and escape"
    assert "\x01" not in entry.content[0].value


def test_members_only_communities_are_left_out(app, client, alice, communities):
    member = make_user("Fay Finance", email="fay@example.org", communities=("finance",))
    make_private("finance")
    hidden = start(member, "finance", title="Private ledger", body="Secret numbers.")
    shown = start(alice, title="Open thread", body="For everyone.")

    feed, _xml = fetch(client, "/feeds/latest.atom")
    assert links(feed) == [f"{SITE}/t/{shown}"]
    assert client.get("/c/finance/feed.atom").status_code == 404
    # A feed is read by feed readers, without the member's session: members-only content
    # never goes into one, whoever asks.
    assert signed_in(app, member).get("/c/finance/feed.atom").status_code == 404
    feed, _xml = fetch(signed_in(app, member).client, "/feeds/latest.atom")
    assert f"{SITE}/t/{hidden}" not in links(feed)


def test_a_thread_moved_into_a_members_only_community_leaves_the_feeds(client, alice):
    make_private("finance")
    admin = make_user("Ann Admin", email="admin@example.org", admin=True)
    thread_id = start(alice, title="Open thread", body="For everyone.")
    assert links(fetch(client, "/feeds/latest.atom")[0]) == [f"{SITE}/t/{thread_id}"]

    with atomic():
        actions.move_thread(live(admin), thread_id, to_slug="finance")

    assert links(fetch(client, "/feeds/latest.atom")[0]) == []
    assert links(fetch(client, "/c/procurement/feed.atom")[0]) == []


def test_deleted_threads_are_left_out(client, alice, mod):
    deleted = start(alice, title="Spam thread", body="Buy now.")
    kept = start(alice, title="Real thread", body="A question.")

    with atomic():
        actions.delete_thread(live(mod), deleted)

    for url in ("/feeds/latest.atom", "/c/procurement/feed.atom"):
        feed, _xml = fetch(client, url)
        assert links(feed) == [f"{SITE}/t/{kept}"]


def test_a_deleted_first_post_leaves_its_text_out(client, alice, bob):
    thread_id = start(alice, title="A thread", body="Words I regret.")
    reply(bob, thread_id, "A reply.")

    with atomic():
        actions.delete_post(live(alice), first_post_id(thread_id))

    response = client.get("/feeds/latest.atom")
    feed, _xml = fetch(client, "/feeds/latest.atom")
    assert entry_by_link(feed, thread_id).title == "A thread"
    assert "regret" not in response.get_data(as_text=True)


def test_a_community_feed_has_that_communitys_threads_only(client, alice, communities):
    here = start(alice, title="Procurement thread", body="Here.")
    other = make_user("Fay Finance", email="fay@example.org", communities=("finance",))
    start(other, "finance", title="Finance thread", body="There.")

    feed, _xml = fetch(client, "/c/procurement/feed.atom")

    name = community("procurement").name
    assert feed.feed.title == f"Commons: {name}"
    assert feed.feed.id == f"{SITE}/c/procurement/feed.atom"
    assert {(link.rel, link.href) for link in feed.feed.links} == {
        ("self", f"{SITE}/c/procurement/feed.atom"),
        ("alternate", f"{SITE}/c/procurement"),
    }
    assert links(feed) == [f"{SITE}/t/{here}"]


def test_an_empty_feed_is_valid_too(client, communities):
    feed, _xml = fetch(client, "/feeds/latest.atom")
    assert feed.entries == []
    feed, _xml = fetch(client, "/c/health/feed.atom")
    assert feed.entries == []


def test_unknown_communities_have_no_feed_and_archived_ones_keep_theirs(client, alice):
    thread_id = start(alice, title="Procurement thread", body="Here.")

    assert client.get("/c/no-such-place/feed.atom").status_code == 404
    archive("procurement")  # read-only: what it holds is still published
    assert links(fetch(client, "/c/procurement/feed.atom")[0]) == [f"{SITE}/t/{thread_id}"]
    assert links(fetch(client, "/feeds/latest.atom")[0]) == [f"{SITE}/t/{thread_id}"]


def test_the_feed_holds_the_latest_thirty(client, alice):
    from community.threads.feeds import FEED_SIZE

    ids = [start(alice, title=f"Thread {i}", body="Body.") for i in range(FEED_SIZE + 2)]

    feed, _xml = fetch(client, "/feeds/latest.atom")

    assert links(feed) == [f"{SITE}/t/{i}" for i in reversed(ids[-FEED_SIZE:])]
    db.session.rollback()
