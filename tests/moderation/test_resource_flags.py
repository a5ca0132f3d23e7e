"""Flags on resources: enough of them hide a published resource at once from every list,
page, download, search, feed, digest and notice; a moderator of its first community restores
it (it comes back everywhere) or removes it (archived, and still hidden)."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from community.accounts.models import Organisation
from community.communities.models import Community
from community.db import atomic, utcnow
from community.digests.content import Shared
from community.errors import Conflict, Forbidden, NotFound
from community.events import record
from community.events.models import Event
from community.extensions import db
from community.moderation import flags, queue
from community.moderation.models import Flag
from community.moderation.queries import recent_audit
from community.notifications.actions import still_visible
from community.notifications.models import Notification
from community.resources import actions, queries
from community.resources.models import Resource
from community.search.queries import Filters, search
from tests.factories import make_event, make_moderator, make_user
from tests.resources.helpers import details, mp3_upload
from tests.threads.helpers import fresh, live

TITLE = "Quokka tender toolkit"


def flag(user, resource_id, reason="spam"):
    with atomic():
        return flags.flag(live(user), "resource", resource_id, reason=reason)


def decide(user, resource_id, decision, reason=""):
    with atomic():
        return flags.decide(live(user), "resource", resource_id, decision, reason=reason)


def hide_by_flags(flaggers, resource_id) -> None:
    for member in flaggers:
        flag(member, resource_id)


def resource(resource_id: int) -> Resource:
    fresh()
    return db.session.get(Resource, resource_id)


def visible_notices(user) -> list[Notification]:
    fresh()
    stmt = select(Notification).where(Notification.user_id == user.id, still_visible())
    return list(db.session.scalars(stmt.order_by(Notification.id)))


@pytest.fixture
def organisation(communities) -> Organisation:
    with atomic():
        found = Organisation(slug="quokka-works", name="Quokka Works")
        db.session.add(found)
    return found


@pytest.fixture
def podcast(alice, mod, organisation) -> int:
    """Alice's published, featured podcast episode in Procurement: in every list and feed."""
    with atomic():
        submitted = actions.submit_resource(
            live(alice),
            details(title=TITLE, kind="podcast", summary="Scoring tenders for social value.",
                    organisation_id=organisation.id),
            upload=mp3_upload(),
        )  # fmt: skip
        db.session.flush()
        actions.approve_resource(live(mod), submitted.id)
        actions.set_featured(live(mod), submitted.id, True)
        return submitted.id


def surfaces(client, user) -> dict[str, bool]:
    """Where the podcast shows for `user` (None: an anonymous visitor): True where it does."""
    fresh()
    reader = live(user) if user is not None else None
    procurement = db.session.scalar(select(Community).where(Community.slug == "procurement"))
    pages = {
        "bank": "/resources",
        "community bank": "/c/procurement/resources",
        "tag page": "/resources?tag=tenders",
        "organisation page": "/orgs/quokka-works",
        "home's featured": "/",
        "podcast feed": "/c/procurement/podcast.xml",
    }
    shown = {name: TITLE in client.get(url).get_data(as_text=True) for name, url in pages.items()}
    since = utcnow() - timedelta(days=1)
    digest = Shared(utcnow() + timedelta(minutes=1)).community(procurement, since)
    shown["digest"] = any(i["title"] == TITLE for s in digest.sections for i in s.items)
    shown["search"] = bool(search(reader, "quokka", Filters()).items)
    shown["featured query"] = bool(queries.featured(reader))
    return shown


def everywhere(value: bool) -> dict[str, bool]:
    names = ("bank", "community bank", "tag page", "organisation page", "home's featured",
             "podcast feed", "digest", "search", "featured query")  # fmt: skip
    return dict.fromkeys(names, value)


# --- flagging -------------------------------------------------------------------------------


def test_a_member_flags_a_resource_once(alice, flaggers, podcast):
    row = flag(flaggers[0], podcast, "offensive")
    assert (row.target_kind, row.target_id, row.reason) == ("resource", podcast, "offensive")
    with pytest.raises(Conflict, match="flagged this already"):
        flag(flaggers[0], podcast)
    assert resource(podcast).hidden_at is None  # one flag of three


def test_who_may_not_flag_a_resource(alice, mod, flaggers, podcast):
    with pytest.raises(Forbidden, match="This is yours"):
        flag(alice, podcast)
    with pytest.raises(NotFound):
        flag(flaggers[0], 999_999)
    suspended = make_user("Sue Suspended", communities=("procurement",))
    with atomic():
        live(suspended).suspended_at = utcnow()
    with pytest.raises(Forbidden):
        flag(suspended, podcast)


