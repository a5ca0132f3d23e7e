"""A community's podcast feed, /c/<slug>/podcast.xml: RSS 2.0 with iTunes tags, read back with
feedparser (as podcast apps do) and with an XML parser (for exactly what was written)."""

import xml.etree.ElementTree as ET

import feedparser
import pytest

from community.accounts.models import User
from community.communities import actions as community_actions
from community.db import atomic
from community.resources import actions
from community.resources.feeds import rfc822
from community.uploads import check_upload
from tests.communities.helpers import archive, set_visibility
from tests.factories import make_moderator, make_user
from tests.filesamples import MP3_FRAME_SIZE, mp3_bytes, pdf_bytes
from tests.resources.helpers import LIMIT, live, reload

SITE = "https://commons.example.org"
ITUNES = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def app_settings():
    return {"SITE_URL": SITE}


def audio(frames: int = 3, name: str = "episode.mp3"):
    return check_upload(name, mp3_bytes(frames), max_bytes=LIMIT)


def submit(user: User, title: str = "Social value, episode 1", **fields) -> int:
    """Share a resource as `user` (a podcast with a 3-frame MP3 unless told); its id."""
    upload = fields.pop("upload", None) if "upload" in fields else audio()
    details = actions.Details(
        title=title,
        kind=fields.pop("kind", "podcast"),
        communities=fields.pop("communities", ["procurement"]),
        **fields,
    )
    with atomic():
        return actions.submit_resource(live(user), details, upload=upload).id


def fetch(client, url: str = "/c/procurement/podcast.xml"):
    """The feed, parsed; it must be well-formed RSS 2.0."""
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    feed = feedparser.parse(response.get_data())
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "rss20"
    return feed, ET.fromstring(response.get_data())  # noqa: S314 (our own output)


def download(client, url: str):
    """GET a file (a site-relative or absolute URL): its response, read and closed."""
    response = client.get(url.removeprefix(SITE))
    response.get_data()
    response.close()
    return response


def titles(feed) -> list[str]:
    return [e.title for e in feed.entries]


def signed_in(browser, user: User):
    browser.login(user.email)
    return browser.client


def test_the_feed_describes_the_channel_with_absolute_links(client, communities):
    feed, xml = fetch(client)
    channel = xml.find("channel")
    assert feed.feed.title == "Procurement podcast — Commons"
    assert feed.feed.link == f"{SITE}/c/procurement/resources"
    assert feed.feed.description == communities["procurement"].description
    assert feed.feed.language == "en-gb"
    assert channel.findtext(f"{ITUNES}author") == "Commons"
    assert channel.findtext(f"{ITUNES}explicit") == "false"
    [self_link] = channel.findall(f"{ATOM}link")
    assert self_link.attrib == {
        "rel": "self",
        "type": "application/rss+xml",
        "href": f"{SITE}/c/procurement/podcast.xml",
    }
    assert channel.find(f"{ITUNES}image") is None  # no artwork yet: left out, not empty
    assert feed.entries == []


def test_an_episode_has_its_enclosure_guid_date_and_summary(client, mod):
    episode_id = submit(
        mod,
        summary="Mona talks to two buyers about **scoring** social value.\n\n- lots\n- weighting",
        upload=audio(frames=5),
    )
    episode = reload(episode_id)

    feed, xml = fetch(client)

    [entry] = feed.entries
    assert entry.title == "Social value, episode 1"
    assert entry.link == f"{SITE}/resources/{episode_id}"
    assert entry.id == f"commons-resource-{episode_id}"
    assert entry.guidislink is False
    assert xml.find("channel/item/guid").attrib == {"isPermaLink": "false"}
    assert entry.published == rfc822(episode.published_at)
    assert entry.published.endswith(" GMT")
    assert feed.feed.updated == entry.published  # lastBuildDate: the newest episode
    # Plain text: the Markdown's tags are gone, its words stay.
    description = xml.findtext("channel/item/description")
    assert "<" not in description
    assert "**" not in description
    assert "Mona talks to two buyers about scoring social value." in description
    assert "weighting" in description
    [enclosure] = entry.enclosures
    assert enclosure.href == f"{SITE}/resources/{episode_id}/versions/1/download"
    assert enclosure.type == "audio/mpeg"
    assert int(enclosure.length) == episode.latest_version.size == 10 + 5 * MP3_FRAME_SIZE

    # The enclosure is the file itself, for anyone who may read the community.
    file = download(client, enclosure.href)
    assert file.status_code == 200
    assert file.mimetype == "audio/mpeg"
    assert file.get_data() == mp3_bytes(5)


def test_a_member_episode_appears_once_approved_newest_first(client, alice, mod):
    first = submit(mod, "Episode 1: tendering")
    second = submit(alice, "Episode 2: lots")
    feed, _xml = fetch(client)
    assert titles(feed) == ["Episode 1: tendering"]  # the member's waits for review

    with atomic():
        actions.approve_resource(live(mod), second)
    feed, _xml = fetch(client)
    assert titles(feed) == ["Episode 2: lots", "Episode 1: tendering"]
    assert [e.id for e in feed.entries] == [f"commons-resource-{n}" for n in (second, first)]


