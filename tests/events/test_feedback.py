"""Attendees' feedback once an event has ended: who may give it (those who said going or
wrote in the room; not before the end), one answer per member that they may change, the
form (CSRF, bad input kept), and the results organisers see on the event page."""

from datetime import timedelta

import pytest
from flask import render_template
from sqlalchemy import func, select

from community.chat import actions as chat_actions
from community.db import atomic
from community.errors import Forbidden, Invalid
from community.events import feedback, panels, rooms
from community.events.models import Event, EventFeedback, EventRsvp
from community.extensions import db
from tests.communities.helpers import csrf, text_of
from tests.factories import make_event

ENDED_AN_HOUR_AGO = {"starts_in": -timedelta(hours=3), "allow_past": True}


def live(user):
    return db.session.get(type(user), user.id)


def rsvp(event_id: int, user, status: str = "going") -> None:
    with atomic():
        db.session.add(EventRsvp(event_id=event_id, user_id=user.id, status=status))


def give(user, event_id: int, rating, comment: str = "") -> EventFeedback:
    with atomic():
        return feedback.give_feedback(live(user), event_id, rating=rating, comment=comment)


@pytest.fixture
def ended(mod, alice):
    """An event that ended an hour ago, which Alice said she was going to."""
    event_id = make_event(mod, title="Tender clinic", **ENDED_AN_HOUR_AGO)
    rsvp(event_id, alice)
    return event_id


def test_an_attendee_gives_feedback_once_and_may_change_it(ended, alice):
    give(alice, ended, 4, "Useful contacts")
    give(alice, ended, "5", "  Very useful  ")
    db.session.rollback()
    rows = db.session.scalars(select(EventFeedback).where(EventFeedback.event_id == ended)).all()
    assert [(r.user_id, r.rating, r.comment) for r in rows] == [(alice.id, 5, "Very useful")]


def test_not_before_the_end(mod, alice):
    event_id = make_event(mod, starts_in=timedelta(hours=2))
    rsvp(event_id, alice)
    with pytest.raises(Forbidden, match="when the event has ended"):
        give(alice, event_id, 4)


def test_not_by_those_who_did_not_attend(ended, bob, stranger):
    rsvp(ended, bob, "maybe")
    for user in (bob, stranger):
        with pytest.raises(Forbidden, match="attendees"):
            give(user, ended, 3)


def test_writing_in_the_room_makes_an_attendee(mod, bob):
    event_id = make_event(mod, starts_in=timedelta(hours=1), length=timedelta(hours=1))
    event = db.session.get(Event, event_id)
    rooms.advance_rooms(now=event.starts_at)
    with atomic():
        chat_actions.send_message(live(bob), f"event-{event_id}", body="Hi", client_id="b1")
    with atomic():
        event = db.session.get(Event, event_id)
        event.starts_at, event.ends_at = (
            event.starts_at - timedelta(hours=3),
            event.ends_at - timedelta(hours=3),
        )
    assert give(bob, event_id, 2).rating == 2


def test_not_on_a_cancelled_event(ended, alice):
    with atomic():
        db.session.get(Event, ended).cancelled_at = db.session.get(Event, ended).starts_at
    with pytest.raises(Forbidden, match="cancelled"):
        give(alice, ended, 4)


@pytest.mark.parametrize("rating", ["0", "6", "", "four", "4.5", None, " 3x"])
def test_a_rating_is_a_whole_number_from_1_to_5(ended, alice, rating):
    with pytest.raises(Invalid, match="from 1 to 5"):
        give(alice, ended, rating)


def test_a_comment_has_a_limit(ended, alice):
    with pytest.raises(Invalid, match="at most 2,000 characters"):
        give(alice, ended, 3, "x" * 2001)


def test_an_event_the_member_cannot_see_takes_no_feedback(ended, alice, stranger):
    from community.errors import NotFound
    from tests.communities.helpers import set_visibility

    set_visibility("procurement", "members")
    with pytest.raises(NotFound):
        give(stranger, ended, 4)


# --- results ---------------------------------------------------------------------------------


def test_organisers_see_the_results(ended, mod, alice, bob, stranger):
    rsvp(ended, bob)
    give(alice, ended, 5, "Met three councils")
    give(bob, ended, 2, "")
    results = feedback.results(live(mod), ended)
    assert results.count == 2
    assert results.average == 3.5
    assert results.distribution == [(5, 1), (4, 0), (3, 0), (2, 1), (1, 0)]
    assert [(f.comment, u.display_name) for f, u in results.comments] == [
        ("Met three councils", "Alice Member")
    ]
    with pytest.raises(Forbidden):
        feedback.results(live(alice), ended)


