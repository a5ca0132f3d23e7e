"""An event's live room: the room kind's policy (read and write before, during and after the
event; members-only outsiders; network-wide events), the job that opens and closes rooms on
a moved clock, twice-run safety, the live recheck and the event page's room panel."""

import itertools
from datetime import timedelta

import pytest
from flask import render_template
from sqlalchemy import func, select, update

from community import signals
from community.chat import access as chat_access
from community.chat import actions as chat_actions
from community.chat import sockets as chat_sockets
from community.communities.actions import change_visibility, leave_community
from community.db import atomic, utcnow
from community.errors import Forbidden, NotFound
from community.events import actions as event_actions
from community.events import panels, rooms
from community.events.models import Event, EventRsvp
from community.events.rules import to_local
from community.extensions import db
from community.jobs import registered_jobs
from tests.communities.helpers import archive, run_concurrently, set_visibility
from tests.factories import make_event, make_user
from tests.sockets import connect, events


@pytest.fixture(autouse=True)
def fresh_presence(app):
    chat_sockets._local.clear()
    app.extensions.pop("chat_presence", None)
    app.extensions.pop("chat_presence_changes", None)


_ids = itertools.count(1)


def live(user):
    return db.session.get(type(user), user.id)


def event_of(event_id: int) -> Event:
    db.session.rollback()
    return db.session.get(Event, event_id)


def send(user, event_id: int, body: str, client_id: str | None = None):
    with atomic():
        message, _ = chat_actions.send_message(
            live(user),
            rooms.room_name(event_id),
            body=body,
            client_id=client_id or f"c{next(_ids)}",
        )
        return message.number


def problem(user, event_id: int) -> str | None:
    db.session.rollback()
    return chat_access.standing(live(user), rooms.room_name(event_id)).decision.write_problem


def during(event_id: int):
    return event_of(event_id).starts_at + timedelta(minutes=5)


def after(event_id: int):
    return event_of(event_id).ends_at + timedelta(minutes=1)


# --- the room kind ---------------------------------------------------------------------------


def test_an_event_has_its_room_from_the_start(mod):
    event_id = make_event(mod)
    room = chat_access.room_of("event", event_id)
    assert room is not None
    assert room.last_number == 0
    assert chat_access.address(f"event-{event_id}") == ("event", str(event_id))
    assert chat_access.room_name(room) == f"event-{event_id}"
    assert event_of(event_id).room_state == "scheduled"


def test_malformed_or_unknown_event_rooms_are_not_found(mod, alice):
    event_id = make_event(mod)
    for name in ("event-x", "event-0", f"event-0{event_id}", "event-99999999999", "event-12345"):
        with pytest.raises(NotFound):
            chat_access.standing(live(alice), name)


def test_before_the_room_opens_members_read_but_nobody_writes(mod, alice):
    event_id = make_event(mod, starts_in=timedelta(days=3))
    opens = to_local(event_of(event_id).starts_at - timedelta(minutes=15), "Europe/London")
    expected = f"{opens.strftime('%-d %b %Y, %H:%M %Z')} (15 minutes before the start)."
    assert problem(alice, event_id) == f"The room opens at {expected}"
    with pytest.raises(Forbidden, match="The room opens at"):
        send(alice, event_id, "Too early")
    room, messages = chat_actions.recent(live(alice), rooms.room_name(event_id))
    assert messages == []


def test_while_open_its_communitys_members_write_and_organisers_moderate(mod, alice, stranger):
    event_id = make_event(mod, starts_in=timedelta(hours=2))
    assert rooms.advance_rooms(now=during(event_id)) == {"open": 1, "closed": 0}
    assert event_of(event_id).room_state == "open"
    assert problem(alice, event_id) is None
    assert send(alice, event_id, "Hello everyone") == 1
    # Procurement is public: a signed-in outsider reads, and is asked to join to write.
    assert problem(stranger, event_id) == "Join Procurement to take part."
    with pytest.raises(Forbidden, match="Join Procurement"):
        send(stranger, event_id, "Me too")
    standing = chat_access.standing(live(mod), rooms.room_name(event_id))
    assert standing.decision.moderate is True
    assert chat_access.standing(live(alice), rooms.room_name(event_id)).decision.moderate is False
    with atomic():
        chat_actions.mute(live(mod), rooms.room_name(event_id), user_id=alice.id, minutes=10)
    with pytest.raises(Forbidden, match="muted"):
        send(alice, event_id, "Muted now")


