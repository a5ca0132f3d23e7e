"""Building and queueing digests: once per member and period, never twice.

`send_digests` walks the members who take a digest, in chunks (a few queries per chunk,
not per member), and for each one whose period has no digest yet builds it and, in one
transaction, inserts its `Digest` row (unique on member and period: a second builder's
insert does nothing, and it queues nothing) and queues its mail. A crash before commit
leaves nothing; a rerun finishes the rest. An empty period gets its row and no mail.
"""

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import current_app, render_template
from sqlalchemy import func, select, update

from ..accounts.models import User
from ..communities.models import Community, Membership
from ..db import atomic, insert_for_session, utcnow
from ..extensions import db
from ..links import absolute_path, absolute_url
from ..mail import queue_mail
from ..notifications.actions import still_visible
from ..notifications.models import Notification
from . import content
from .choices import may_receive_mail
from .immediate import item as notification_item
from .models import Digest, DigestExclusion
from .periods import SPANS, delivery_reached, local_time, period_key
from .unsubscribe import describe, list_headers, unsubscribe_url

log = logging.getLogger(__name__)
CHUNK = 200


@dataclass
class Summary:
    queued: int = 0
    empty: int = 0
    unsubscribed: int = 0
    already: int = 0
    not_due: int = 0
    failed: int = 0

    def line(self) -> str:
        return (
            f"{self.queued} queued, {self.empty} skipped (nothing new), "
            f"{self.unsubscribed} skipped (unsubscribed or not receiving mail), "
            f"{self.already} already built, {self.not_due} not due yet, {self.failed} failed"
        )


def takers(frequency: str | None = None):
    """Members who take a digest (of `frequency`): confirmed, not suspended."""
    stmt = select(User.id).where(
        User.digest_frequency != "off", User.verified_at.is_not(None), ~User.is_suspended
    )
    if frequency:
        stmt = stmt.where(User.digest_frequency == frequency)
    return stmt


