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
from sqlalchemy import func, insert, select, update

from ..accounts.models import User
from ..announcements import digest as announcement_digest
from ..communities.models import Community, Membership
from ..db import atomic, insert_for_session, utcnow
from ..extensions import db
from ..links import absolute_path, absolute_url
from ..mail import OutboundMail, render_mail
from ..notifications.actions import still_visible
from ..notifications.models import Notification
from ..sitesettings import site_name
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


@dataclass
class Composed:
    """A member's digest, ready to store: `mail` is the rendered message's columns, None
    when there is nothing new."""

    user_id: int
    period: str
    since: datetime
    digest: content.Digest
    mail: dict | None


def _send_chunk(ids, now, shared, summary, whatever_the_hour, dry_run) -> None:
    """One chunk of members: composed and rendered with plain reads (no write lock held
    meanwhile; one member's failure there loses only their digest), then stored in one
    transaction."""
    composed = _build_chunk(ids, now, shared, summary, whatever_the_hour)
    db.session.rollback()  # end the reads: the write transaction starts fresh
    if dry_run:
        for member in composed:
            summary.queued += 1 if member.mail else 0
            summary.empty += 0 if member.mail else 1
        return
    try:
        with atomic():
            outcomes = store(composed, now)
    except Exception:  # nothing of the chunk was stored: the next run builds it again
        log.exception("digests of members %s to %s failed", ids[0], ids[-1])
        summary.failed += len(composed)
        return
    for outcome in outcomes:
        setattr(summary, outcome, getattr(summary, outcome) + 1)


def _build_chunk(ids, now, shared, summary, whatever_the_hour) -> list[Composed]:
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
    announced = announcement_digest.for_members(ids, shared.announcements())
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
            try:
                digest = compose(
                    user, communities.get(user.id, []), notes.get(user.id, []), since, shared,
                    announced.get(user.id, ()),
                )  # fmt: skip
                composed.append(Composed(user.id, key, since, digest, render(user, digest)))
            except Exception:
                log.exception("digest for member %s failed", user.id)
                summary.failed += 1
    return composed


def render(user: User, digest: content.Digest) -> dict | None:
    """The digest's message, rendered; None when there is nothing new."""
    if not digest.total:
        return None
    return render_mail(user.email, subject(user, digest), "digest", **mail_context(user, digest),
                       headers=list_headers(user, "digest", "digest"))  # fmt: skip


def store(composed: list[Composed], now: datetime) -> list[str]:
    """In the caller's transaction: claim each member's period, queue the mails of those
    claimed. Per member "queued", "empty" or "already" (another builder claimed the period
    first: its insert does nothing, and nothing is queued). A few statements per chunk."""
    if not composed:
        return []
    claim = (
        insert_for_session(Digest)
        .values([
            dict(user_id=c.user_id, period=c.period, covers_from=c.since, covers_until=now,
                 items=c.digest.total, created_at=utcnow())
            for c in composed
        ])
        .on_conflict_do_nothing(index_elements=["user_id", "period"])
        .returning(Digest.user_id, Digest.id)
    )  # fmt: skip
    claimed = dict(db.session.execute(claim).all())
    mailed = [c for c in composed if c.user_id in claimed and c.mail]
    if mailed:
        mail_ids = db.session.scalars(
            insert(OutboundMail).returning(OutboundMail.id, sort_by_parameter_order=True),
            [c.mail for c in mailed],
        ).all()
        db.session.execute(
            update(Digest),
            [
                {"id": claimed[c.user_id], "mail_id": m}
                for c, m in zip(mailed, mail_ids, strict=True)
            ],
        )
        _mark_included(mailed, now)
    return [
        "already" if c.user_id not in claimed else "queued" if c.mail else "empty" for c in composed
    ]


def _mark_included(mailed: list[Composed], now: datetime) -> None:
    """The notifications a digest shows are mailed: the immediate job leaves them alone."""
    ids = [i for c in mailed for i in c.digest.included_notification_ids]
    if ids:
        db.session.execute(
            update(Notification)
            .where(Notification.id.in_(ids), Notification.email_state == "digest")
            .values(email_state="sent", emailed_at=now)
            .execution_options(synchronize_session=False)
        )


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


def compose(
    user, communities, notes, since, shared: content.Shared, announced=()
) -> content.Digest:
    """The member's digest, from the shared parts of their communities (and `announced`, the
    recent announcements they get in it)."""
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
        network_events=content.event_section("Coming up", network, user.timezone, events_url),
        included_notification_ids=[n.id for n in notes[: content.FOR_YOU_CAP]],
        announcements=content.Section(
            "From the site's admins", announcement_digest.since(announced, since)
        ),
    )


def subject(user: User, digest: content.Digest) -> str:
    kind = "daily" if user.digest_frequency == "daily" else "weekly"
    names = ", ".join(p.name for p in digest.communities[:3])
    return f"Your {kind} {site_name()} digest" + (f": {names}" if names else "")


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
    shared = content.Shared(now)
    digest = compose(
        user, _communities_of([user.id]).get(user.id, []),
        _held_notifications([user.id]).get(user.id, []), since, shared,
        announcement_digest.for_members([user.id], shared.announcements()).get(user.id, ()),
    )  # fmt: skip
    context = mail_context(user, digest)
    return (
        subject(user, digest),
        render_template("mail/digest.txt", **context),
        render_template("mail/digest.html", **context),
    )