def test_after_the_end_the_room_is_read_only(mod, alice):
    event_id = make_event(mod, starts_in=timedelta(hours=2))
    rooms.advance_rooms(now=during(event_id))
    send(alice, event_id, "During")
    assert rooms.advance_rooms(now=after(event_id)) == {"open": 0, "closed": 1}
    assert event_of(event_id).room_state == "closed"
    assert problem(alice, event_id) == rooms.ENDED
    with pytest.raises(Forbidden, match="read-only"):
        send(alice, event_id, "After")
    _, messages = chat_actions.recent(live(alice), rooms.room_name(event_id))
    assert [m.body for m in messages] == ["During"]


def test_outsiders_of_a_members_only_community_see_no_room(mod, alice, stranger, browser):
    event_id = make_event(mod)
    set_visibility("procurement", "members")
    with pytest.raises(NotFound):
        chat_access.standing(live(stranger), rooms.room_name(event_id))
    assert chat_access.standing(live(alice), rooms.room_name(event_id)) is not None
    browser.login(stranger.email)
    assert browser.get(f"/chat/event-{event_id}").status_code == 404


def test_a_network_wide_events_room_is_for_every_signed_in_member(admin, stranger):
    event_id = make_event(admin, community=None)
    unconfirmed = make_user("Una Unconfirmed", verified=False)
    suspended = make_user("Sue Suspended")
    with atomic():
        live(suspended).suspended_at = utcnow()
    rooms.advance_rooms(now=during(event_id))
    assert problem(stranger, event_id) is None
    assert send(stranger, event_id, "Hello network") == 1
    assert problem(unconfirmed, event_id) == "Confirm your email address to take part."
    assert problem(suspended, event_id) == "Your account is suspended."
    # Only admins organise network-wide events, so only they moderate its room.
    assert (
        chat_access.standing(live(stranger), rooms.room_name(event_id)).decision.moderate is False
    )
    assert chat_access.standing(live(admin), rooms.room_name(event_id)).decision.moderate is True


def test_a_cancelled_events_room_takes_no_messages_and_never_opens(mod, alice, published):
    event_id = make_event(mod, starts_in=timedelta(hours=2))
    with atomic():
        db.session.get(Event, event_id).cancelled_at = utcnow()
    assert problem(alice, event_id) == rooms.CANCELLED
    assert rooms.advance_rooms(now=during(event_id)) == {"open": 0, "closed": 1}
    assert event_of(event_id).room_state == "closed"
    assert problem(alice, event_id) == rooms.CANCELLED
    assert event_of(event_id).record_id is None  # nobody wrote: nothing to keep


def test_the_rooms_the_member_follows_are_those_of_events_they_answered(mod, alice, bob):
    going, maybe, no = (make_event(mod, title=t) for t in ("Going", "Maybe", "No"))
    with atomic():
        for event_id, status in ((going, "going"), (maybe, "maybe"), (no, "not_going")):
            db.session.add(EventRsvp(event_id=event_id, user_id=alice.id, status=status))
    followed = set(db.session.scalars(rooms.EventRooms().followed(live(alice))))
    assert followed == {going, maybe}
    with atomic():
        db.session.execute(update(Event).values(room_state="open"))
    send(bob, going, "Unread for Alice")
    send(bob, no, "Not followed")
    assert chat_actions.unread_target_ids(live(alice), "event") == {going}


# --- the job ---------------------------------------------------------------------------------


