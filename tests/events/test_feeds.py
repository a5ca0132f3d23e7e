"""Events in the Atom feeds: a community's feed carries its new events, the site-wide feed
those of the public communities and the network-wide ones; members-only communities' events
stay out of every feed. Read back with feedparser, as feed readers do."""

from datetime import datetime, timedelta

import pytest

from community import signals
from community.db import atomic, utcnow
from community.events import actions as event_actions
from community.events.models import Event
from community.extensions import db
from tests.factories import make_event, make_moderator, make_user
from tests.threads.helpers import live, make_private, signed_in, start
from tests.threads.test_feeds import SITE, fetch, links


@pytest.fixture
def app_settings():
    return {"SITE_URL": SITE}


def event_link(event_id: int) -> str:
    return f"{SITE}/events/{event_id}"


def entry(feed, link: str):
    [found] = [e for e in feed.entries if e.link == link]
    return found


def create_at(organiser, starts: datetime, *, zone="Europe/London", **details) -> int:
    with atomic():
        event = event_actions.create_event(
            live(organiser),
            event_actions.EventDetails(
                title=details.pop("title", "Networking day"),
                starts=starts,
                ends=starts + timedelta(hours=2),
                timezone=zone,
                community=details.pop("community", "procurement"),
                location=details.pop("location", "Civic Centre, Newport"),
                **details,
            ),
        )
        return event.id


def test_a_community_feed_carries_its_new_events(client, mod):
    event_id = make_event(
        mod, title="Social value surgery", location="Civic Centre, Newport",
        description="Bring a **tender** you are writing.",
    )  # fmt: skip

    feed, _xml = fetch(client, "/c/procurement/feed.atom")

    assert links(feed) == [event_link(event_id)]
    found = entry(feed, event_link(event_id))
    event = db.session.get(Event, event_id)
    assert found.id == event_link(event_id)
    assert found.title == "Social value surgery"
    assert found.author == "Mona Moderator"
    assert [t.term for t in found.tags] == ["procurement", "event"]
    assert found.published == event.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    content = found.content[0].value
    assert "<strong>Where:</strong> Civic Centre, Newport" in content
    assert "<strong>tender</strong>" in content
    assert "Europe/London" in content
    assert "UTC" in content


@pytest.mark.parametrize(
    ("month", "local", "utc"),
    [(7, "10:00 to 12:00 Europe/London (BST)", "09:00 to 11:00 UTC"),
     (1, "10:00 to 12:00 Europe/London (GMT)", "10:00 to 12:00 UTC")],
)  # fmt: skip
def test_an_entry_says_when_in_the_events_zone_and_in_utc(client, mod, month, local, utc):
    year = utcnow().year + 1
    wall_clock = datetime(year, month, 14, 10, 0)  # noqa: DTZ001 (typed in the event's zone)
    event_id = create_at(mod, wall_clock, title="Working group")

    content = entry(fetch(client, "/c/procurement/feed.atom")[0], event_link(event_id))
    text = content.content[0].value
    day = wall_clock.strftime("%A %-d %B %Y")
    assert f"<strong>When:</strong> {day}, {local}; {day}, {utc}" in text


def test_an_online_event_says_online_and_keeps_its_join_link_out(client, mod):
    event_id = make_event(
        mod, title="Online clinic", location="", join_url="https://meet.example.org/secret-room"
    )

    response = client.get("/c/procurement/feed.atom")
    feed, _xml = fetch(client, "/c/procurement/feed.atom")

    assert "<strong>Where:</strong> Online" in entry(feed, event_link(event_id)).content[0].value
    assert "secret-room" not in response.get_data(as_text=True)