def test_only_a_published_resource_can_be_flagged(alice, flaggers):
    with atomic():
        pending = actions.submit_resource(
            live(alice), details(title="Waiting", link="https://example.org/w"), upload=None
        )
        db.session.flush()
        pending_id = pending.id
    with pytest.raises(NotFound):  # it waits in the review queue instead
        flag(flaggers[0], pending_id)


def test_a_members_only_resource_cannot_be_flagged_from_outside(communities, mod, podcast):
    with atomic():
        db.session.execute(
            Community.__table__.update()
            .where(Community.slug == "procurement")
            .values(visibility="members")
        )
    outsider = make_user("Olly Outsider", communities=("health",))
    with pytest.raises(NotFound):
        flag(outsider, podcast)


def test_the_flags_belong_to_the_resources_first_community(communities, flaggers):
    admin = make_user("Ada Admin", admin=True)
    with atomic():
        shared = actions.submit_resource(
            live(admin), details(communities=["finance", "procurement"], link="https://e.org/x"),
            upload=None,
        )  # fmt: skip
        db.session.flush()
        shared_id, first = shared.id, shared.communities[0]
    row = flag(flaggers[0], shared_id)
    assert row.community_id == first.id
    assert first.slug in ("finance", "procurement")
    moderator = make_moderator(first.slug)
    decide(moderator, shared_id, "keep")


# --- hidden everywhere, then back -----------------------------------------------------------


def test_three_flags_hide_a_resource_everywhere_at_once(
    client, browser, alice, flaggers, reader, podcast
):
    assert surfaces(client, None) == everywhere(True)
    hide_by_flags(flaggers, podcast)
    hidden = resource(podcast)
    assert (hidden.hidden_reason, hidden.hidden_at is not None) == ("flags", True)

    assert surfaces(client, None) == everywhere(False)
    assert client.get(f"/resources/{podcast}").status_code == 404
    browser.login(reader.email)
    assert surfaces(client, reader) == everywhere(False)
    for path in ("", "/download", "/versions/1/download", "/versions/1/play"):
        assert client.get(f"/resources/{podcast}{path}").status_code == 404, path
    assert queries.browse(live(reader), queries.Filters(archived=True)).items == []


def test_the_author_is_told_and_sees_their_resource_marked(browser, alice, flaggers, podcast):
    assert [n.kind for n in visible_notices(alice)] == ["resource_approved"]
    hide_by_flags(flaggers, podcast)
    [notice] = visible_notices(alice)  # the approval's notice is hidden with the resource
    assert notice.kind == "flag.hidden"
    assert notice.subject == f"your resource “{TITLE}”"
    assert notice.url == f"/resources/{podcast}"
    assert notice.excerpt == "Flagged as: spam or advertising"
    browser.login(alice.email)
    page = browser.get(f"/resources/{podcast}").get_data(as_text=True)
    assert "Hidden from members after members flagged it" in page
    assert "Only you and the moderators" in page
    with pytest.raises(Forbidden):  # no new version while the moderators decide
        actions.check_can_propose(live(alice), resource(podcast))


def test_the_audit_trail_names_the_resource(alice, flaggers, mod, podcast):
    hide_by_flags(flaggers, podcast)
    decide(mod, podcast, "keep", reason="Not spam")
    texts = [e.text for e in recent_audit() if e.text.startswith(("Commons", "Mona"))]
    assert (
        f"Commons hid the resource “{TITLE}” in Procurement when 3 members had flagged it" in texts
    )
    assert (
        f"Mona Moderator kept the resource “{TITLE}” in Procurement and dismissed the flags: "
        "“Not spam”"
    ) in texts


def test_moderators_see_it_marked_and_restore_it_everywhere(
    client, browser, alice, flaggers, reader, mod, podcast
):
    hide_by_flags(flaggers, podcast)
    browser.login(mod.email)
    page = browser.get(f"/resources/{podcast}").get_data(as_text=True)
    assert "Hidden from members after members flagged it" in page
    assert "See the moderation queue" in page
    [waiting] = queue.waiting(live(mod))
    assert (waiting.item.kind, waiting.item.title) == ("resource", f"the resource “{TITLE}”")
    done = browser.submit("/mod", {}, action=f"/mod/resource/{podcast}/keep")
    assert done.status_code == 302
    browser.logout()

    assert resource(podcast).hidden_at is None
    assert surfaces(client, None) == everywhere(True)
    assert client.get(f"/resources/{podcast}").status_code == 200
    assert client.get(f"/resources/{podcast}/download").status_code == 200
    told = [n for m in flaggers for n in visible_notices(m) if n.kind == "flag.decided.keep"]
    assert [n.url for n in told] == [f"/resources/{podcast}"] * 3
    assert "resource_approved" in [n.kind for n in visible_notices(alice)]