def test_the_rooms_job_is_registered_every_minute(app):
    job = next(j for j in registered_jobs(app) if j.name == "event rooms")
    assert job.every == timedelta(minutes=1)
    assert job.run is rooms.advance_rooms


def test_a_room_opens_fifteen_minutes_before_the_start_not_sooner(mod):
    event_id = make_event(mod, starts_in=timedelta(hours=2))
    starts = event_of(event_id).starts_at
    assert rooms.advance_rooms(now=starts - timedelta(minutes=16)) == {"open": 0, "closed": 0}
    assert event_of(event_id).room_state == "scheduled"
    assert rooms.advance_rooms(now=starts - timedelta(minutes=15)) == {"open": 1, "closed": 0}
    assert event_of(event_id).room_state == "open"


def test_the_job_uses_the_database_clock(mod):
    soon = make_event(mod, starts_in=timedelta(minutes=10))
    later = make_event(mod, starts_in=timedelta(minutes=20))
    assert rooms.advance_rooms() == {"open": 1, "closed": 0}
    assert (event_of(soon).room_state, event_of(later).room_state) == ("open", "scheduled")


def test_an_event_that_ended_before_its_room_opened_closes_directly(mod):
    event_id = make_event(mod, starts_in=timedelta(hours=2))
    assert rooms.advance_rooms(now=after(event_id)) == {"open": 0, "closed": 1}
    assert event_of(event_id).room_state == "closed"
    assert event_of(event_id).record_id is not None


def test_each_move_tells_the_others_and_the_rooms_open_pages(app, mod, published):
    event_id = make_event(mod, starts_in=timedelta(hours=2))
    seen = []

    def spy(_app, *, event, state, **_):
        seen.append((event.id, state, event.room_state))

    room = chat_access.room_of("event", event_id)
    with signals.event_room_changed.connected_to(spy, sender=app):
        rooms.advance_rooms(now=during(event_id))
        rooms.advance_rooms(now=after(event_id))
    assert seen == [(event_id, "open", "open"), (event_id, "closed", "closed")]
    rechecks = [(room_, p) for e, room_, p in published if e == "chat.recheck"]
    assert rechecks == [(chat_access.socket_room(room), {"room": f"event-{event_id}"})] * 2


def test_running_twice_moves_each_room_once(app, mod):
    event_id = make_event(mod, starts_in=timedelta(hours=2))
    seen = []
    with signals.event_room_changed.connected_to(lambda *_, **kw: seen.append(kw), sender=app):
        assert rooms.advance_rooms(now=during(event_id))["open"] == 1
        assert rooms.advance_rooms(now=during(event_id)) == {"open": 0, "closed": 0}
        assert rooms.advance_rooms(now=after(event_id))["closed"] == 1
        assert rooms.advance_rooms(now=after(event_id)) == {"open": 0, "closed": 0}
    assert [kw["state"] for kw in seen] == ["open", "closed"]


def test_a_move_another_runner_made_is_not_made_again(mod):
    event_id = make_event(mod, starts_in=timedelta(hours=2))
    now = after(event_id)
    with atomic():
        first = rooms._move(event_id, rooms._due_to_close(now, "scheduled"), "closed")
    with atomic():
        second = rooms._move(event_id, rooms._due_to_close(now, "scheduled"), "closed")
    assert first is not None
    assert second is None


def test_two_runners_at_once_close_a_room_once(app, mod, backend):
    if backend == "sqlite":
        pytest.skip("SQLite writers take turns: the PostgreSQL case races for real")
    event_id = make_event(mod, starts_in=timedelta(hours=2))
    now = after(event_id)
    moved = []

    def work(_):
        moved.append(rooms.advance_rooms(now=now)["closed"])

    assert run_concurrently(app, work, [1, 2, 3]) == []
    assert sorted(moved) == [0, 0, 1]
    from community.resources.models import Resource

    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Resource)) == 1


