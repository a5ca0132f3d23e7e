"""The announcement email: confirmed with the recipient count, queued by the job in batches,
never twice (rerun, two runs at once), only to members whose choices allow it, with the
one-click unsubscribe; "in my digest only" puts it in the digest instead; the progress
figure on the admins' pages."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from community.accounts.models import User
from community.announcements import mailing
from community.announcements.models import Announcement, AnnouncementMail
from community.db import atomic, utcnow
from community.digests import build
from community.digests.choices import delivery, set_deliveries
from community.extensions import db
from community.mail import OutboundMail
from tests.announcements.conftest import announce, ask_email, live
from tests.communities.helpers import csrf, fresh, run_concurrently, text_of
from tests.factories import make_user


def run_job(**kwargs) -> str:
    result = mailing.send_announcement_mail(**kwargs)
    fresh()
    return result


def announcement(announcement_id: int) -> Announcement:
    fresh()
    return db.session.get(Announcement, announcement_id)


def announcement_mails(outbox, address: str | None = None) -> list:
    """The announcement emails delivered (not the account mail that made_user queued)."""
    return [
        m for m in outbox.deliver()
        if "announcements" in (m["List-Id"] or "") and address in (None, m["To"])
    ]  # fmt: skip


def recipients(outbox) -> list[str]:
    return sorted(m["To"] for m in announcement_mails(outbox))


def queued_count() -> int:
    """Announcement emails queued (each has its copy's row)."""
    fresh()
    return db.session.scalar(
        select(func.count())
        .select_from(OutboundMail)
        .join(AnnouncementMail, AnnouncementMail.mail_id == OutboundMail.id)
    )


def change(user: User, **values) -> None:
    with atomic():
        row = live(user)
        for name, value in values.items():
            setattr(row, name, value)


@pytest.fixture
def cast(admin, alice, bob):
    """alice (Procurement) and bob (Health) take announcements by default; and one member
    each who turned them off, gets them in the digest, stopped all email, has a bouncing
    address, is not confirmed, is suspended, or awaits approval."""
    people = {"alice": alice, "bob": bob}
    for name in ("never", "digest", "stopped", "bounced", "unverified", "suspended", "waiting"):
        people[name] = make_user(
            name.title(), email=f"{name}@example.org", communities=("procurement",)
        )
    for name in ("never", "digest"):
        member = live(people[name])
        with atomic():
            set_deliveries(member, {"announcements": name})
    now = utcnow()
    change(people["stopped"], email_stopped_at=now)
    change(people["bounced"], email_bounced_at=now)
    change(people["suspended"], suspended_at=now)
    change(people["waiting"], awaiting_approval_since=now)
    change(people["unverified"], verified_at=None)  # (after joining: only the confirmed join)
    return people


def test_the_confirmation_counts_who_gets_it_and_who_chose_not_to(browser, admin, cast):
    made = announce(admin, audience="procurement")
    browser.login(admin.email)
    page = browser.get(f"/admin/announcements/{made.id}/email").get_data(as_text=True)
    counted = {
        key: int(value)
        for key, value in __import__("re").findall(r'data-count="(\w+)">([\d,]+)<', page)
    }
    # Procurement: alice, never, digest, stopped, bounced, unverified, suspended (waiting:
    # not a member yet).
    assert counted == {"by_email": 1, "in_digest": 1, "chose_not": 2, "cannot": 3}
    assert "Send it to 1 member<" in page
    assert announcement(made.id).email_requested_at is None  # the GET sends nothing


def test_the_form_checkbox_leads_to_the_confirmation(browser, admin, alice):
    from tests.announcements.test_admin import NEW, form

    browser.login(admin.email)
    answer = browser.submit(NEW, {**form(), "send_email": "y"})
    fresh()
    made = db.session.scalar(select(Announcement))
    assert answer.headers["Location"] == f"/admin/announcements/{made.id}/email"
    assert made.email_requested_at is None  # not until confirmed
    sent = browser.submit(answer.headers["Location"], {})
    assert sent.status_code == 302
    assert announcement(made.id).email_requested_at is not None
    assert announcement(made.id).email_total == 2  # alice and the admin


def test_the_email_is_asked_for_once_only(browser, admin, alice):
    made = announce(admin)
    browser.login(admin.email)
    path = f"/admin/announcements/{made.id}/email"
    token_page = browser.get(path).get_data(as_text=True)
    assert browser.submit(path, {}).status_code == 302
    import re

    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', token_page).group(1)
    again = browser.client.post(path, data={"csrf_token": token})
    assert again.status_code == 400
    assert "an announcement goes out once" in again.get_data(as_text=True)
    fresh()
    from community.moderation.models import AuditLog

    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.action == "announcement.email")
        )
        == 1
    )