def test_a_moderator_of_another_community_is_refused(alice, flaggers, other_mod, podcast):
    flag(flaggers[0], podcast)
    assert queue.waiting(live(other_mod)) == []
    with pytest.raises(Forbidden):
        decide(other_mod, podcast, "hide")
    assert resource(podcast).hidden_at is None


def test_a_moderator_hides_a_resource_and_its_author_hears_why(alice, flaggers, mod, podcast):
    flag(flaggers[0], podcast)
    decide(mod, podcast, "hide", reason="Advertising")
    assert resource(podcast).hidden_reason == "moderator"
    [notice] = [n for n in visible_notices(alice) if n.kind == "moderator.hidden"]
    assert (notice.excerpt, notice.actor_name()) == ("Advertising", "Mona Moderator")


def test_removing_a_flagged_resource_archives_it_and_keeps_it_hidden(
    client, alice, flaggers, reader, mod, podcast
):
    hide_by_flags(flaggers, podcast)
    decide(mod, podcast, "delete")
    removed = resource(podcast)
    assert (removed.status, removed.hidden_at is not None, removed.featured) == (
        "archived",
        True,
        False,
    )
    assert queries.browse(live(reader), queries.Filters(archived=True)).items == []
    assert client.get(f"/resources/{podcast}").status_code == 404
    assert queue.waiting(live(mod)) == []
    told = [n for m in flaggers for n in visible_notices(m) if n.kind == "flag.decided.delete"]
    assert len(told) == 3
    with pytest.raises(Conflict, match="deleted already"):
        decide(mod, podcast, "keep")
    history = [e.action for e in actions.history(removed)]
    assert history[0] == "archived"


def test_archiving_a_hidden_resource_from_its_page_closes_its_flags(alice, flaggers, mod, podcast):
    hide_by_flags(flaggers, podcast)
    assert queue.waiting_count(live(mod)) == 1
    with atomic():
        actions.set_archived(live(mod), podcast, True, reason="Spam")
    assert queue.waiting_count(live(mod)) == 0
    fresh()
    closed = db.session.execute(select(Flag.decision, Flag.decided_by_id)).all()
    assert closed == [("delete", mod.id)] * 3


def test_an_events_record_link_follows_the_resource(alice, flaggers, reader, mod, podcast):
    event_id = make_event(live(mod), title="Tender day")
    with atomic():
        db.session.get(Event, event_id).record_id = podcast
    event = db.session.get(Event, event_id)
    assert record.record_of(live(reader), event).id == podcast
    hide_by_flags(flaggers, podcast)
    event = db.session.get(Event, event_id)
    assert record.record_of(live(reader), event) is None
    assert record.record_of(live(mod), event).id == podcast


# --- the pages ------------------------------------------------------------------------------


def test_flagging_from_the_resource_page(browser, alice, flaggers, podcast):
    browser.login(alice.email)
    own = browser.get(f"/resources/{podcast}").get_data(as_text=True)
    assert f'href="/flag/resource/{podcast}"' not in own  # not one's own
    browser.logout()
    browser.login(flaggers[0].email)
    page = browser.get(f"/resources/{podcast}").get_data(as_text=True)
    assert f'href="/flag/resource/{podcast}"' in page
    form = browser.get(f"/flag/resource/{podcast}").get_data(as_text=True)
    assert f"Flag the resource “{TITLE}”" in form
    done = browser.submit(f"/flag/resource/{podcast}", {"reason": "off_topic", "note": ""})
    assert done.status_code == 302
    assert db.session.scalar(select(Flag.reason).where(Flag.target_id == podcast)) == "off_topic"
    page = browser.get(f"/resources/{podcast}").get_data(as_text=True)
    assert "You flagged this" in page
    assert f'href="/flag/resource/{podcast}"' not in page
    again = browser.submit(
        f"/resources/{podcast}", {"reason": "spam"}, action=f"/flag/resource/{podcast}"
    )
    assert again.status_code == 409


def test_flagging_an_unknown_resource_is_not_found(browser, flaggers):
    browser.login(flaggers[0].email)
    assert browser.get("/flag/resource/999999").status_code == 404


def test_no_flag_link_for_the_unconfirmed_or_the_signed_out(client, browser, podcast):
    assert f'href="/flag/resource/{podcast}"' not in client.get(f"/resources/{podcast}").get_data(
        as_text=True
    )
    unconfirmed = make_user("Una Unconfirmed", verified=False)
    assert flags.flag_states(live(unconfirmed), "resource", [(podcast, None)]) == (set(), set())