def test_an_open_room_whose_event_moved_later_waits_again(app, mod, alice):
    event_id = make_event(mod, starts_in=timedelta(minutes=10))
    rooms.advance_rooms()
    with atomic():
        event = db.session.get(Event, event_id)
        event.starts_at += timedelta(days=1)
        event.ends_at += timedelta(days=1)
        signals.event_changed.emit(event=event, changes=frozenset({"time"}), actor=live(mod))
    assert event_of(event_id).room_state == "scheduled"
    assert problem(alice, event_id).startswith("The room opens at")


def test_cancelling_tells_the_rooms_open_pages_at_once(mod, alice, published):
    event_id = make_event(mod, starts_in=timedelta(minutes=10))
    rooms.advance_rooms()
    published.clear()
    with atomic():
        event = db.session.get(Event, event_id)
        event.cancelled_at = utcnow()
        signals.event_changed.emit(event=event, changes=frozenset({"cancelled"}), actor=live(mod))
    assert [p for e, _, p in published if e == "chat.recheck"] == [{"room": f"event-{event_id}"}]
    assert problem(alice, event_id) == rooms.CANCELLED


def event_rechecks(published) -> list[str]:
    return sorted(
        p["room"] for e, _, p in published if e == "chat.recheck" and p["room"][:6] == "event-"
    )


@pytest.fixture
def three_rooms(mod):
    """Procurement's events with an open room, a scheduled one and a closed one; Finance's."""
    opened = make_event(mod, starts_in=timedelta(minutes=10))
    scheduled = make_event(mod, starts_in=timedelta(days=3))
    closed = make_event(mod, starts_in=timedelta(days=4))
    elsewhere = make_event(
        make_user(admin=True), community="finance", starts_in=timedelta(minutes=5)
    )
    rooms.advance_rooms()
    with atomic():
        db.session.execute(update(Event).where(Event.id == closed).values(room_state="closed"))
    assert event_of(opened).room_state == event_of(elsewhere).room_state == "open"
    return sorted(rooms.room_name(i) for i in (opened, scheduled))


@pytest.mark.parametrize("visibility", ["members", "public"])
def test_a_member_who_leaves_rechecks_the_communitys_event_rooms(
    alice, three_rooms, published, visibility
):
    set_visibility("procurement", visibility)
    published.clear()
    with atomic():
        leave_community(live(alice), "procurement")
    # Members-only: they may no longer read; public: they may no longer write.
    assert event_rechecks(published) == three_rooms


def test_archiving_or_closing_the_community_rechecks_its_event_rooms(three_rooms, published):
    admin = make_user(admin=True)
    with atomic():
        change_visibility(live(admin), "procurement", "members")
    assert event_rechecks(published) == three_rooms
    published.clear()
    archive("procurement", admin)
    assert event_rechecks(published) == three_rooms


def test_an_event_moved_to_another_community_rechecks_its_room(alice, published):
    admin = make_user(admin=True)
    event_id = make_event(admin, starts_in=timedelta(minutes=10))
    rooms.advance_rooms()
    published.clear()
    event = event_of(event_id)
    details = event_actions.details_of(event)
    details.community = "finance"
    with atomic():
        event_actions.edit_event(live(admin), event_id, details)
    assert event_rechecks(published) == [rooms.room_name(event_id)]
    # Alice, of Procurement only, reads it still (Finance is public) but writes no more.
    assert problem(alice, event_id) is not None


# --- live pages ------------------------------------------------------------------------------


def test_the_join_ack_says_whether_the_composer_shows(app, browser, mod, alice):
    event_id = make_event(mod, starts_in=timedelta(hours=2))
    name = rooms.room_name(event_id)
    sio = connect(app, browser, alice)
    ack = sio.emit("chat.join", {"room": name}, callback=True)
    assert ack["ok"] is True
    assert ack["write_problem"].startswith("The room opens at")
    rooms.advance_rooms(now=during(event_id))
    assert events(sio, "chat.recheck") == [{"room": name}]
    ack = sio.emit("chat.join", {"room": name}, callback=True)
    assert ack["write_problem"] is None
    sent = sio.emit("chat.send", {"room": name, "body": "Live", "client_id": "c1"}, callback=True)
    assert sent == {"ok": True, "id": 1}
    rooms.advance_rooms(now=after(event_id))
    assert events(sio, "chat.recheck") == [{"room": name}]
    ack = sio.emit("chat.join", {"room": name}, callback=True)
    assert ack["write_problem"] == rooms.ENDED


