"""Documents that belong to no community: found by whoever their kind's rule lets see them.

The events domain does not exist yet, so these tests register kinds of their own through the
public API, as a domain does, on the test's app (the kept app gets its registries back after
each test). Every test runs on SQLite and PostgreSQL.
"""

from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
from sqlalchemy import ColumnElement, exists, false, true
from sqlalchemy.orm import aliased

from community.communities.models import Membership
from community.db import atomic
from community.search.actions import index_document
from community.search.kinds import document_kinds, in_a_community_only, register_document_kind
from community.search.models import SearchDocument
from community.search.queries import Filters
from tests.communities.helpers import set_visibility
from tests.factories import make_user
from tests.search.helpers import community_id, find, result_urls, urls
from tests.threads.helpers import signed_in, start


def _everyone(_reader) -> ColumnElement[bool]:
    return true()


def _signed_in(reader) -> ColumnElement[bool]:
    return true() if reader is not None else false()


def _shares_a_community_with_the_author(reader) -> ColumnElement[bool]:
    """Correlated to the document, as a real domain's rule is (its target's row)."""
    if reader is None:
        return false()
    authors, readers = aliased(Membership), aliased(Membership)
    return exists().where(
        authors.user_id == SearchDocument.author_id,
        readers.community_id == authors.community_id,
        readers.user_id == reader.id,
    )


@pytest.fixture
def network_kinds(app):
    """Three network-wide kinds: open to everyone, to members signed in, to those who share
    a community with the author."""
    register_document_kind(app, "gathering", label="Gathering", visible=_everyone)
    register_document_kind(app, "briefing", label="Briefing", visible=_signed_in)
    register_document_kind(app, "note", label="Note", visible=_shares_a_community_with_the_author)


def put(kind: str, object_id: int, *, title: str, body: str = "", author=None, community=None):
    """Index one document as its domain would, in the edge's transaction."""
    with atomic():
        index_document(
            kind, object_id, title=title, body=body, url=f"/{kind}s/{object_id}",
            community_id=community_id(community) if community else None,
            author_id=author.id if author else None,
            created_at=datetime(2026, 12, 1, tzinfo=UTC).replace(tzinfo=None),
        )  # fmt: skip
    return f"/{kind}s/{object_id}"


def test_a_network_wide_document_is_found_by_whoever_its_kind_lets_see_it(
    network_kinds, ada, bob, admin
):
    gathering = put("gathering", 1, title="Networking day in Leeds", body="Open to all.")
    briefing = put("briefing", 2, title="Members' networking briefing")
    note = put("note", 3, title="Networking notes", author=ada)
    carol = make_user("Carol Client", email="carol@example.org", communities=("health",))

    assert urls(None, "networking") == [gathering]
    assert sorted(urls(bob, "networking")) == sorted([gathering, briefing, note])  # procurement
    assert sorted(urls(carol, "networking")) == sorted([gathering, briefing])
    assert sorted(urls(ada, "networking")) == sorted([gathering, briefing, note])
    # The kind's rule decides alone: an admin is one more signed-in reader here.
    assert sorted(urls(admin, "networking")) == sorted([gathering, briefing])


def test_a_network_wide_result_names_its_kind_and_no_community(network_kinds, ada):
    put("gathering", 1, title="Networking day", body="Social value workshops all day.")

    [result] = find(None, "networking").items

    assert result.community is None
    assert result.label == "Gathering"
    assert str(result.title_html) == "<mark>Networking</mark> day"


def test_documents_in_a_community_keep_the_communitys_rule(network_kinds, ada, bob):
    """A kind's rule is for documents with no community: with one, its readers decide."""
    set_visibility("finance", "members")
    in_finance = put("gathering", 1, title="Finance networking", community="finance")
    in_procurement = put("briefing", 2, title="Procurement networking", community="procurement")

    assert urls(None, "networking") == [in_procurement]
    assert urls(bob, "networking") == [in_procurement]
    assert sorted(urls(ada, "networking")) == sorted([in_finance, in_procurement])


def test_a_kind_without_a_rule_is_found_by_nobody_without_a_community(ada, admin):
    """No silent default audience: an unregistered kind's community-less document is found by
    no one (admins included); filed under a community, its community's rule holds."""
    put("poster", 1, title="Networking poster")
    in_community = put("poster", 2, title="Networking flyer", community="procurement")

    for reader in (None, ada, admin):
        assert urls(reader, "networking") == [in_community]
    [result] = find(None, "networking").items
    assert result.label == "Poster"


def test_threads_replies_and_resources_are_only_found_within_a_community(ada, admin):
    kinds = document_kinds()
    for kind, label in (("thread", "Thread"), ("post", "Reply"), ("resource", "Resource")):
        assert kinds[kind].label == label
        assert kinds[kind].visible is in_a_community_only
        put(kind, 999, title=f"Networking {kind} without a community")

    assert urls(admin, "networking") == []


def test_filters_hold_network_wide_documents_too(network_kinds, ada):
    gathering = put("gathering", 1, title="Networking day", author=ada)
    thread_id = start(ada, title="Networking tips", body="Bring cards.")

    assert urls(None, "networking", Filters(community_id=community_id("procurement"))) == [
        f"/t/{thread_id}"
    ]
    assert urls(None, "networking", Filters(kinds=("gathering",))) == [gathering]
    assert urls(None, "networking", Filters(kinds=("thread", "post"))) == [f"/t/{thread_id}"]
    assert urls(None, "networking", Filters(author_ids=(ada.id,))) in (
        [gathering, f"/t/{thread_id}"],
        [f"/t/{thread_id}", gathering],
    )


def test_registering_a_kind_needs_a_rule(app):
    with pytest.raises(TypeError, match="needs a visibility rule"):
        register_document_kind(app, "gathering", label="Gathering", visible=None)
    with pytest.raises(TypeError):
        register_document_kind(app, "gathering", label="Gathering")  # no rule at all
    register_document_kind(app, "gathering", label="Gathering", visible=_everyone)
    with pytest.raises(ValueError, match="registered twice"):
        register_document_kind(app, "gathering", label="Gathering", visible=_everyone)
    with pytest.raises(ValueError, match="1 to 20 characters"):
        register_document_kind(app, "x" * 21, label="Long", visible=_everyone)
    assert "x" * 21 not in document_kinds()


def test_the_search_page_shows_network_wide_results_escaped(app, client, network_kinds, ada):
    url = put(
        "gathering", 1, title="<script>alert(1)</script> Networking day",
        body="Networking <b>all</b> day",
    )  # fmt: skip
    put("briefing", 2, title="Networking briefing")

    html = client.get("/search?" + urlencode({"q": "networking"})).get_data(as_text=True)

    assert result_urls(html) == [url]
    assert "<script>alert(1)" not in html
    assert (
        f'<a href="{url}">&lt;script&gt;alert(1)&lt;/script&gt; <mark>Networking</mark> day</a>'
        in html
    )
    assert "Gathering for the whole network" in html
    member = signed_in(app, ada).client
    html = member.get("/search?" + urlencode({"q": "networking"})).get_data(as_text=True)
    assert len(result_urls(html)) == 2
    assert "Briefing for the whole network" in html
