"""The RSVP pages: answering from the event page's panel (CSRF, flashes, refusals), the panel
as members, organisers and visitors see it, and the organisers' attendee CSV."""

import csv
import io
from datetime import timedelta

import pytest
from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import select

from community.accounts.models import User
from community.db import atomic, utcnow
from community.events import access, panels
from community.events import rsvp as rsvp_actions
from community.events.models import Event, EventRsvp
from community.extensions import db
from tests.communities.helpers import fresh, post, set_visibility, text_of
from tests.factories import make_event, make_user

# The event page is the core's: this probe shows its panels the way it does, one template
# per registered panel with the context that panel's function gives.
probe = Blueprint("rsvp_probe", __name__)


@probe.get("/probe/events/<int:event_id>")
def event_panels(event_id: int):
    reader = current_user._get_current_object() if current_user.is_authenticated else None
    event = access.access_event(reader, event_id)
    return "".join(render_template(t, **c) for t, c in panels.shown(event, reader))


@pytest.fixture
def app_blueprints():
    return (probe,)


def page(client, event_id: int) -> str:
    response = client.get(f"/probe/events/{event_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def answer(user, event_id: int, status: str) -> None:
    with atomic():
        rsvp_actions.rsvp(db.session.get(User, user.id), event_id, status)


def status_of(user, event_id: int) -> str | None:
    fresh()
    row = db.session.scalar(
        select(EventRsvp).where(EventRsvp.event_id == event_id, EventRsvp.user_id == user.id)
    )
    return row.status if row else None


def flashes(client) -> str:
    return text_of(client.get("/").get_data(as_text=True))


def send(client, event_id: int, status: str):
    return post(client, f"/events/{event_id}/rsvp", {"status": status})


# --- answering --------------------------------------------------------------------------------


def test_a_member_answers_with_the_panels_buttons(browser, client, mod, alice):
    event_id = make_event(mod)
    browser.login(alice.email)
    html = page(client, event_id)
    assert f'action="/events/{event_id}/rsvp"' in html
    assert 'name="csrf_token"' in html
    for value in ("going", "maybe", "not_going"):
        assert f'name="status" value="{value}"' in html
    response = send(client, event_id, "going")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/events/{event_id}"
    assert status_of(alice, event_id) == "going"
    assert "You are going." in flashes(client)
    text = text_of(page(client, event_id))
    assert "Your answer: Going" in text
    assert "Going: 1" in text
    html = page(client, event_id)
    assert 'value="going" class="button" aria-pressed="true"' in html
    # Every button says whether it is the answer given, not only the chosen one.
    assert 'value="maybe" class="button secondary" aria-pressed="false"' in html
    assert 'value="not_going" class="button secondary" aria-pressed="false"' in html


def test_before_any_answer_no_button_is_pressed(browser, client, mod, alice):
    event_id = make_event(mod)
    browser.login(alice.email)
    html = page(client, event_id)
    assert html.count('aria-pressed="false"') == 3
    assert 'aria-pressed="true"' not in html


def test_a_full_event_says_so_and_gives_the_place_in_line(browser, client, mod, alice, bob):
    event_id = make_event(mod, capacity=1)
    answer(bob, event_id, "going")
    browser.login(alice.email)
    assert "if you say going you will join the waiting list" in text_of(page(client, event_id))
    send(client, event_id, "going")
    assert "you are on the waiting list, number 1" in flashes(client)
    text = text_of(page(client, event_id))
    assert "Your answer: On the waiting list, number 1 in line" in text
    assert "Full: a new “going” joins the waiting list." in text


def test_places_left_and_the_deadline_are_shown(browser, client, mod, alice):
    event_id = make_event(mod, capacity=3)
    answer(alice, event_id, "going")
    browser.login(alice.email)
    text = text_of(page(client, event_id))
    assert "2 places left of 3." in text
    assert "Answers close" in text
    assert "(when the event starts)" in text


def test_a_post_without_the_csrf_token_is_refused(browser, client, mod, alice):
    event_id = make_event(mod)
    browser.login(alice.email)
    response = client.post(f"/events/{event_id}/rsvp", data={"status": "going"})
    assert response.status_code == 400
    assert "Form expired" in response.get_data(as_text=True)
    assert status_of(alice, event_id) is None


def test_after_the_deadline_the_answer_is_refused_with_a_message(browser, client, mod, alice):
    event_id = make_event(mod)
    with atomic():
        db.session.get(Event, event_id).rsvp_deadline = utcnow() - timedelta(hours=1)
    browser.login(alice.email)
    assert 'name="status"' not in page(client, event_id)
    assert "RSVPs are closed." in text_of(page(client, event_id))
    response = send(client, event_id, "going")
    assert response.status_code == 302
    assert "The RSVP deadline for this event has passed." in flashes(client)
    assert status_of(alice, event_id) is None


def test_a_cancelled_event_shows_no_buttons(browser, client, mod, alice):
    event_id = make_event(mod)
    with atomic():
        db.session.get(Event, event_id).cancelled_at = utcnow()
    browser.login(alice.email)
    html = page(client, event_id)
    assert 'name="status"' not in html
    assert "This event is cancelled: RSVPs are closed." in text_of(html)
    send(client, event_id, "maybe")
    assert "This event is cancelled" in flashes(client)


def test_a_bad_answer_is_a_message_not_an_error(browser, client, mod, alice):
    event_id = make_event(mod)
    browser.login(alice.email)
    assert send(client, event_id, "waiting").status_code == 302
    assert "Choose going, maybe or not going." in flashes(client)
    assert post(client, f"/events/{event_id}/rsvp", {}).status_code == 302


def test_a_non_member_is_asked_to_join_the_community(browser, client, mod, stranger):
    event_id = make_event(mod)
    browser.login(stranger.email)
    html = page(client, event_id)
    assert 'name="status"' not in html
    assert "Join Procurement to RSVP. Go to Procurement" in text_of(html)
    assert 'href="/c/procurement"' in html
    send(client, event_id, "going")
    assert "Join Procurement to RSVP." in flashes(client)


def test_an_outsider_of_a_members_only_community_gets_404(browser, client, mod, stranger):
    event_id = make_event(mod)
    set_visibility("procurement", "members")
    browser.login(stranger.email)
    assert send(client, event_id, "going").status_code == 404


def test_visitors_are_sent_to_sign_in(client, mod):
    event_id = make_event(mod)
    url = f"/events/{event_id}/rsvp"
    response = post(client, url, {"status": "going"}, token_page="/auth/login")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_the_member_who_moves_up_reads_it_in_their_notifications(browser, client, mod, alice, bob):
    event_id = make_event(mod, capacity=1, title="Procurement networking day")
    answer(alice, event_id, "going")
    answer(bob, event_id, "going")
    answer(alice, event_id, "not_going")
    browser.login(bob.email)
    text = text_of(client.get("/notifications").get_data(as_text=True))
    assert "Mona Moderator has a place for you at Procurement networking day" in text


# --- who is going -------------------------------------------------------------------------------


@pytest.fixture
def answered(mod, alice, bob):
    """An event of two places: bob and alice going, carol waiting, dave maybe, erin not."""
    event_id = make_event(mod, capacity=2)
    carol = make_user(
        "Carol Member", communities=("procurement",), organisation_other="Gwent Council"
    )
    dave = make_user("Dave Member", communities=("procurement",))
    erin = make_user("Erin Member", communities=("procurement",))
    answer(bob, event_id, "going")
    answer(alice, event_id, "going")
    answer(carol, event_id, "going")
    answer(dave, event_id, "maybe")
    answer(erin, event_id, "not_going")
    return event_id


def test_members_see_who_is_going_by_organisation(browser, client, answered, bob):
    browser.login(bob.email)
    html = page(client, answered)
    text = text_of(html)
    assert "Going: 2 (and 1 maybe)" in text
    assert "Gwent Council Bob Member Newport Social Enterprise Alice Member" in text
    assert "Carol Member" not in text  # waiting, not going
    assert "For organisers" not in text
    assert "attendees.csv" not in html


def test_visitors_see_counts_but_no_names(client, answered):
    text = text_of(page(client, answered))
    assert "Going: 2 (and 1 maybe)" in text
    assert "Alice Member" not in text
    assert "Bob Member" not in text
    assert "Sign in to RSVP and see who is going." in text
    assert "Full: a new “going” joins the waiting list." in text


def test_organisers_see_the_counts_the_lists_and_the_waiting_list(browser, client, answered, mod):
    browser.login(mod.email)
    html = page(client, answered)
    text = text_of(html)
    assert "Going 2 Maybe 1 Not going 1 On the waiting list 1" in text
    assert "Not going Erin Member" in text
    assert "Maybe Dave Member" in text
    assert "Waiting list Carol Member Gwent Council · since" in text
    assert f'href="/events/{answered}/attendees.csv"' in html


# --- the attendee CSV ---------------------------------------------------------------------------


def rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_organisers_download_every_answer_as_csv(browser, client, answered, mod):
    browser.login(mod.email)
    response = client.get(f"/events/{answered}/attendees.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="event-{answered}-attendees.csv"'
    )
    table = rows(response)
    assert table[0] == ["Name", "Organisation", "RSVP", "Waiting list place", "Answered (UTC)"]
    assert [row[:4] for row in table[1:]] == [
        ["Alice Member", "Newport Social Enterprise", "Going", ""],
        ["Bob Member", "Gwent Council", "Going", ""],
        ["Carol Member", "Gwent Council", "On the waiting list", "1"],
        ["Dave Member", "Test Organisation", "Maybe", ""],
        ["Erin Member", "Test Organisation", "Not going", ""],
    ]
    fresh()
    bob_answer = db.session.scalar(select(EventRsvp).where(EventRsvp.status == "going"))
    answered_at = {row[0]: row[4] for row in table[1:]}
    assert answered_at[bob_answer.user.display_name] == (
        bob_answer.updated_at.replace(microsecond=0).isoformat() + "Z"
    )


def test_the_csv_cannot_carry_a_formula(browser, client, mod):
    event_id = make_event(mod)
    sly = make_user("=HYPERLINK(1)", communities=("procurement",), organisation_other="@SUM(A1:A9)")
    plus = make_user("+Plus Person", communities=("procurement",), organisation_other="-minus")
    answer(sly, event_id, "going")
    answer(plus, event_id, "maybe")
    browser.login(mod.email)
    table = rows(client.get(f"/events/{event_id}/attendees.csv"))
    assert table[1][:2] == ["'=HYPERLINK(1)", "'@SUM(A1:A9)"]
    assert table[2][:2] == ["'+Plus Person", "'-minus"]


def test_only_organisers_get_the_csv(browser, client, answered, alice, admin, stranger):
    url = f"/events/{answered}/attendees.csv"
    assert client.get(url).status_code == 403  # a visitor of a public community
    browser.login(alice.email)
    assert client.get(url).status_code == 403
    browser.logout()
    browser.login(admin.email)
    assert client.get(url).status_code == 200
    browser.logout()
    set_visibility("procurement", "members")
    browser.login(stranger.email)
    assert client.get(url).status_code == 404