def test_a_new_version_replaces_the_enclosure_of_the_same_episode(client, mod):
    episode_id = submit(mod, upload=audio(frames=3))
    with atomic():
        actions.add_version(live(mod), episode_id, audio(frames=7, name="episode-fixed.mp3"))

    feed, _xml = fetch(client)

    [entry] = feed.entries
    assert entry.id == f"commons-resource-{episode_id}"  # apps update it, not list it twice
    [enclosure] = entry.enclosures
    assert enclosure.href == f"{SITE}/resources/{episode_id}/versions/2/download"
    assert int(enclosure.length) == 10 + 7 * MP3_FRAME_SIZE
    assert download(client, enclosure.href).get_data() == mp3_bytes(7)


def test_only_published_podcasts_with_audio_are_episodes(client, alice, mod, communities):
    published = submit(mod, "Published episode")
    pending = submit(alice, "Pending episode")
    rejected = submit(alice, "Rejected episode")
    changes = submit(alice, "Episode needing changes")
    archived = submit(mod, "Archived episode")
    submit(mod, "Audio that is not a podcast", kind="other")
    submit(mod, "Podcast hosted elsewhere", upload=None, link="https://example.org/ep.mp3")
    submit(
        mod, "Podcast transcript only", upload=check_upload("t.pdf", pdf_bytes(), max_bytes=LIMIT)
    )
    elsewhere = make_moderator("finance", live(mod))
    submit(elsewhere, "Episode in another community", communities=["finance"])
    with atomic():
        actions.reject_resource(live(mod), rejected, reason="Off topic.")
        actions.request_changes(live(mod), changes, reason="Trim the intro.")
        actions.set_archived(live(mod), archived, True)

    feed, _xml = fetch(client)

    assert titles(feed) == ["Published episode"]
    assert feed.entries[0].id == f"commons-resource-{published}"
    # Neither are the hidden ones' files reachable for a visitor.
    for hidden in (pending, rejected, changes):
        assert download(client, f"/resources/{hidden}/versions/1/download").status_code == 404
    finance, _xml = fetch(client, "/c/finance/podcast.xml")
    assert titles(finance) == ["Episode in another community"]


def test_titles_and_summaries_are_escaped(client, mod):
    submit(mod, 'Tips <&> "tricks"', summary="Fish & chips <script>alert(1)</script> & more")
    response = client.get("/c/procurement/podcast.xml")
    raw = response.get_data(as_text=True)
    assert "<script>" not in raw
    assert "Tips &lt;&amp;&gt;" in raw

    feed, xml = fetch(client)

    assert xml.findtext("channel/item/title") == 'Tips <&> "tricks"'
    assert feed.entries[0].title == 'Tips <&> "tricks"'
    assert "Fish & chips" in xml.findtext("channel/item/description")


@pytest.mark.parametrize("reader", ["anonymous", "outsider"])
def test_a_members_only_communitys_feed_does_not_exist_for_others(browser, alice, mod, reader):
    submit(mod, "Members' episode")
    set_visibility("procurement", "members")
    if reader == "outsider":
        signed_in(browser, make_user("Olly Outsider"))
    assert browser.get("/c/procurement/podcast.xml").status_code == 404


def test_a_members_only_communitys_feed_is_for_its_members(browser, alice, mod):
    episode_id = submit(mod, "Members' episode")
    set_visibility("procurement", "members")
    client = signed_in(browser, alice)

    response = client.get("/c/procurement/podcast.xml")

    assert response.status_code == 200
    assert "private" in response.headers["Cache-Control"]  # never kept by a shared cache
    feed, _xml = fetch(client)
    assert titles(feed) == ["Members' episode"]
    href = feed.entries[0].enclosures[0].href
    assert download(client, href).status_code == 200
    browser.logout()
    assert download(client, f"/resources/{episode_id}/versions/1/download").status_code == 404


def test_an_admin_reads_a_members_only_feed(browser, mod):
    submit(mod, "Members' episode")
    set_visibility("procurement", "members")
    signed_in(browser, make_user(admin=True))
    feed, _xml = fetch(browser.client)
    assert titles(feed) == ["Members' episode"]


def test_unknown_communities_have_no_feed_and_archived_ones_keep_theirs(client, mod):
    submit(mod, "Episode")
    assert client.get("/c/no-such-place/podcast.xml").status_code == 404
    archive("procurement")  # read-only: its episodes stay published
    response = client.get("/c/procurement/podcast.xml")
    assert response.status_code == 200
    assert "Episode" in response.get_data(as_text=True)


def test_an_episode_shared_into_a_members_only_community_too_stays_in_the_public_feed(
    client, mod, communities
):
    set_visibility("health", "members")
    with atomic():
        community_actions.add_member(make_user(admin=True), "health", email=mod.email)
    episode = submit(mod, "Shared episode", communities=["procurement", "health"])
    # Not Health's moderator, so it waits for review; as Procurement's, they may approve it.
    with atomic():
        actions.approve_resource(live(mod), episode)
    feed, _xml = fetch(client)
    assert titles(feed) == ["Shared episode"]
    assert client.get("/c/health/podcast.xml").status_code == 404


def test_the_communitys_resource_page_links_its_podcast_feed(client, mod):
    submit(mod)
    response = client.get("/c/procurement/resources")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'href="/c/procurement/podcast.xml"' in page