def test_nobody_to_send_to_is_refused(browser, admin, communities):
    made = announce(admin, audience="finance")
    browser.login(admin.email)
    path = f"/admin/announcements/{made.id}/email"
    page = browser.get(path).get_data(as_text=True)
    assert "Nobody would get it by email now." in page
    assert f'action="{path}"' not in page
    answer = browser.client.post(path, data={"csrf_token": csrf(browser.client, "/")})
    assert answer.status_code == 400
    assert "Nobody would get this email" in answer.get_data(as_text=True)
    assert announcement(made.id).email_requested_at is None


def test_the_job_mails_the_audience_honouring_every_choice(admin, cast, outbox):
    made = announce(admin, audience="procurement", title="Tender rules")
    ask_email(admin, made.id)
    run_job()
    assert recipients(outbox) == ["alice@example.org"]
    done = announcement(made.id)
    assert (done.email_queued, done.email_total) == (1, 1)
    assert done.email_finished_at is not None


def test_everyone_means_every_member_who_may_get_mail(admin, cast, outbox):
    made = announce(admin, audience="everyone")
    ask_email(admin, made.id)
    run_job()
    assert recipients(outbox) == ["ada@example.org", "alice@example.org", "bob@example.org"]


def test_the_message_is_multipart_with_absolute_links_and_one_click_unsubscribe(
    app, client, admin, alice, outbox
):
    body = "See [the plan](/resources) and **this**.\n\n- one\n- two\n\n![map](/media/x.png)"
    made = announce(admin, audience="procurement", title="Tender rules", body=body)
    ask_email(admin, made.id)
    run_job()
    [message] = announcement_mails(outbox, "alice@example.org")
    assert message["Subject"] == "Tender rules"
    assert message["List-Id"] == "Commons announcements <announcements.localhost>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.get_content_type() == "multipart/alternative"
    text = outbox.text(message).replace("\r\n", "\n")
    html = message.get_body(("html",)).get_content()
    assert "See the plan <http://localhost/resources> and this." in text
    assert "- one\n- two" in text
    assert "for the members of Procurement" in text
    assert 'href="http://localhost/resources"' in html
    assert "<img" not in html  # nothing loaded from outside the message
    assert "<strong>this</strong>" in html
    assert 'href="/' not in html
    unsubscribe = message["List-Unsubscribe"].strip("<>")
    assert unsubscribe.startswith("http://localhost/unsubscribe/")
    assert unsubscribe in text
    # One click: GET says what stops, POST (no CSRF token, no sign-in) stops it.
    path = urlsplit(unsubscribe).path
    page = client.get(path).get_data(as_text=True)
    assert "announcement emails from the site&#39;s admins" in page
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert delivery(live(alice), "announcements") == "never"
    assert delivery(live(alice), "mentions") == "immediately"
    # The next announcement does not go to her.
    second = announce(admin, audience="everyone", title="Second")
    ask_email(admin, second.id)
    run_job()
    assert [m["Subject"] for m in announcement_mails(outbox, "alice@example.org")] == [
        "Tender rules"
    ]


def test_batches_queue_the_rest_and_a_rerun_sends_nobody_twice(admin, communities, outbox):
    for n in range(5):
        make_user(f"Member {n}", email=f"m{n}@example.org")
    made = announce(admin)
    ask_email(admin, made.id)
    assert announcement(made.id).email_total == 6
    run_job(batches=1, size=2)
    progress = announcement(made.id)
    assert (progress.email_queued, progress.email_total) == (2, 6)
    assert progress.email_finished_at is None
    run_job(batches=1, size=2)
    assert announcement(made.id).email_queued == 4
    run_job(batches=5, size=2)
    assert announcement(made.id).email_finished_at is not None
    run_job()  # a rerun: finished, nothing more
    run_job()
    assert queued_count() == 6
    assert len(recipients(outbox)) == len(set(recipients(outbox))) == 6


def test_a_second_run_finds_the_copies_already_claimed(admin, communities, outbox, monkeypatch):
    """As if a second jobs process rendered the same batch while the first stored it: the
    copies the first claimed are skipped, and their mail is not queued again."""
    for n in range(3):
        make_user(f"Member {n}", email=f"m{n}@example.org")
    made = announce(admin)
    ask_email(admin, made.id)
    real_render = mailing._render

    def render_and_race(announcement, people):
        rendered = real_render(announcement, people)
        if not getattr(render_and_race, "raced", False):
            render_and_race.raced = True
            db.session.rollback()
            mailing.queue_batch(made.id)  # the other process, all the way through
        return rendered

    monkeypatch.setattr(mailing, "_render", render_and_race)
    run_job()
    assert queued_count() == 4
    assert len(recipients(outbox)) == 4


