"""Reminders, once: an email a day before and a notice an hour before, to those going or
maybe, claimed one row per (member, event, kind) so no run, race or rerun reminds twice."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from community.accounts.models import User
from community.db import atomic, utcnow
from community.digests.choices import set_deliveries
from community.events import reminders
from community.events.models import Event, EventReminder, EventRsvp
from community.extensions import db
from community.jobs import registered_jobs
from community.notifications.models import Notification
from community.web import to_local
from tests.communities.helpers import fresh, run_concurrently, set_visibility
from tests.factories import make_event, make_user


def rsvp(user: User, event_id: int, status: str = "going") -> None:
    with atomic():
        db.session.add(EventRsvp(event_id=event_id, user_id=user.id, status=status))


def mails_to(outbox, address: str) -> list:
    """The reminders sent to `address` (not the account mail its registration sent)."""
    return [m for m in outbox.to(address) if m["Subject"].startswith("Reminder:")]


def reminded(outbox) -> list[str]:
    """Who got a reminder email, sorted."""
    return sorted(m["To"] for m in outbox.deliver() if m["Subject"].startswith("Reminder:"))


def run_job() -> dict[str, int]:
    fresh()
    return reminders.send_due_reminders()


def notices(kind: str = "event_reminder", user: User | None = None) -> list[Notification]:
    fresh()
    stmt = select(Notification).where(Notification.kind == kind)
    if user is not None:
        stmt = stmt.where(Notification.user_id == user.id)
    return list(db.session.scalars(stmt))


def claims(kind: str) -> int:
    """The claims of `kind` ("day-before", "hour-before": for whatever start)."""
    fresh()
    return db.session.scalar(
        select(func.count())
        .select_from(EventReminder)
        .where(EventReminder.kind.startswith(f"{kind}@"))
    )


def day_claim(event_id: int) -> str:
    """The day reminder's claim for the event's start as it stands."""
    return reminders.DAY.claim_kind(db.session.get(Event, event_id).starts_at)


def test_the_job_is_registered_every_minute(app):
    job = {j.name: j for j in registered_jobs(app)}["event reminders"]
    assert job.every == timedelta(minutes=1)
    assert job.run is reminders.send_due_reminders


def test_an_event_in_23_hours_gets_the_day_email_one_in_3_days_none(mod, alice, outbox):
    soon = make_event(mod, title="Tender clinic", starts_in=timedelta(hours=23))
    later = make_event(mod, title="Later day", starts_in=timedelta(days=3))
    rsvp(alice, soon)
    rsvp(alice, later)
    with atomic():
        db.session.get(User, alice.id).timezone = "Europe/Paris"
    assert run_job() == {"day-before": 1, "hour-before": 0}
    mails = mails_to(outbox, "alice@example.org")
    assert len(mails) == 1
    assert "Tender clinic" in mails[0]["Subject"]
    text = outbox.text(mails[0])
    # Shown in the member's zone, the zone named ("CET" or "CEST"), not the organiser's.
    event = db.session.get(Event, soon)
    paris = to_local(event.starts_at, "Europe/Paris")
    assert paris.strftime("%H:%M ") + paris.tzname() in text
    assert "Civic Centre, Newport" in text
    assert outbox.link(mails[0], f"/events/{soon}") == f"/events/{soon}"
    assert outbox.link(mails[0], "/settings") == "/settings#email-choices"
    assert notices() == []  # the hour reminder is not due yet


def test_the_hour_reminder_comes_in_the_site_within_the_hour(mod, alice, outbox):
    event_id = make_event(mod, starts_in=timedelta(minutes=50))
    not_yet = make_event(mod, starts_in=timedelta(minutes=70))
    rsvp(alice, event_id, "maybe")
    rsvp(alice, not_yet, "maybe")
    assert run_job() == {"day-before": 2, "hour-before": 1}
    [note] = notices(user=alice)
    assert (note.target_kind, note.target_id) == ("event", event_id)
    assert note.url == f"/events/{event_id}"
    assert note.actor_id == mod.id
    london = to_local(db.session.get(Event, event_id).starts_at, "Europe/London")
    assert london.strftime("%H:%M ") + london.tzname() in note.excerpt
    assert len(mails_to(outbox, "alice@example.org")) == 2


def test_an_event_created_within_the_day_is_reminded_at_the_next_run_none_once_started(
    mod, alice, outbox
):
    late = make_event(mod, title="Called at short notice", starts_in=timedelta(hours=2))
    started = make_event(mod, title="Already on", starts_in=timedelta(minutes=-10), allow_past=True)
    for event_id in (late, started):
        rsvp(alice, event_id)
    run_job()
    subjects = [m["Subject"] for m in mails_to(outbox, "alice@example.org")]
    assert len(subjects) == 1
    assert "Called at short notice" in subjects[0]
    assert notices() == []  # 2 h away: no hour reminder yet; the started one gets none


def test_running_the_job_twice_reminds_once(mod, alice, bob, outbox):
    event_id = make_event(mod, starts_in=timedelta(minutes=30))
    rsvp(alice, event_id)
    rsvp(bob, event_id, "maybe")
    assert run_job() == {"day-before": 2, "hour-before": 2}
    assert run_job() == {"day-before": 0, "hour-before": 0}
    assert len(mails_to(outbox, "alice@example.org")) == 1
    assert len(mails_to(outbox, "bob@example.org")) == 1
    assert len(notices()) == 2
    assert claims("day-before") == 2
    assert claims("hour-before") == 2


def test_two_runners_racing_remind_once(app, mod, alice, bob, outbox):
    event_id = make_event(mod, starts_in=timedelta(minutes=30))
    members = [alice, bob] + [make_user(communities=("procurement",)) for _ in range(4)]
    for member in members:
        rsvp(member, event_id)
    sent: list[dict] = []
    errors = run_concurrently(app, lambda _: sent.append(reminders.send_due_reminders()), [1, 2])
    assert errors == []
    assert sum(s["day-before"] for s in sent) == len(members)
    assert sum(s["hour-before"] for s in sent) == len(members)
    assert reminded(outbox) == sorted(m.email for m in members)
    assert len(notices()) == len(members)


def test_racing_claims_of_one_reminder_are_won_once(app, mod, alice):
    """Both runners found the reminder due; only one inserts its row (the other waits for
    the winner's commit, then finds the row there)."""
    event_id = make_event(mod, starts_in=timedelta(minutes=30))
    alice_id = alice.id  # read here: the threads have sessions of their own
    kind = day_claim(event_id)
    won: list[bool] = []

    def claim(_):
        with atomic():
            won.append(reminders.claim(alice_id, event_id, kind))

    assert run_concurrently(app, claim, [1, 2]) == []
    assert sorted(won) == [False, True]
    assert claims("day-before") == 1


def test_a_rerun_after_a_crash_skips_what_was_claimed(mod, alice, bob, outbox):
    """A run that committed its claim (and the mail with it) before dying: the rerun finds
    the claimed row and sends only the rest."""
    event_id = make_event(mod, starts_in=timedelta(hours=5))
    rsvp(alice, event_id)
    rsvp(bob, event_id)
    with atomic():
        assert reminders.claim(alice.id, event_id, day_claim(event_id))
    run_job()
    assert mails_to(outbox, "alice@example.org") == []
    assert len(mails_to(outbox, "bob@example.org")) == 1


def test_a_run_that_fails_midway_sends_nothing_and_the_rerun_sends_each_once(
    mod, alice, bob, outbox, monkeypatch
):
    """The claims roll back with the mail of a run that fails: nothing is lost or doubled."""
    event_id = make_event(mod, starts_in=timedelta(hours=5))
    rsvp(alice, event_id)
    rsvp(bob, event_id)
    real_queue_mail = reminders.queue_mail
    calls = []

    def failing_second(*args, **kwargs):  # the outbound mail edge, failing on its 2nd use
        calls.append(args[0])
        if len(calls) == 2:
            raise RuntimeError("the process died")
        return real_queue_mail(*args, **kwargs)

    monkeypatch.setattr(reminders, "queue_mail", failing_second)
    with pytest.raises(RuntimeError):
        run_job()
    assert claims("day-before") == 0
    assert reminded(outbox) == []
    monkeypatch.setattr(reminders, "queue_mail", real_queue_mail)
    run_job()
    assert reminded(outbox) == ["alice@example.org", "bob@example.org"]


def move(event_id: int, starts_in: timedelta) -> None:
    with atomic():
        event = db.session.get(Event, event_id)
        length = event.ends_at - event.starts_at
        event.starts_at = utcnow().replace(microsecond=0) + starts_in
        event.ends_at = event.starts_at + length


def test_an_event_moved_after_its_reminders_went_is_reminded_of_its_new_start(mod, alice, outbox):
    event_id = make_event(mod, title="Moved clinic", starts_in=timedelta(minutes=30))
    rsvp(alice, event_id)
    assert run_job() == {"day-before": 1, "hour-before": 1}
    move(event_id, timedelta(days=3))  # put off: nothing due yet
    assert run_job() == {"day-before": 0, "hour-before": 0}
    move(event_id, timedelta(minutes=40))  # the new start draws near
    assert run_job() == {"day-before": 1, "hour-before": 1}
    assert run_job() == {"day-before": 0, "hour-before": 0}  # still once per start
    assert len(mails_to(outbox, "alice@example.org")) == 2
    assert len(notices(user=alice)) == 2
    starts = db.session.get(Event, event_id).starts_at
    assert reminders.DAY.claim_kind(starts) == f"day-before@{starts:%Y%m%dT%H%M}"
    assert len(reminders.HOUR.claim_kind(starts)) <= 30  # EventReminder.kind is String(30)


@pytest.mark.parametrize("status", ["not_going", "waiting"])
def test_not_going_and_waiting_are_not_reminded(mod, alice, outbox, status):
    event_id = make_event(mod, starts_in=timedelta(minutes=30))
    rsvp(alice, event_id, status)
    assert run_job() == {"day-before": 0, "hour-before": 0}
    assert reminded(outbox) == []
    assert notices() == []


def test_a_cancelled_event_is_not_reminded(mod, alice, outbox):
    event_id = make_event(mod, starts_in=timedelta(minutes=30))
    rsvp(alice, event_id)
    with atomic():
        db.session.get(Event, event_id).cancelled_at = utcnow()
    assert run_job() == {"day-before": 0, "hour-before": 0}


def test_event_emails_off_no_email_but_the_notice_in_the_site(mod, alice, bob, outbox):
    event_id = make_event(mod, starts_in=timedelta(minutes=30))
    rsvp(alice, event_id)
    rsvp(bob, event_id)
    with atomic():
        set_deliveries(db.session.get(User, alice.id), {"events": "never"})
    run_job()
    assert mails_to(outbox, "alice@example.org") == []
    assert len(mails_to(outbox, "bob@example.org")) == 1
    assert len(notices(user=alice)) == 1


def test_members_who_lost_access_get_nothing(mod, alice, bob, stranger, outbox, communities):
    """Procurement turns members-only: the stranger who answered while it was public may no
    longer see the event; its members still may."""
    event_id = make_event(mod, starts_in=timedelta(minutes=30))
    rsvp(stranger, event_id)
    rsvp(alice, event_id)
    set_visibility("procurement", "members")
    run_job()
    assert mails_to(outbox, "sam@example.org") == []
    assert notices(user=stranger) == []
    assert len(mails_to(outbox, "alice@example.org")) == 1
    assert len(notices(user=alice)) == 1


def test_suspended_members_are_not_reminded(mod, alice, outbox):
    event_id = make_event(mod, starts_in=timedelta(minutes=30))
    rsvp(alice, event_id)
    with atomic():
        db.session.get(User, alice.id).suspended_at = utcnow()
    assert run_job() == {"day-before": 0, "hour-before": 0}
    assert reminded(outbox) == []


def test_a_network_wide_event_reminds_any_member(admin, stranger, outbox):
    event_id = make_event(admin, community=None, starts_in=timedelta(minutes=30))
    rsvp(stranger, event_id)
    run_job()
    assert len(mails_to(outbox, "sam@example.org")) == 1
    assert len(notices(user=stranger)) == 1


# --- the choice in /settings ------------------------------------------------------------------