def test_network_wide_events_are_in_the_site_feed_only(client, admin, mod, alice):
    everyone = make_event(admin, community=None, title="Networking day, Cardiff")
    here = make_event(mod, title="Procurement working group")
    thread_id = start(alice, title="Who is going to Cardiff?", body="Anyone?")

    feed, _xml = fetch(client, "/feeds/latest.atom")
    assert links(feed) == [f"{SITE}/t/{thread_id}", event_link(here), event_link(everyone)]
    assert [t.term for t in entry(feed, event_link(everyone)).tags] == ["event"]
    feed, _xml = fetch(client, "/c/procurement/feed.atom")
    assert links(feed) == [f"{SITE}/t/{thread_id}", event_link(here)]
    feed, _xml = fetch(client, "/c/finance/feed.atom")
    assert links(feed) == []


def test_members_only_communities_events_stay_out_of_every_feed(app, client, communities):
    finance_mod = make_user("Fay Finance", email="fay@example.org", communities=("finance",))
    make_moderator("finance", finance_mod)
    make_private("finance")
    hidden = make_event(finance_mod, community="finance", title="Private ledger day")

    assert event_link(hidden) not in links(fetch(client, "/feeds/latest.atom")[0])
    assert client.get("/c/finance/feed.atom").status_code == 404
    # Whoever asks: feeds never carry members-only content.
    member = signed_in(app, finance_mod)
    assert event_link(hidden) not in links(fetch(member.client, "/feeds/latest.atom")[0])
    assert member.get("/c/finance/feed.atom").status_code == 404


def test_a_cancelled_event_stays_marked_and_a_changed_one_moves_up(client, mod, alice):
    cancelled = make_event(mod, title="Bid writing day")
    changed = make_event(mod, title="Lots explained")
    thread_id = start(alice, title="A question", body="About lots.")

    for minutes, event_id, fields, changes in (
        (5, changed, {"title": "Lots and lotting explained"}, {"details"}),
        (10, cancelled, {"cancel_reason": "The venue flooded."}, {"cancelled"}),
    ):
        with atomic():
            event = db.session.get(Event, event_id)
            for name, value in fields.items():
                setattr(event, name, value)
            if "cancelled" in changes:
                event.cancelled_at = db.session.get(Event, event_id).created_at
            event.updated_at = event.created_at + timedelta(minutes=minutes)  # edits touch it
            event.sequence += 1
            signals.event_changed.emit(event=event, changes=frozenset(changes), actor=live(mod))

    feed, _xml = fetch(client, "/c/procurement/feed.atom")
    assert links(feed) == [event_link(cancelled), event_link(changed), f"{SITE}/t/{thread_id}"]
    found = entry(feed, event_link(cancelled))
    assert found.title == "Cancelled: Bid writing day"
    assert "<strong>Cancelled.</strong> The venue flooded." in found.content[0].value
    assert entry(feed, event_link(changed)).title == "Lots and lotting explained"


def test_event_text_is_escaped(client, mod):
    title = """Fish & chips < £5 > "cheap" ]]>"""
    event_id = make_event(mod, title=title, location="<b>Hall</b> & yard")

    feed, _xml = fetch(client, "/c/procurement/feed.atom")

    found = entry(feed, event_link(event_id))
    assert found.title == title
    assert "<strong>Where:</strong> &lt;b&gt;Hall&lt;/b&gt; &amp; yard" in found.content[0].value


def test_the_event_address_is_built_in_one_place_on_the_sites_path(app, client, mod):
    from community.events.links import event_url

    app.config["SITE_URL"] = "https://example.org/commons"
    event_id = make_event(mod, title="Under a path")
    feed, _xml = fetch(client, "/feeds/latest.atom")
    assert f"https://example.org/commons/events/{event_id}" in links(feed)
    assert event_url(event_id, absolute=True) == f"https://example.org/commons/events/{event_id}"
    assert event_url(event_id) == f"/commons/events/{event_id}"  # out of a request: SITE_URL's
    with app.test_request_context("/"):
        assert event_url(event_id) == f"/events/{event_id}"  # in one: the request's own root
    assert db.session.get(Event, event_id).where == "Civic Centre, Newport"
