"""Flags on events: enough of them hide an event from everyone at once, everywhere it is
listed, fed, found, mailed or talked about; its moderators still read its page, marked,
and restore it, hide it or cancel and remove it from the queue. A network-wide event is
decided by the admins only. Every test runs on SQLite and PostgreSQL."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from community.chat import access as chat_access
from community.chat import actions as chat
from community.db import atomic, utcnow
from community.digests.content import Shared
from community.errors import Conflict, Forbidden, NotFound
from community.events import actions as event_actions
from community.events import calendar_feeds, ical, queries, reminders, rsvp
from community.events.models import Event
from community.extensions import db
from community.mail import OutboundMail
from community.moderation import flags, queue
from community.moderation.models import Flag
from community.notifications import actions as notify
from community.notifications.models import Notification
from tests.conftest import Browser
from tests.factories import make_event, make_user
from tests.search.helpers import urls
from tests.threads.helpers import fresh, live

KIND = "event"


def flag(user, event_id, reason="spam"):
    with atomic():
        return flags.flag(live(user), KIND, event_id, reason=reason)


def decide(user, event_id, decision, reason=""):
    with atomic():
        return flags.decide(live(user), KIND, event_id, decision, reason=reason)


def event(event_id: int) -> Event:
    fresh()
    return db.session.get(Event, event_id)


def hide_by_flags(flaggers, event_id):
    for member in flaggers:
        flag(member, event_id)
    assert event(event_id).hidden_reason == "flags"


def notes_of(user, kind: str | None = None) -> list[Notification]:
    """The member's notifications they may still see (their list's own rule)."""
    fresh()
    shown = notify.list_for(live(user)).items
    return [n for n in shown if kind is None or n.kind == kind]


def answer(user, event_id, status="going"):
    with atomic():
        rsvp.rsvp(live(user), event_id, status)


@pytest.fixture
def admin(communities):
    return make_user("Ada Admin", email="ada@example.org", admin=True)


@pytest.fixture
def meetup(mod, flaggers, reader):
    """Procurement's event, organised by its moderator."""
    return make_event(
        mod, title="Cheap pills morning", description="Buy **cheap pills** at the door.",
        location="Riverfront, Newport",
    )  # fmt: skip


# --- flagging --------------------------------------------------------------------------------


def test_a_member_flags_an_event_once(flaggers, meetup):
    row = flag(flaggers[0], meetup, "offensive")
    assert (row.target_kind, row.target_id, row.reason) == (KIND, meetup, "offensive")
    assert row.community_id == event(meetup).community_id
    with pytest.raises(Conflict, match="flagged this already"):
        flag(flaggers[0], meetup)
    assert event(meetup).hidden_at is None  # one flag of three


def test_who_may_not_flag_an_event(communities, mod, meetup):
    with pytest.raises(Forbidden, match="This is yours"):
        flag(mod, meetup)  # its organiser
    with pytest.raises(Forbidden, match="Confirm your email"):
        flag(make_user("Una Unconfirmed", verified=False), meetup)
    with pytest.raises(NotFound):
        flag(mod, 999_999)


def test_the_threshold_hides_the_event_and_tells_its_organiser(mod, flaggers, meetup):
    flag(flaggers[0], meetup, "offensive")
    flag(flaggers[1], meetup)
    assert event(meetup).hidden_at is None
    flag(flaggers[2], meetup)
    assert event(meetup).hidden_at is not None
    [notice] = notes_of(mod, "flag.hidden")
    assert notice.subject == "your event “Cheap pills morning”"
    assert notice.excerpt == "Flagged as: offensive or abusive, spam or advertising"
    assert notice.url == f"/events/{meetup}"


def test_the_communitys_own_threshold_counts(communities, mod, flaggers, meetup):
    with atomic():
        communities["procurement"].flag_threshold = 1
        db.session.merge(communities["procurement"])
    flag(flaggers[0], meetup)
    assert event(meetup).hidden_reason == "flags"


