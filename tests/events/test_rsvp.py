"""RSVPs: who may answer and until when, capacity and the waiting list's order, moving up on
a drop-out and on more places (told in the site and by email), the last place taken by two
members at once, and the queries the other parts of events use."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from community import signals
from community.accounts.models import User
from community.db import atomic, utcnow
from community.digests.choices import set_deliveries
from community.errors import Forbidden, Invalid, NotFound
from community.events import rsvp
from community.events.models import Event, EventRsvp
from community.extensions import db
from community.notifications.models import Notification
from community.web import TIME_FORMAT, to_local
from tests.communities.helpers import fresh, run_concurrently, set_visibility
from tests.factories import make_event, make_user


def answer(user, event_id: int, status: str) -> rsvp.Answer:
    with atomic():
        return rsvp.rsvp(db.session.get(User, user.id), event_id, status)


def status_of(user, event_id: int) -> str | None:
    fresh()
    row = db.session.scalar(
        select(EventRsvp).where(EventRsvp.event_id == event_id, EventRsvp.user_id == user.id)
    )
    return row.status if row else None


def member(name: str, **kwargs) -> User:
    return make_user(name, communities=("procurement",), **kwargs)


def promoted_notices(user) -> list[Notification]:
    fresh()
    return list(
        db.session.scalars(
            select(Notification).where(
                Notification.user_id == user.id, Notification.kind == "event_promoted"
            )
        )
    )


def place_mails(outbox) -> list:
    """The "a place for you" emails sent (registration sends its own)."""
    return [m for m in outbox.deliver() if m["Subject"].startswith("A place for you")]


def change_event(event_id: int, **values) -> None:
    with atomic():
        event = db.session.get(Event, event_id)
        for name, value in values.items():
            setattr(event, name, value)


# --- answering ----------------------------------------------------------------------------------


def test_a_member_answers_and_changes_their_answer(mod, alice):
    event_id = make_event(mod)
    assert answer(alice, event_id, "going") == rsvp.Answer("going")
    assert answer(alice, event_id, "maybe").status == "maybe"
    assert answer(alice, event_id, "not_going").status == "not_going"
    assert db.session.query(EventRsvp).count() == 1
    assert status_of(alice, event_id) == "not_going"


def test_waiting_is_not_an_answer_one_chooses(mod, alice):
    event_id = make_event(mod)
    for status in ("waiting", "yes", ""):
        with pytest.raises(Invalid, match="going, maybe or not going"):
            answer(alice, event_id, status)
    assert status_of(alice, event_id) is None


def test_a_non_member_of_a_public_community_is_asked_to_join(mod, stranger):
    event_id = make_event(mod)
    with pytest.raises(Forbidden, match="Join Procurement to RSVP"):
        answer(stranger, event_id, "going")


def test_an_outsider_of_a_members_only_community_does_not_see_its_event(mod, stranger):
    event_id = make_event(mod)
    set_visibility("procurement", "members")
    with pytest.raises(NotFound):
        answer(stranger, event_id, "going")


def test_any_signed_in_member_answers_a_network_wide_event(admin, stranger):
    event_id = make_event(admin, community=None)
    assert answer(stranger, event_id, "going").status == "going"


def test_unconfirmed_and_suspended_members_may_not_answer(mod, communities):
    event_id = make_event(mod)
    unconfirmed = make_user("Una Unconfirmed", verified=False)
    with pytest.raises(Forbidden, match="Confirm your email"):
        answer(unconfirmed, event_id, "going")
    suspended = member("Sue Suspended")
    with atomic():
        db.session.get(User, suspended.id).suspended_at = utcnow()
    with pytest.raises(Forbidden, match="suspended"):
        answer(suspended, event_id, "going")


def test_answers_close_at_the_deadline(mod, alice):
    event_id = make_event(mod)
    answer(alice, event_id, "going")
    change_event(event_id, rsvp_deadline=utcnow() - timedelta(minutes=1))
    with pytest.raises(Invalid, match="deadline for this event has passed"):
        answer(alice, event_id, "not_going")
    assert status_of(alice, event_id) == "going"


def test_without_a_deadline_answers_close_at_the_start(mod, alice):
    event_id = make_event(mod, starts_in=-timedelta(minutes=5), allow_past=True)
    with pytest.raises(Invalid, match="has started"):
        answer(alice, event_id, "going")
    assert status_of(alice, event_id) is None


def test_a_cancelled_event_takes_no_answers(mod, alice):
    event_id = make_event(mod)
    change_event(event_id, cancelled_at=utcnow())
    with pytest.raises(Invalid, match="cancelled"):
        answer(alice, event_id, "maybe")


# --- capacity and the waiting list ----------------------------------------------------------


def test_at_capacity_going_joins_the_waiting_list_in_order(mod, alice, bob):
    event_id = make_event(mod, capacity=2)
    carol, dave = member("Carol Member"), member("Dave Member")
    assert answer(alice, event_id, "going").status == "going"
    assert answer(bob, event_id, "going").status == "going"
    carol_answer = answer(carol, event_id, "going")
    assert carol_answer == rsvp.Answer("waiting", place=1)
    assert "waiting list, number 1" in carol_answer.message
    assert answer(dave, event_id, "going") == rsvp.Answer("waiting", place=2)
    # Saying going again keeps one's place in line.
    assert answer(carol, event_id, "going") == rsvp.Answer("waiting", place=1)
    # Maybe is no place: it does not take one.
    assert answer(member("Eve Member"), event_id, "maybe").status == "maybe"
    assert rsvp.answer_counts(event_id) == {"going": 2, "maybe": 1, "not_going": 0, "waiting": 2}


def test_a_drop_out_lets_the_first_in_line_move_up(mod, alice, bob, outbox):
    event_id = make_event(mod, capacity=1, title="Procurement networking day")
    carol = member("Carol Member", email="carol@example.org")
    answer(alice, event_id, "going")
    answer(bob, event_id, "going")
    answer(carol, event_id, "going")
    assert answer(alice, event_id, "not_going").status == "not_going"
    assert status_of(bob, event_id) == "going"
    assert status_of(carol, event_id) == "waiting"
    assert rsvp.waiting_place(db.session.scalar(select(EventRsvp).filter_by(user_id=carol.id))) == 1

    (notice,) = promoted_notices(bob)
    assert (notice.target_kind, notice.target_id) == ("event", event_id)
    assert notice.subject == "Procurement networking day"
    assert promoted_notices(carol) == []
    (mail,) = place_mails(outbox)
    assert mail["To"] == "bob@example.org"
    assert mail["Subject"] == "A place for you: Procurement networking day"
    assert "you are now going" in outbox.text(mail)
    starts = db.session.get(Event, event_id).starts_at
    assert to_local(starts, "Europe/London").strftime(TIME_FORMAT) in outbox.text(mail)
    assert outbox.link(mail, "/events/") == f"/events/{event_id}"


def test_maybe_from_going_frees_a_place_too(mod, alice, bob):
    event_id = make_event(mod, capacity=1)
    answer(alice, event_id, "going")
    answer(bob, event_id, "going")
    answer(alice, event_id, "maybe")
    assert status_of(bob, event_id) == "going"


def test_leaving_the_waiting_list_moves_nobody_and_keeps_the_order(mod, alice, bob):
    event_id = make_event(mod, capacity=1)
    carol, dave = member("Carol Member"), member("Dave Member")
    for user in (alice, bob, carol, dave):
        answer(user, event_id, "going")
    answer(bob, event_id, "not_going")  # bob was first in line
    assert status_of(carol, event_id) == "waiting"
    assert answer(carol, event_id, "going").place == 1
    assert answer(dave, event_id, "going").place == 2
    answer(alice, event_id, "not_going")
    assert [status_of(u, event_id) for u in (carol, dave)] == ["going", "waiting"]


def leave(user, slug: str = "procurement") -> None:
    from community.communities import actions as community_actions

    with atomic():
        community_actions.leave_community(db.session.get(User, user.id), slug)


def test_a_member_who_leaves_gives_up_their_places_in_the_communitys_events_to_come(
    mod, admin, alice, bob, outbox
):
    full = make_event(mod, capacity=1)
    other = make_event(mod, capacity=1, title="Another day")
    network = make_event(admin, community=None, capacity=1)
    over = make_event(mod, starts_in=timedelta(days=-2), allow_past=True)
    carol = member("Carol Member")
    for event_id in (full, other, network):
        answer(alice, event_id, "going")
        answer(bob, event_id, "going")  # waits
    answer(carol, full, "going")  # waits behind bob
    with atomic():
        db.session.add(EventRsvp(event_id=over, user_id=alice.id, status="going"))
    leave(alice)
    # Her places in Procurement's events free: the first in line moves up and is told.
    assert [status_of(u, full) for u in (alice, bob, carol)] == ["not_going", "going", "waiting"]
    assert [status_of(u, other) for u in (alice, bob)] == ["not_going", "going"]
    assert len(promoted_notices(bob)) == 2
    assert len(place_mails(outbox)) == 2
    # Not the network-wide event's (she may still come), nor the past one's (she came).
    assert [status_of(u, network) for u in (alice, bob)] == ["going", "waiting"]
    assert status_of(alice, over) == "going"
    leave(carol)  # in line only: she leaves the line, nobody moves
    assert [status_of(u, full) for u in (bob, carol)] == ["going", "not_going"]


def test_a_suspended_member_gives_up_every_place_to_come(mod, admin, alice, bob):
    from community.accounts import actions as account_actions

    ours = make_event(mod, capacity=1)
    network = make_event(admin, community=None, capacity=1)
    for event_id in (ours, network):
        answer(alice, event_id, "going")
        answer(bob, event_id, "going")  # waits
    carol = member("Carol Member")
    answer(carol, ours, "going")  # waits behind bob
    with atomic():
        account_actions.suspend_member(
            db.session.get(User, admin.id), db.session.get(User, bob.id), "Spam."
        )
    assert [status_of(u, ours) for u in (alice, bob, carol)] == ["going", "not_going", "waiting"]
    with atomic():
        account_actions.suspend_member(
            db.session.get(User, admin.id), db.session.get(User, alice.id), "Spam."
        )
    assert [status_of(u, ours) for u in (alice, carol)] == ["not_going", "going"]
    assert [status_of(u, network) for u in (alice, bob)] == ["not_going", "not_going"]


def test_a_member_passed_over_while_suspended_moves_up_on_going_again(mod, alice, bob):
    """Suspended when a place freed (the suspension has lapsed since): "going" again takes
    the free place rather than leaving them in line."""
    event_id = make_event(mod, capacity=1)
    answer(alice, event_id, "going")
    answer(bob, event_id, "going")  # waits
    with atomic():
        db.session.get(User, bob.id).suspended_at = utcnow()
    answer(alice, event_id, "not_going")
    assert status_of(bob, event_id) == "waiting"  # passed over: a suspended member holds none
    with atomic():
        db.session.get(User, bob.id).suspended_at = None
    assert answer(bob, event_id, "going") == rsvp.Answer("going")
    assert status_of(bob, event_id) == "going"
    assert answer(bob, event_id, "going") == rsvp.Answer("going")  # again: nothing changes


def test_a_second_promotion_notifies_again(mod, alice, bob):
    event_id = make_event(mod, capacity=1)
    answer(alice, event_id, "going")
    answer(bob, event_id, "going")
    answer(alice, event_id, "not_going")  # bob moves up
    answer(bob, event_id, "not_going")
    answer(bob, event_id, "going")  # nobody going: straight in, no notice
    answer(alice, event_id, "going")  # waits
    answer(bob, event_id, "maybe")  # alice moves up
    answer(alice, event_id, "not_going")
    answer(bob, event_id, "going")
    answer(alice, event_id, "going")  # waits again
    answer(bob, event_id, "not_going")  # alice moves up a second time
    assert len(promoted_notices(alice)) == 2
    assert len(promoted_notices(bob)) == 1


def test_no_email_for_a_member_who_turned_event_emails_off(mod, alice, bob, outbox):
    event_id = make_event(mod, capacity=1)
    with atomic():
        set_deliveries(db.session.get(User, bob.id), {"events": "never"})
    answer(alice, event_id, "going")
    answer(bob, event_id, "going")
    answer(alice, event_id, "not_going")
    assert status_of(bob, event_id) == "going"
    assert len(promoted_notices(bob)) == 1
    assert place_mails(outbox) == []


def raise_capacity(event_id: int, capacity: int, actor) -> None:
    """What the organisers' edit does: the new capacity, then event_changed."""
    with atomic():
        event = db.session.get(Event, event_id)
        event.capacity = capacity
        event.sequence += 1
        signals.event_changed.emit(
            event=event, changes=frozenset({"capacity"}), actor=db.session.get(User, actor.id)
        )


