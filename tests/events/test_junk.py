"""No input to the events' pages yields a 500: every field of every events form, and every
query parameter and address part, with the junk the account forms are tested with."""

from datetime import timedelta

import pytest

from community.db import atomic
from community.events import rsvp
from community.events.models import Event
from community.extensions import db
from tests.accounts.test_security import JUNK_VALUES, _assert_no_server_error
from tests.conftest import Browser, csrf_token
from tests.events.test_views import form
from tests.factories import make_event

pytestmark = pytest.mark.slow  # some 600 requests, each rendering a page


def _payloads(good: dict):
    yield {}
    yield dict(good)
    for name in good:
        for value in JUNK_VALUES:
            yield {**good, name: value}
        yield {**good, name: [good[name], "second value"]}
        yield {k: v for k, v in good.items() if k != name}


# Times at datetime's ends in zones either side of UTC, a date that is none, the hour skipped
# in spring: each with the other fields good.
TIMES = [
    {"starts": "0001-01-01T00:00", "timezone": "Asia/Tokyo"},
    {"ends": "9999-12-31T23:59", "timezone": "America/New_York"},
    {"deadline": "0001-01-01T00:00", "timezone": "Pacific/Kiritimati"},
    {"starts": "2030-13-45T25:61"},
    {"starts": "2030-03-31T01:30", "ends": "2030-03-31T03:00"},
    {"deadline": "9999-12-31T23:59", "timezone": "Pacific/Pago_Pago"},
]


def _post_each(browser: Browser, path: str, good: dict, extra=()) -> None:
    token = csrf_token(browser.client, "/auth/logout")  # one per session: fetch it once
    for data in [*_payloads(good), *({**good, **e} for e in extra)]:
        response = browser.client.post(path, data={"csrf_token": token, **data})
        _assert_no_server_error(response, path, data)


def test_junk_in_the_organisers_forms_never_yields_a_500(app, mod):
    browser = Browser(app.test_client())
    browser.login(mod.email)
    event_id = make_event(mod)
    _post_each(browser, "/events/new", form(), TIMES)
    _post_each(browser, f"/events/{event_id}/edit", form(), TIMES)
    _post_each(browser, f"/events/{event_id}/cancel", {"reason": "The venue is closed."})


def test_junk_in_the_members_forms_never_yields_a_500(app, mod, alice):
    browser = Browser(app.test_client())
    browser.login(alice.email)
    upcoming = make_event(mod, capacity=2)
    _post_each(browser, f"/events/{upcoming}/rsvp", {"status": "going"})
    ended = make_event(mod, title="Last month's group")
    with atomic():
        rsvp.rsvp(db.session.get(type(alice), alice.id), ended, "going")
        event = db.session.get(Event, ended)
        event.starts_at -= timedelta(days=30)
        event.ends_at -= timedelta(days=30)
        event.room_state = "closed"
    _post_each(browser, f"/events/{ended}/feedback", {"rating": "4", "comment": "Useful."})
    _post_each(browser, "/settings/calendar", {})
    _post_each(browser, "/settings/calendar/revoke", {})


@pytest.mark.parametrize("signed_in", [False, True], ids=["visitor", "member"])
def test_junk_in_the_addresses_never_yields_a_500(app, mod, alice, signed_in):
    browser = Browser(app.test_client())
    if signed_in:
        browser.login(alice.email)
    event_id = make_event(mod)
    for value in JUNK_VALUES:
        for query in ("community", "mine", "before", "after"):
            response = browser.client.get("/events", query_string={query: value})
            _assert_no_server_error(response, "/events", {query: value})
        for path in (
            f"/events/feed/{value}.ics",
            f"/events/{event_id}/attendees.csv?x={value}",
            f"/events/{event_id}?before={value}",
            f"/events/new?community={value}",
            f"/chat/event-{value}",
        ):
            response = browser.client.get(path)
            _assert_no_server_error(response, path, {})
    for path in ("/events/0", "/events/99999999999999999999", "/events/-1", "/events/1.ics"):
        _assert_no_server_error(browser.client.get(path), path, {})