# --- hidden everywhere ----------------------------------------------------------------------


def test_a_hidden_event_leaves_every_list_feed_and_search(
    app, client, communities, mod, flaggers, reader, meetup
):
    answer(reader, meetup)
    with atomic():
        token = calendar_feeds.make_feed(live(reader)).token
    member = Browser(app.test_client())
    member.login(reader.email)
    clients = {"anonymous": client, "member": member.client}
    surfaces = _surfaces(clients, communities, reader, meetup, token)
    assert all(surfaces.values()), surfaces  # everywhere before

    hide_by_flags(flaggers, meetup)
    surfaces = _surfaces(clients, communities, reader, meetup, token)
    assert not any(surfaces.values()), surfaces

    decide(mod, meetup, "keep")
    assert event(meetup).hidden_at is None
    surfaces = _surfaces(clients, communities, reader, meetup, token)
    assert all(surfaces.values()), surfaces  # the moderator restored it: everywhere again


def _surfaces(clients, communities, reader, event_id, token) -> dict[str, bool]:
    """Where the event shows, for the reader and for an anonymous visitor."""
    fresh()
    member = live(reader)
    procurement = communities["procurement"]
    uid = ical.event_uid(event_id)
    link = f"/events/{event_id}"

    def page(path: str, who: str = "anonymous") -> str:
        return clients[who].get(path).get_data(as_text=True)

    def ids(events) -> set[int]:
        return {e.id for e in events}

    found = {
        "upcoming (member)": event_id in ids(queries.upcoming(member, queries.Filters()).items),
        "upcoming (anonymous)": event_id in ids(queries.upcoming(None, queries.Filters()).items),
        "mine": event_id in ids(queries.upcoming(member, queries.Filters(mine_of=member.id)).items),
        "home panel": event_id in ids(queries.next_for(member)),
        "community panel": event_id in ids(queries.next_in_community(procurement)),
        "digest": event_id in [row[0] for row in Shared(utcnow()).events(procurement.id)],
        "public feed": uid in ical.calendar("x", ical.public_events()).decode(),
        "member feed": uid in ical.calendar("x", ical.member_events(member)).decode(),
        "search": link in urls(reader, "cheap pills"),
        "search (anonymous)": link in urls(None, "cheap pills"),
    }
    found |= {
        "/events": link in page("/events"),
        "/events (member)": link in page("/events", "member"),
        "/ (member)": link in page("/", "member"),
        "/c/procurement": link in page("/c/procurement"),
        "/events.ics": uid in page("/events.ics"),
        "private feed": uid in page(f"/events/feed/{token}.ics"),
        "atom": link in page("/c/procurement/feed.atom"),
        "page (anonymous)": clients["anonymous"].get(link).status_code == 200,
        "page (member)": clients["member"].get(link).status_code == 200,
    }
    return found


def test_a_hidden_events_page_is_missing_to_members_and_marked_for_moderators(
    browser, mod, flaggers, reader, meetup
):
    hide_by_flags(flaggers, meetup)
    browser.login(reader.email)
    assert browser.get(f"/events/{meetup}").status_code == 404
    assert browser.get(f"/events/{meetup}.ics").status_code == 404
    browser.logout()
    browser.login(mod.email)
    page = browser.get(f"/events/{meetup}").get_data(as_text=True)
    assert "Hidden from members after members flagged it" in page
    assert "See the moderation queue" in page
    assert "/flag/event/" not in page


def test_nobody_answers_a_hidden_event(mod, flaggers, reader, meetup):
    hide_by_flags(flaggers, meetup)
    with pytest.raises(NotFound):
        answer(reader, meetup)
    with pytest.raises(Forbidden, match="hidden while a moderator"):
        answer(mod, meetup)  # its moderator still reads it, but takes no part