def test_two_runs_at_once_send_each_member_one_copy(app, admin, communities, outbox):
    for n in range(6):
        make_user(f"Member {n}", email=f"m{n}@example.org")
    made = announce(admin)
    ask_email(admin, made.id)
    fresh()
    errors = run_concurrently(app, lambda _: mailing.send_announcement_mail(size=3), [1, 2])
    assert errors == []
    fresh()
    assert queued_count() == 7
    assert db.session.scalar(select(func.count()).select_from(AnnouncementMail)) == 7
    assert len(set(recipients(outbox))) == 7
    assert announcement(made.id).email_finished_at is not None


def test_a_withdrawn_announcement_stops_queueing(admin, communities, outbox):
    from community.announcements import actions

    for n in range(3):
        make_user(f"Member {n}", email=f"m{n}@example.org")
    made = announce(admin)
    ask_email(admin, made.id)
    run_job(batches=1, size=2)
    with atomic():
        actions.withdraw_announcement(live(admin), made.id)
    run_job()
    assert queued_count() == 2
    assert announcement(made.id).email_finished_at is None


def test_the_progress_figure_on_the_admins_pages(browser, admin, communities, outbox):
    for n in range(3):
        make_user(f"Member {n}", email=f"m{n}@example.org")
    made = announce(admin, title="Progress")
    browser.login(admin.email)
    listing = "/admin/announcements"
    assert "Progress Everyone Showing until" in text_of(browser.get(listing).get_data(as_text=True))
    ask_email(admin, made.id)
    run_job(batches=1, size=2)
    page = text_of(browser.get(listing).get_data(as_text=True))
    assert "Queueing: 2 of 4 queued, 0 sent" in page
    outbox.deliver()
    page = text_of(browser.get(f"/admin/announcements/{made.id}").get_data(as_text=True))
    assert "Queueing: 2 of 4 queued, 2 sent" in page
    run_job()
    outbox.deliver()
    page = text_of(browser.get(listing).get_data(as_text=True))
    assert "Sent: 4 queued, 4 sent" in page


def test_the_job_is_registered(app):
    from community.jobs import registered_jobs

    [job] = [j for j in registered_jobs(app) if j.name == "announcement mail"]
    assert job.every == timedelta(seconds=15)
    assert job.run is mailing.send_announcement_mail


# --- "in my digest only" ----------------------------------------------------------------------


def digest_text(outbox, address: str) -> str:
    [message] = [m for m in outbox.to(address) if "digest" in m["Subject"]]
    return outbox.text(message)


def test_in_my_digest_only_puts_it_in_the_next_digest(admin, cast, outbox):
    made = announce(admin, audience="procurement", title="Tender rules",
                    body="New **rules** from April.")  # fmt: skip
    ask_email(admin, made.id)
    run_job()
    assert announcement_mails(outbox, "digest@example.org") == []  # no email of its own
    build.send_digests(whatever_the_hour=True)
    fresh()
    text = digest_text(outbox, "digest@example.org")
    assert "From the site's admins" in text
    assert "Tender rules" in text
    assert "New rules from April." in text
    # alice had it by email: her digest (if any) does not repeat it.
    alice_digests = [m for m in outbox.to("alice@example.org") if "digest" in m["Subject"]]
    assert all("Tender rules" not in outbox.text(m) for m in alice_digests)


def test_a_digest_lists_only_announcements_since_the_previous_one(admin, cast, outbox):
    made = announce(admin, audience="everyone", title="Old news")
    ask_email(admin, made.id)
    build.send_digests(whatever_the_hour=True, now=utcnow() + timedelta(minutes=1))
    fresh()
    assert "Old news" in digest_text(outbox, "digest@example.org")
    later = utcnow() + timedelta(days=7)
    build.send_digests(whatever_the_hour=True, now=later)
    fresh()
    texts = [outbox.text(m) for m in outbox.to("digest@example.org") if "digest" in m["Subject"]]
    assert all("Old news" not in t for t in texts[1:])


def test_a_withdrawn_announcement_is_not_in_the_digest(admin, cast, outbox):
    from community.announcements import actions

    made = announce(admin, audience="procurement", title="Withdrawn news")
    ask_email(admin, made.id)
    with atomic():
        actions.withdraw_announcement(live(admin), made.id)
    build.send_digests(whatever_the_hour=True)
    fresh()
    for message in outbox.to("digest@example.org"):
        assert "Withdrawn news" not in outbox.text(message)