def test_more_places_move_up_as_many_as_they_allow_in_order(mod, alice, outbox):
    event_id = make_event(mod, capacity=1)
    waiting = [member(f"Waiting {n}", email=f"w{n}@example.org") for n in range(1, 5)]
    answer(alice, event_id, "going")
    for user in waiting:
        answer(user, event_id, "going")
    raise_capacity(event_id, 3, mod)
    assert [status_of(u, event_id) for u in waiting] == ["going", "going", "waiting", "waiting"]
    assert sorted(m["To"] for m in place_mails(outbox)) == ["w1@example.org", "w2@example.org"]
    (notice,) = promoted_notices(waiting[0])
    assert notice.actor_id == mod.id
    assert (
        rsvp.waiting_place(db.session.scalar(select(EventRsvp).filter_by(user_id=waiting[2].id)))
        == 1
    )
    raise_capacity(event_id, 10, mod)
    assert rsvp.answer_counts(event_id)["going"] == 5
    assert rsvp.answer_counts(event_id)["waiting"] == 0


def test_other_changes_and_a_smaller_capacity_move_nobody(mod, alice, bob):
    event_id = make_event(mod, capacity=2)
    carol = member("Carol Member")
    for user in (alice, bob, carol):
        answer(user, event_id, "going")
    raise_capacity(event_id, 1, mod)
    assert [status_of(u, event_id) for u in (alice, bob, carol)] == ["going", "going", "waiting"]
    answer(alice, event_id, "not_going")  # still full: 1 going of 1
    assert status_of(carol, event_id) == "waiting"
    with atomic():
        event = db.session.get(Event, event_id)
        event.capacity = 5
        signals.event_changed.emit(
            event=event, changes=frozenset({"details"}), actor=event.organiser
        )
    assert status_of(carol, event_id) == "waiting"  # not a capacity change: nobody told