def test_no_reminder_for_a_hidden_event(mod, flaggers, reader):
    soon = make_event(mod, title="Soon", starts_in=timedelta(minutes=30))
    answer(reader, soon)
    fresh()
    due = {kind.name: reminders.due(kind) for kind in reminders.KINDS}
    assert all((reader.id, soon) in {(u.id, e.id) for u, e in rows} for rows in due.values())
    hide_by_flags(flaggers, soon)
    assert all(reminders.due(kind) == [] for kind in reminders.KINDS)
    assert reminders.send_due_reminders() == {"day-before": 0, "hour-before": 0}


def test_its_notifications_stop_showing_and_come_back(mod, flaggers, reader, meetup):
    with atomic():
        notify.notify(
            reader.id, "event_reminder", actor=live(mod), community_id=event(meetup).community_id,
            target=("event", meetup), subject="Cheap pills morning",
        )  # fmt: skip
    assert len(notes_of(reader, "event_reminder")) == 1
    hide_by_flags(flaggers, meetup)
    assert notes_of(reader, "event_reminder") == []
    decide(mod, meetup, "keep")
    assert len(notes_of(reader, "event_reminder")) == 1


def test_its_live_room_is_closed_to_members_and_rechecked(
    mod, flaggers, reader, published, monkeypatch
):
    live_now = make_event(mod, title="Live now", starts_in=timedelta(minutes=5))
    name = f"event-{live_now}"
    with atomic():
        db.session.get(Event, live_now).room_state = "open"
    with atomic():
        chat.send_message(live(reader), name, body="Hello", client_id="r1", rate_limited=False)
    hide_by_flags(flaggers, live_now)
    rechecks = [p for e, _room, p in published if e == "chat.recheck"]
    assert rechecks == [{"room": name}]
    fresh()
    for member in (reader, mod):
        with pytest.raises(NotFound):
            chat_access.standing(live(member), name)
    with pytest.raises(NotFound), atomic():
        chat.send_message(live(reader), name, body="Still here?", client_id="r2")
    decide(mod, live_now, "keep")
    assert [p for e, _room, p in published if e == "chat.recheck"] == [{"room": name}] * 2
    fresh()
    assert chat.recent(live(reader), name)[1][0].body == "Hello"


def test_an_edit_while_hidden_keeps_it_out_of_search(mod, flaggers, reader, meetup):
    hide_by_flags(flaggers, meetup)
    with atomic():
        details = event_actions.details_of(db.session.get(Event, meetup))
        details.title = "Cheap pills afternoon"
        event_actions.edit_event(live(mod), meetup, details)
    assert urls(reader, "cheap pills") == []


# --- deciding --------------------------------------------------------------------------------


def test_the_moderators_decision_is_told_to_the_flaggers(mod, flaggers, meetup):
    hide_by_flags(flaggers, meetup)
    decide(mod, meetup, "keep")
    for member in flaggers:
        [notice] = notes_of(member, "flag.decided.keep")
        assert notice.subject == "the event “Cheap pills morning”"
        assert notice.url == f"/events/{meetup}"


def test_a_moderators_hide_tells_the_organiser_their_reason(admin, mod, flaggers, meetup):
    flag(flaggers[0], meetup)
    decide(admin, meetup, "hide", reason="Advertising.")
    assert event(meetup).hidden_reason == "moderator"
    [notice] = notes_of(mod, "moderator.hidden")
    assert (notice.subject, notice.excerpt) == ("your event “Cheap pills morning”", "Advertising.")


def test_delete_cancels_the_event_tells_those_coming_and_keeps_it_hidden(
    app, mod, flaggers, reader, meetup, published
):
    answer(reader, meetup)
    hide_by_flags(flaggers, meetup)
    decide(mod, meetup, "delete", reason="An advertisement, not an event.")
    gone = event(meetup)
    assert gone.is_cancelled
    assert gone.cancel_reason == "An advertisement, not an event."
    assert (gone.hidden_reason, gone.hidden_at is not None) == ("removed", True)
    # Those who meant to come hear of it as of any cancellation, in the site and by mail.
    [notice] = notes_of(reader, "event_cancelled")
    assert notice.excerpt == "An advertisement, not an event."
    mails = select(OutboundMail.subject).where(OutboundMail.to_addr == reader.email)
    assert [s for s in db.session.scalars(mails) if s.startswith("Cancelled:")]
    for member in flaggers:
        assert len(notes_of(member, "flag.decided.delete")) == 1
    # Removed for good: out of the queue, and nothing more to decide.
    assert queue.waiting(live(mod)) == []
    with pytest.raises(Conflict, match="deleted already"):
        decide(mod, meetup, "keep")


