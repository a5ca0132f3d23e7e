"""Notifications by email as they happen ("immediately"), held two minutes.

A notification is recorded with email state "pending". Once a member's oldest pending
notification is HOLD old, everything pending for them is settled at once: what they chose
to get immediately, still unread and still visible, goes in one email (a burst of replies
becomes one message); what they want in the digest waits there (state "digest"); the rest
is "skipped" (read on the site meanwhile, a category set to never, a member who may not
receive mail). Settling and queueing the email happen in one transaction per member, so a
notification is mailed once, whichever runner got there first.
"""

from datetime import timedelta

from sqlalchemy import select, update

from ..accounts.models import User
from ..db import atomic, utcnow
from ..extensions import db
from ..links import absolute_path
from ..mail import queue_mail
from ..notifications.actions import still_visible
from ..notifications.models import Notification
from ..notifications.targets import email_category
from ..sitesettings import site_name
from .choices import IMMEDIATELY, IN_DIGEST, deliveries_of, may_receive_mail
from .unsubscribe import describe, list_headers, unsubscribe_url

HOLD = timedelta(minutes=2)
MEMBERS_PER_RUN = 200
ITEMS_PER_EMAIL = 20  # the rest are counted ("and 3 more") and linked


def mail_pending_notifications(now=None) -> int:
    """The job: settle the pending notifications of members whose oldest is HOLD old; how
    many emails were queued."""
    now = now or utcnow()
    user_ids = list(
        db.session.scalars(
            select(Notification.user_id)
            .where(Notification.email_state == "pending", Notification.created_at <= now - HOLD)
            .group_by(Notification.user_id)
            .order_by(Notification.user_id)
            .limit(MEMBERS_PER_RUN)
        )
    )
    db.session.rollback()
    return sum(_settle(user_id, now) for user_id in user_ids)


def _settle(user_id: int, now) -> bool:
    with atomic():
        user = db.session.get(User, user_id)
        pending = _pending(user_id)
        if user is None or not pending:
            return False
        visible = set(
            db.session.scalars(
                select(Notification.id).where(
                    Notification.id.in_([n.id for n in pending]), still_visible()
                )
            )
        )
        deliveries = deliveries_of(user)
        allowed = may_receive_mail(user)
        states, to_mail = {}, []
        for note in pending:
            category = email_category(note.kind)
            choice = deliveries.get(category) if category and allowed else None
            if note.id not in visible or choice is None:
                states[note.id] = "skipped"
            elif choice == IN_DIGEST:
                states[note.id] = "digest"
            elif choice == IMMEDIATELY and note.read_at is None:
                states[note.id] = "sent"
                to_mail.append(note)
            else:
                states[note.id] = "skipped"
        _record(states, now)
        if to_mail:
            _queue(user, to_mail)
        return bool(to_mail)


def _pending(user_id: int) -> list[Notification]:
    stmt = (
        select(Notification)
        .where(Notification.user_id == user_id, Notification.email_state == "pending")
        .order_by(Notification.id)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True, of=Notification)
    return list(db.session.scalars(stmt))


def _record(states: dict[int, str], now) -> None:
    for state in set(states.values()):
        ids = [nid for nid, s in states.items() if s == state]
        db.session.execute(
            update(Notification)
            .where(Notification.id.in_(ids), Notification.email_state == "pending")
            .values(email_state=state, emailed_at=now if state == "sent" else None)
            .execution_options(synchronize_session=False)
        )


def item(note: Notification) -> dict:
    """What a mail shows of a notification: who, what, about what, and where to open it."""
    return {
        "actor": note.actor_name(site_name()),
        "phrase": note.phrase,
        "subject": note.shown_subject,
        "excerpt": note.excerpt,
        "url": absolute_path(note.url or "/notifications"),
    }


def _queue(user: User, notes: list[Notification]) -> None:
    items = [item(n) for n in notes[:ITEMS_PER_EMAIL]]
    categories = {email_category(n.kind) for n in notes}
    scope = f"kind:{categories.pop()}" if len(categories) == 1 else "all"
    if len(notes) == 1:
        first = items[0]
        subject = f"{first['actor']} {first['phrase']} {first['subject']}"
    else:
        subject = f"{len(notes)} new notifications on {site_name()}"
    queue_mail(
        user.email, subject, "notifications",
        headers=list_headers(user, scope, "notifications"),
        user=user, items=items, more=len(notes) - len(items),
        unsubscribe_url=unsubscribe_url(user, scope), unsubscribe_what=describe(scope),
        notifications_url=absolute_path("/notifications"),
        settings_url=absolute_path("/settings#email-choices"),
    )  # fmt: skip