def send_digests(
    now: datetime | None = None,
    *,
    frequency: str | None = None,
    whatever_the_hour: bool = False,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> Summary:
    """Build and queue every due digest of the current period not built yet. The job runs it
    for whoever reached their chosen local hour; `flask digests send` whatever the hour."""
    now = now or utcnow()
    shared = content.Shared(now)
    summary = Summary()
    ids = list(db.session.scalars(takers(frequency).order_by(User.id)))
    db.session.rollback()
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        _send_chunk(chunk, now, shared, summary, whatever_the_hour, dry_run)
        if progress:
            progress(len(chunk))
    return summary


def send_due_digests() -> str:
    """The job: the digests whose delivery hour has come."""
    return send_digests().line()


@dataclass(frozen=True)
class CommunityRef:
    """A community as the batch needs it: plain values, unexpired by the batch's commits."""

    id: int
    name: str
    slug: str


def _send_chunk(ids, now, shared, summary, whatever_the_hour, dry_run) -> None:
    """One chunk of members: composed with plain reads (no write lock held meanwhile), then
    stored in one transaction, each member in a savepoint of it, so one member's failure
    loses only their digest."""
    composed = _build_chunk(ids, now, shared, summary, whatever_the_hour)
    db.session.rollback()  # end the reads: the write transaction starts fresh
    if dry_run:
        for *_, digest in composed:
            summary.queued += 1 if digest.total else 0
            summary.empty += 0 if digest.total else 1
        return
    with atomic():
        for user_id, key, since, digest in composed:
            _store(db.session.get(User, user_id), key, since, now, digest, summary)


def _build_chunk(ids, now, shared, summary, whatever_the_hour) -> list[tuple]:
    users = list(db.session.scalars(select(User).where(User.id.in_(ids)).order_by(User.id)))
    keys = {u.id: period_key(u.digest_frequency, local_time(u, now)) for u in users}
    built = set(
        db.session.execute(
            select(Digest.user_id, Digest.period).where(
                Digest.user_id.in_(ids), Digest.period.in_(set(keys.values()))
            )
        ).all()
    )
    last = dict(
        db.session.execute(
            select(Digest.user_id, func.max(Digest.covers_until))
            .where(Digest.user_id.in_(ids))
            .group_by(Digest.user_id)
        ).all()
    )
    communities = _communities_of(ids)
    notes = _held_notifications(ids)
    composed = []
    for user in users:
        key = keys[user.id]
        if not may_receive_mail(user):
            summary.unsubscribed += 1
        elif (user.id, key) in built:
            summary.already += 1
        elif not whatever_the_hour and not delivery_reached(user, local_time(user, now)):
            summary.not_due += 1
        else:
            since = last.get(user.id) or now - SPANS[user.digest_frequency]
            digest = compose(
                user, communities.get(user.id, []), notes.get(user.id, []), since, shared
            )
            composed.append((user.id, key, since, digest))
    return composed


def _store(user, key, since, now, digest, summary) -> None:
    try:
        with db.session.begin_nested():
            outcome = store(user, key, since, now, digest)
    except Exception:
        log.exception("digest for member %s failed", user.id)
        summary.failed += 1
        return
    setattr(summary, outcome, getattr(summary, outcome) + 1)


def store(user: User, key: str, since, now, digest: content.Digest) -> str:
    """In the caller's transaction: claim the period, queue the mail. "queued", "empty" or
    "already" (another builder claimed the period first)."""
    stmt = (
        insert_for_session(Digest)
        .values(
            user_id=user.id, period=key, covers_from=since, covers_until=now,
            items=digest.total, created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["user_id", "period"])
        .returning(Digest.id)
    )  # fmt: skip
    digest_id = db.session.execute(stmt).scalar()
    if digest_id is None:
        return "already"
    if not digest.total:
        return "empty"
    mail = queue_mail(user.email, subject(user, digest), "digest", **mail_context(user, digest),
                      headers=list_headers(user, "digest", "digest"))  # fmt: skip
    db.session.flush()
    db.session.execute(update(Digest).where(Digest.id == digest_id).values(mail_id=mail.id))
    if digest.included_notification_ids:
        db.session.execute(
            update(Notification)
            .where(
                Notification.id.in_(digest.included_notification_ids),
                Notification.email_state == "digest",
            )
            .values(email_state="sent", emailed_at=now)
            .execution_options(synchronize_session=False)
        )
    return "queued"


def _communities_of(ids) -> dict[int, list[CommunityRef]]:
    """The communities each member gets in their digest: those they joined, not archived,
    minus those they left out."""
    excluded = select(DigestExclusion.community_id).where(
        DigestExclusion.user_id == Membership.user_id,
        DigestExclusion.community_id == Membership.community_id,
    )
    rows = db.session.execute(
        select(Membership.user_id, Community.id, Community.name, Community.slug)
        .join(Community, Community.id == Membership.community_id)
        .where(Membership.user_id.in_(ids), Community.archived_at.is_(None), ~excluded.exists())
        .order_by(Community.position, Community.id)
    ).all()
    result: dict[int, list[CommunityRef]] = defaultdict(list)
    for user_id, *community in rows:
        result[user_id].append(CommunityRef(*community))
    return result


def _held_notifications(ids) -> dict[int, list[Notification]]:
    """Unread notifications waiting for the digest, still visible to their member."""
    rows = db.session.scalars(
        select(Notification)
        .where(
            Notification.user_id.in_(ids),
            Notification.email_state == "digest",
            Notification.read_at.is_(None),
            still_visible(),
        )
        .order_by(Notification.id.desc())
    )
    result: dict[int, list[Notification]] = defaultdict(list)
    for note in rows:
        result[note.user_id].append(note)
    return result


def compose(user, communities, notes, since, shared: content.Shared) -> content.Digest:
    """The member's digest, from the shared parts of their communities."""
    events_url = absolute_url("events.index")
    parts = []
    for community in communities:
        part = shared.community(community, since)
        coming = content.event_section(
            "Coming up", shared.events(community.id), user.timezone, events_url
        )
        sections = [s for s in [*part.sections, coming] if s.total]
        if sections:
            parts.append(content.CommunityPart(part.id, part.name, part.url, sections))
    network = shared.events(None)  # network-wide: everyone may see them
    return content.Digest(
        for_you=content.for_you(notes, notification_item),
        communities=parts,
        network_events=content.event_section(
            "Across the network", network, user.timezone, events_url
        ),
        included_notification_ids=[n.id for n in notes[: content.FOR_YOU_CAP]],
    )


def subject(user: User, digest: content.Digest) -> str:
    kind = "daily" if user.digest_frequency == "daily" else "weekly"
    names = ", ".join(p.name for p in digest.communities[:3])
    return f"Your {kind} Commons digest" + (f": {names}" if names else "")


def mail_context(user: User, digest: content.Digest) -> dict:
    return dict(
        user=user,
        digest=digest,
        kind="daily" if user.digest_frequency == "daily" else "weekly",
        leave_out={p.id: unsubscribe_url(user, f"digest:{p.id}") for p in digest.communities},
        unsubscribe_url=unsubscribe_url(user, "digest"),
        unsubscribe_what=describe("digest"),
        stop_all_url=unsubscribe_url(user, "all"),
        settings_url=absolute_path("/settings#email-choices"),
        site_url=current_app.config["SITE_URL"],
    )


def preview(user: User, now: datetime | None = None) -> tuple[str, str, str]:
    """What the member would get now (subject, text, HTML), building nothing."""
    now = now or utcnow()
    frequency = user.digest_frequency if user.digest_frequency != "off" else "weekly"
    since = (
        db.session.scalar(select(func.max(Digest.covers_until)).where(Digest.user_id == user.id))
        or now - SPANS[frequency]
    )
    digest = compose(
        user, _communities_of([user.id]).get(user.id, []),
        _held_notifications([user.id]).get(user.id, []), since, content.Shared(now),
    )  # fmt: skip
    context = mail_context(user, digest)
    return (
        subject(user, digest),
        render_template("mail/digest.txt", **context),
        render_template("mail/digest.html", **context),
    )