def test_delete_of_an_event_that_has_ended_only_removes_it(mod, flaggers):
    past = make_event(mod, title="Last week", starts_in=-timedelta(days=7), allow_past=True)
    flag(flaggers[0], past)
    decide(mod, past, "delete")
    gone = event(past)
    assert (gone.is_cancelled, gone.hidden_reason) == (False, "removed")


def test_a_moderator_of_another_community_is_refused(other_mod, flaggers, meetup):
    flag(flaggers[0], meetup)
    with pytest.raises(Forbidden):
        decide(other_mod, meetup, "hide")
    assert event(meetup).hidden_at is None
    assert queue.waiting(live(other_mod)) == []


def test_a_network_wide_event_is_decided_by_the_admins_only(communities, admin, mod, flaggers):
    network = make_event(admin, community=None, title="Network day")
    for member in flaggers[:2]:
        flag(member, network)
    assert event(network).hidden_at is None  # network-wide: the default threshold, 3
    flag(flaggers[2], network)
    assert event(network).hidden_reason == "flags"
    assert db.session.scalar(select(Flag.community_id).where(Flag.target_id == network)) is None

    assert queue.waiting(live(mod)) == []
    [waiting] = queue.waiting(live(admin))
    assert waiting.item.title == "the event “Network day”"
    with pytest.raises(Forbidden):
        decide(mod, network, "keep")
    other_admin = make_user("Second Admin", admin=True)
    decide(other_admin, network, "keep")
    assert event(network).hidden_at is None


def test_unknown_events_and_kinds_are_not_found(browser, reader):
    browser.login(reader.email)
    assert browser.get("/flag/event/999999").status_code == 404
    assert browser.get("/flag/nosuch/1").status_code == 404
    refused = browser.submit("/settings", {"reason": "spam"}, action="/flag/event/999999")
    assert refused.status_code == 404


# --- the event page -------------------------------------------------------------------------


def test_the_event_page_offers_flagging_then_says_it_was_flagged(browser, mod, reader, meetup):
    browser.login(mod.email)
    assert f'href="/flag/event/{meetup}"' not in browser.get(f"/events/{meetup}").get_data(
        as_text=True
    )  # its organiser
    browser.logout()
    browser.login(reader.email)
    page = browser.get(f"/events/{meetup}").get_data(as_text=True)
    assert f'href="/flag/event/{meetup}"' in page
    form = browser.get(f"/flag/event/{meetup}").get_data(as_text=True)
    assert "Cheap pills morning" in form
    done = browser.submit(f"/flag/event/{meetup}", {"reason": "spam", "note": ""})
    assert (done.status_code, done.headers["Location"]) == (302, f"/events/{meetup}")
    page = browser.get(f"/events/{meetup}").get_data(as_text=True)
    assert f'href="/flag/event/{meetup}"' not in page
    assert "You flagged this" in page


def test_the_queue_offers_to_cancel_with_a_reason(browser, mod, flaggers, meetup):
    flag(flaggers[0], meetup)
    browser.login(mod.email)
    page = browser.get("/mod").get_data(as_text=True)
    assert "The event “Cheap pills morning”" in page
    assert "Cancel and remove it" in page
    done = browser.submit("/mod", {"reason": "Spam."}, action=f"/mod/event/{meetup}/delete")
    assert done.status_code == 302
    assert event(meetup).cancel_reason == "Spam."
