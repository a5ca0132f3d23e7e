"""Hostile text in everything events show becomes no markup and runs no script, in
Chromium: an event's title, description and place, its cancellation reason, a message in
its room, its record and an attendee's feedback, on every page that shows them, to a member
and to the organiser."""

from datetime import timedelta

import pytest

from community.accounts.models import User
from community.chat import actions as chat_actions
from community.db import atomic
from community.events import actions, feedback, rooms, rsvp
from community.events.models import Event
from community.extensions import db
from tests.browser.conftest import sign_in_by_request
from tests.factories import make_event, make_moderator, make_user

pytestmark = pytest.mark.slow

TITLE = '<img src=x onerror="window.__xss=1"> Clinic'
HOSTILE = "\n\n".join([
    "<script>window.__xss=2</script>",
    '<img src=x onerror="window.__xss=3">',
    '"><svg onload="window.__xss=4">',
    "[click me](javascript:window.__xss=5)",
    "</textarea><script>window.__xss=6</script>",
    "{{ 7*7 }} {% raw %}",
])  # fmt: skip
PLACE = '"><svg onload="window.__xss=7"> Hall'


def _user(user) -> User:
    return db.session.get(User, user.id)


# What the hostile text would have made, had it become markup (the site's CSP would block
# most of it from running: the test fails on the markup itself, not only on a script run).
INJECTED = "[onerror], [onload], script:not([src]), a[href^='javascript:'], svg script"


def test_hostile_text_in_events_runs_no_script(site, open_page, console):
    mod = make_moderator("procurement", make_user("Mona Moderator", email="mona@example.org"))
    alice = make_user("Alice <b>Bold</b>", email="alice@example.org", communities=("procurement",))
    event_id = make_event(mod, title=TITLE, description=HOSTILE, location=PLACE,
                          starts_in=timedelta(hours=2))  # fmt: skip
    other_id = make_event(mod, title=TITLE + " (called off)", starts_in=timedelta(days=3))
    with atomic():
        rsvp.rsvp(_user(alice), event_id, "going")
        rsvp.rsvp(_user(alice), other_id, "going")
        actions.cancel_event(_user(mod), other_id, HOSTILE.replace("\n\n", " ")[:400])
    event = db.session.get(Event, event_id)
    starts, ends = event.starts_at, event.ends_at
    db.session.rollback()
    rooms.advance_rooms(now=starts - timedelta(minutes=15))
    with atomic():
        chat_actions.send_message(_user(alice), f"event-{event_id}", body=HOSTILE,
                                  client_id="hostile-1")  # fmt: skip
    rooms.advance_rooms(now=ends)
    with atomic():  # the app's clock too: it is over (feedback opens at the end)
        event = db.session.get(Event, event_id)
        event.starts_at -= timedelta(days=1)
        event.ends_at -= timedelta(days=1)
    with atomic():
        feedback.give_feedback(_user(alice), event_id, rating=5, comment=HOSTILE)
    record_id = db.session.get(Event, event_id).record_id
    assert record_id is not None
    db.session.rollback()

    pages = [
        "/", "/events", "/events?community=procurement", f"/events/{event_id}",
        f"/events/{other_id}", "/c/procurement", "/search?q=Clinic", "/notifications",
        f"/chat/event-{event_id}", f"/resources/{record_id}",
    ]  # fmt: skip
    visits = ((alice, [f"/events/{event_id}/feedback"]), (mod, [f"/events/{event_id}/edit"]))
    for user, extra in visits:
        page = open_page()
        dialogs = []
        page.on("dialog", lambda d, dialogs=dialogs: (dialogs.append(d.message), d.dismiss()))
        sign_in_by_request(page, user.email)
        for path in pages + extra:
            page.goto(path)
            page.wait_for_load_state("load")
            assert page.evaluate("() => window.__xss") is None, (user.email, path)
            assert page.locator(INJECTED).count() == 0, (user.email, path)
        assert dialogs == []
    assert not console.problems, "\n".join(console.problems)