# --- concurrency --------------------------------------------------------------------------------


def test_two_members_taking_the_last_place_at_once(app, mod, alice, bob):
    event_id = make_event(mod, capacity=1)
    ids = [alice.id, bob.id]
    errors = run_concurrently(
        app, lambda user_id: answer(db.session.get(User, user_id), event_id, "going"), ids
    )
    assert errors == []
    assert sorted(status_of(u, event_id) for u in (alice, bob)) == ["going", "waiting"]


def test_many_members_at_once_fill_the_places_and_queue_in_distinct_places(app, mod):
    event_id = make_event(mod, capacity=2)
    users = [member(f"Rusher {n}") for n in range(6)]
    places: list[int | None] = []

    def go(user_id: int) -> None:
        places.append(answer(db.session.get(User, user_id), event_id, "going").place)

    assert run_concurrently(app, go, [u.id for u in users]) == []
    fresh()
    assert rsvp.answer_counts(event_id) == {"going": 2, "maybe": 0, "not_going": 0, "waiting": 4}
    assert sorted(p for p in places if p is not None) == [1, 2, 3, 4]


# --- queries ------------------------------------------------------------------------------------


def test_queries_for_the_other_parts_of_events(mod, alice, bob, admin):
    event_id = make_event(mod, capacity=1)
    other_id = make_event(mod)
    carol = member("Carol Member", organisation_other="Gwent Council")
    answer(alice, event_id, "going")
    answer(bob, event_id, "going")
    answer(carol, event_id, "maybe")
    answer(bob, other_id, "going")
    answer(carol, other_id, "going")
    assert rsvp.going_count(event_id) == 1
    assert rsvp.going_count(db.session.get(Event, other_id)) == 2
    assert rsvp.going_counts([event_id, other_id]) == {event_id: 1, other_id: 2}
    assert rsvp.answered_user_ids(event_id) == [alice.id, carol.id]
    assert rsvp.answered_user_ids(event_id, ("waiting",)) == [bob.id]
    by_status = rsvp.answers_by_status(event_id)
    assert [a.user_id for a in by_status["waiting"]] == [bob.id]
    assert rsvp.places_left(db.session.get(Event, event_id)) == 0
    assert rsvp.places_left(db.session.get(Event, other_id)) is None
    groups = rsvp.going_by_organisation(other_id)
    assert [(g.organisation, [u.display_name for u in g.members]) for g in groups] == [
        ("Gwent Council", ["Bob Member", "Carol Member"])
    ]
