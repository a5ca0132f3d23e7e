"""Notifications by email "immediately": held two minutes, a burst in one email, nothing
for what was read meanwhile, the digest or nothing for those who chose so."""

from datetime import timedelta

from sqlalchemy import select

from community.accounts.models import User
from community.db import atomic, utcnow
from community.digests import immediate
from community.digests.choices import set_deliveries
from community.extensions import db
from community.notifications.models import Notification
from tests.communities.helpers import fresh
from tests.threads.helpers import reply, start


def mention(author: User, thread_id: int, who: str = "@**Alice Member**") -> int:
    return reply(author, thread_id, f"{who} what do you think?")


def run(after: timedelta = immediate.HOLD) -> int:
    fresh()
    return immediate.mail_pending_notifications(utcnow() + after)


def states(user: User) -> list[str]:
    fresh()
    return list(
        db.session.scalars(
            select(Notification.email_state)
            .where(Notification.user_id == user.id)
            .order_by(Notification.id)
        )
    )


def notice_mails(outbox, address: str) -> list:
    """The notification emails (not the account mail registration sent)."""
    return [m for m in outbox.to(address) if "notifications." in (m["List-Id"] or "")]


def test_a_mention_is_mailed_after_the_hold_not_before(mod, alice, outbox):
    thread_id = start(mod, "procurement", title="Tender scoring")
    mention(mod, thread_id)
    assert run(after=timedelta(seconds=30)) == 0
    assert states(alice) == ["pending"]
    assert run() == 1
    [mail] = notice_mails(outbox, "alice@example.org")
    assert mail["Subject"] == "Mona Moderator mentioned you in Tender scoring"
    assert "/p/" in outbox.text(mail)
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert states(alice) == ["sent"]
    assert run() == 0


def test_a_burst_becomes_one_email(mod, alice, outbox):
    thread_id = start(mod, "procurement", title="Burst")
    for _ in range(3):
        mention(mod, thread_id)
    assert run() == 1
    [mail] = notice_mails(outbox, "alice@example.org")
    assert mail["Subject"] == "3 new notifications on Commons"


def test_what_was_read_on_the_site_meanwhile_is_not_mailed(mod, alice, outbox):
    thread_id = start(mod, "procurement", title="Read already")
    mention(mod, thread_id)
    with atomic():
        for note in db.session.scalars(
            select(Notification).where(Notification.user_id == alice.id)
        ):
            note.read_at = utcnow()
    assert run() == 0
    assert notice_mails(outbox, "alice@example.org") == []
    assert states(alice) == ["skipped"]


def test_digest_and_never_choices_are_not_mailed(mod, alice, bob, outbox):
    with atomic():
        set_deliveries(db.session.get(User, alice.id), {"mentions": "digest"})
        set_deliveries(db.session.get(User, bob.id), {"mentions": "never"})
    thread_id = start(mod, "procurement", title="Choices")
    reply(mod, thread_id, "@**Alice Member** and @**Bob Member**, thoughts?")
    assert run() == 0
    assert notice_mails(outbox, "alice@example.org") == []
    assert notice_mails(outbox, "bob@example.org") == []
    assert states(alice) == ["digest"]
    assert states(bob) == ["skipped"]


def test_a_member_who_stopped_all_email_gets_none(mod, alice, outbox):
    with atomic():
        db.session.get(User, alice.id).email_stopped_at = utcnow()
    thread_id = start(mod, "procurement", title="Stopped")
    mention(mod, thread_id)
    assert run() == 0
    assert states(alice) == ["skipped"]