def test_the_room_page_keeps_a_hidden_composer_until_it_opens(app, browser, mod, alice):
    event_id = make_event(mod, title="Procurement day", starts_in=timedelta(hours=2))
    browser.login(alice.email)
    html = browser.get(f"/chat/event-{event_id}").get_data(as_text=True)
    assert f'<a href="/events/{event_id}">Procurement day</a>' in html
    prefixed = browser.get(f"/chat/event-{event_id}", base_url="http://localhost/commons")
    assert f'<a href="/commons/events/{event_id}">Procurement day</a>' in prefixed.get_data(
        as_text=True
    )
    assert f'action="/chat/event-{event_id}/send"' in html
    assert "data-chat-form novalidate hidden" in html
    assert "The room opens at" in html
    # Its words change while the page is open (opening, closing): a live region says so.
    assert '<p class="panel" role="status" data-chat-closed>The room opens at' in html
    rooms.advance_rooms(now=during(event_id))
    html = browser.get(f"/chat/event-{event_id}").get_data(as_text=True)
    assert "data-chat-form novalidate>" in html
    assert "data-chat-closed hidden" in html
    response = browser.submit(
        f"/chat/event-{event_id}",
        {"body": "From the form", "client_id": "f1"},
        action=f"/chat/event-{event_id}/send",
    )
    assert response.status_code == 302
    rooms.advance_rooms(now=after(event_id))
    response = browser.submit(
        f"/chat/event-{event_id}",
        {"body": "Too late", "client_id": "f2"},
        action=f"/chat/event-{event_id}/send",
    )
    assert response.status_code == 403
    assert rooms.ENDED in response.get_data(as_text=True)


# --- the panel -------------------------------------------------------------------------------


def panel_html(event_id: int, user) -> str | None:
    event = event_of(event_id)
    for template, context in panels.shown(event, live(user) if user else None):
        if template == "events/_room.html":
            return " ".join(render_template(template, **context).split())
    return None


def test_the_panel_says_when_the_room_opens_then_who_is_there(app, mod, alice):
    event_id = make_event(mod, starts_in=timedelta(hours=2))
    with app.test_request_context():
        html = panel_html(event_id, alice)
        assert "Opens at " in html
        assert "(15 minutes before the start)" in html
        assert f'href="/chat/event-{event_id}"' in html
        rooms.advance_rooms(now=during(event_id))
        room = chat_access.room_of("event", event_id)
        chat_sockets.presence().join(room.id, alice.id, "sid-1")
        chat_sockets.presence().join(room.id, mod.id, "sid-2")
        html = panel_html(event_id, alice)
        assert "<strong>Live now</strong> — 2 here." in html
        assert "Join the room" in html
        rooms.advance_rooms(now=after(event_id))
        html = panel_html(event_id, alice)
        assert "Closed" in html
        assert "Read the conversation" in html


def test_the_panel_is_hidden_from_those_who_cannot_see_the_event(app, mod, stranger):
    event_id = make_event(mod)
    set_visibility("procurement", "members")
    with app.test_request_context():
        assert panel_html(event_id, stranger) is None


def test_an_anonymous_reader_is_asked_to_sign_in(app, admin):
    event_id = make_event(admin, community=None)
    with app.test_request_context():
        html = panel_html(event_id, None)
    assert "Sign in" in html
    assert "/chat/" not in html
    with app.test_request_context(base_url="http://localhost/commons"):
        html = panel_html(event_id, None)
    assert f'href="/commons/auth/login?next=/commons/events/{event_id}"' in html