def panel(app, event_id: int, user) -> str | None:
    with app.test_request_context():
        db.session.rollback()
        event = db.session.get(Event, event_id)
        for template, context in panels.shown(event, live(user) if user else None):
            if template == "events/_feedback.html":
                return render_template(template, **context)
    return None


def test_the_panel_shows_the_form_to_attendees_and_results_to_organisers(
    app, ended, mod, alice, bob
):
    html = panel(app, ended, alice)
    assert "Was it useful?" in html
    assert html.count('name="rating" type="radio"') == 5
    assert "<legend>Was it useful?</legend>" in html
    assert "What attendees said" not in html
    give(alice, ended, 4, "Good")
    html = panel(app, ended, alice)
    assert 'checked id="rating-3" name="rating" type="radio" value="4"' in html
    assert "you can change it" in html
    organiser = text_of(panel(app, ended, mod))
    assert "1 answer, useful 4.0 out of 5 on average." in organiser
    assert "Good Alice Member, 4 out of 5" in organiser
    assert panel(app, ended, bob) is None  # no RSVP, never wrote
    assert panel(app, ended, None) is None


def test_the_panel_waits_for_the_end(app, mod, alice):
    event_id = make_event(mod, starts_in=timedelta(hours=2))
    rsvp(event_id, alice)
    assert panel(app, event_id, alice) is None
    assert panel(app, event_id, mod) is None


# --- the form over HTTP ----------------------------------------------------------------------


def test_the_form_saves_and_returns_to_the_event(ended, alice, browser):
    browser.login(alice.email)
    url = f"/events/{ended}/feedback"
    page = browser.get(url)
    assert page.status_code == 200
    response = browser.submit(url, {"rating": "5", "comment": "Great"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/events/{ended}#feedback")
    assert db.session.scalar(select(EventFeedback.rating)) == 5
    response = browser.submit(url, {"rating": "3", "comment": "On reflection"})
    assert response.status_code == 302
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(EventFeedback)) == 1


def test_bad_input_keeps_what_was_typed(ended, alice, browser):
    browser.login(alice.email)
    url = f"/events/{ended}/feedback"
    response = browser.submit(url, {"comment": "I forgot the rating"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Choose how useful it was, from 1 to 5." in html
    assert "I forgot the rating" in html
    assert db.session.scalar(select(func.count()).select_from(EventFeedback)) == 0


def test_a_post_without_its_token_is_refused(ended, alice, browser):
    browser.login(alice.email)
    response = browser.client.post(f"/events/{ended}/feedback", data={"rating": "4"})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(EventFeedback)) == 0


def test_those_who_may_not_give_it_are_told_why(mod, alice, bob, browser):
    upcoming = make_event(mod, starts_in=timedelta(hours=2))
    browser.login(bob.email)
    response = browser.get(f"/events/{upcoming}/feedback")
    assert response.status_code == 403
    assert feedback.NOT_YET in response.get_data(as_text=True)
    token = csrf(browser.client, "/settings")
    response = browser.client.post(
        f"/events/{upcoming}/feedback", data={"csrf_token": token, "rating": "4"}
    )
    assert response.status_code == 403
    assert browser.get("/events/99999/feedback").status_code == 404


def test_signing_in_comes_first(client, ended):
    assert client.get(f"/events/{ended}/feedback").status_code == 302


def test_under_a_path_prefix_its_links_keep_the_prefix(ended, alice, browser):
    # The site mounted at /commons: every link to the event is built by url_for.
    browser.login(alice.email)
    prefixed = {"base_url": "http://localhost/commons"}
    html = browser.get(f"/events/{ended}/feedback", **prefixed).get_data(as_text=True)
    assert f'<a href="/commons/events/{ended}">Tender clinic</a>' in html
    assert f'<a href="/commons/events/{ended}">Back to the event</a>' in html
    assert '<a href="/commons/events">Events</a>' in html
    token = csrf(browser.client, f"/events/{ended}/feedback")
    response = browser.client.post(
        f"/events/{ended}/feedback", data={"csrf_token": token, "rating": "4"}, **prefixed
    )
    assert response.headers["Location"].endswith(f"/commons/events/{ended}#feedback")
