"""The announcement email: a registered job queues it in batches, never twice.

The job takes each announcement whose email was asked for and is not finished, and queues
its mail BATCH members at a time. A batch renders its messages with plain reads (no write
lock held meanwhile), then in one transaction inserts an `AnnouncementMail` row per member
(its key is the announcement and the member: a row another run inserted first is skipped,
and that member's mail is not queued again) and queues the mail of the rows it inserted. A
rerun, a second jobs process or a crash half-way therefore never sends anyone two copies,
and the next run finishes the rest. When nobody is left, the email is finished.
"""

import logging
import time
from dataclasses import dataclass

from sqlalchemy import func, insert, select, update

from ..db import atomic, insert_for_session, utcnow
from ..extensions import db
from ..links import absolute_path, absolute_url
from ..mail import OutboundMail, render_mail
from .mailbody import mail_html, mail_text
from .models import Announcement, AnnouncementMail
from .recipients import CATEGORY, still_to_mail

log = logging.getLogger(__name__)
BATCH = 200
BATCHES_PER_RUN = 10  # then the job gives the loop back (the mail queue's job runs next)
SCOPE = f"kind:{CATEGORY}"


@dataclass
class Outcome:
    queued: int = 0
    finished: bool = False


def sending_ids() -> list[int]:
    """Announcements whose email is asked for, not finished, not withdrawn."""
    return list(
        db.session.scalars(
            select(Announcement.id)
            .where(
                Announcement.email_requested_at.is_not(None),
                Announcement.email_finished_at.is_(None),
                Announcement.withdrawn_at.is_(None),
            )
            .order_by(Announcement.id)
        )
    )


def send_announcement_mail(batches: int = BATCHES_PER_RUN, size: int = BATCH) -> str:
    """The job: up to `batches` batches of `size` over the announcements being sent."""
    ids = sending_ids()
    db.session.rollback()
    queued = finished = done = 0
    for announcement_id in ids:
        while done < batches:
            outcome = queue_batch(announcement_id, size)
            done += 1
            queued += outcome.queued
            if outcome.finished:
                finished += 1
                break
            time.sleep(0)  # under gevent: let the pages and sockets in between batches
    return f"{queued} announcement emails queued, {finished} announcements finished"


def queue_batch(announcement_id: int, size: int = BATCH) -> Outcome:
    """One batch of the announcement's email: rendered, then claimed and queued at once."""
    announcement = db.session.get(Announcement, announcement_id)
    if announcement is None or not _sending(announcement):
        db.session.rollback()
        return Outcome(finished=True)
    recipients = list(db.session.scalars(still_to_mail(announcement).limit(size)))
    rendered = _render(announcement, recipients)
    db.session.rollback()  # end the reads: the write transaction starts fresh
    with atomic():
        announcement = db.session.get(Announcement, announcement_id)
        if announcement is None or not _sending(announcement):
            return Outcome(finished=True)  # withdrawn (or finished by another run) meanwhile
        queued = _store(announcement_id, rendered)
        finished = _count(announcement, nobody_left=not rendered)
        return Outcome(queued=queued, finished=finished)


def _sending(announcement: Announcement) -> bool:
    return (
        announcement.email_requested_at is not None
        and announcement.email_finished_at is None
        and announcement.withdrawn_at is None
    )


def _render(announcement: Announcement, recipients) -> list[tuple[int, dict | None]]:
    """Each recipient's message (the parts the same for all are made once); None for one
    that could not be made."""
    shared = dict(
        title=announcement.title,
        body_html=mail_html(announcement.body_html),
        body_text=mail_text(announcement.body_html),
        community=announcement.community.name if announcement.community else None,
        community_url=absolute_url("communities.show", slug=announcement.community.slug)
        if announcement.community
        else None,
        settings_url=absolute_path("/settings#email-choices"),
    )
    from ..digests.unsubscribe import describe, list_headers, unsubscribe_url

    what = describe(SCOPE)
    rendered = []
    for user in recipients:
        try:
            mail = render_mail(
                user.email, announcement.title, "announcement",
                headers=list_headers(user, SCOPE, "announcements"),
                user=user, unsubscribe_url=unsubscribe_url(user, SCOPE), unsubscribe_what=what,
                stop_all_url=unsubscribe_url(user, "all"), **shared,
            )  # fmt: skip
        except Exception:  # their copy is claimed unsent: one bad address never stalls the rest
            log.exception("announcement %s: the mail to member %s failed", announcement.id, user.id)
            mail = None
        rendered.append((user.id, mail))
    return rendered


def _store(announcement_id: int, rendered: list[tuple[int, dict | None]]) -> int:
    """In the caller's transaction: claim each member's copy; queue the mail of the copies
    claimed (a copy claimed before, by this run or another, is left alone)."""
    if not rendered:
        return 0
    now = utcnow()
    claim = (
        insert_for_session(AnnouncementMail)
        .values([
            dict(announcement_id=announcement_id, user_id=user_id, created_at=now)
            for user_id, _ in rendered
        ])
        .on_conflict_do_nothing(index_elements=["announcement_id", "user_id"])
        .returning(AnnouncementMail.user_id)
    )  # fmt: skip
    claimed = set(db.session.scalars(claim))
    mine = [(user_id, mail) for user_id, mail in rendered if user_id in claimed and mail]
    if not mine:
        return 0
    mail_ids = db.session.scalars(
        insert(OutboundMail).returning(OutboundMail.id, sort_by_parameter_order=True),
        [mail for _, mail in mine],
    ).all()
    db.session.execute(
        update(AnnouncementMail),
        [
            {"announcement_id": announcement_id, "user_id": user_id, "mail_id": mail_id}
            for (user_id, _), mail_id in zip(mine, mail_ids, strict=True)
        ],
    )
    return len(mine)


def _count(announcement: Announcement, *, nobody_left: bool) -> bool:
    """The progress figures (copies queued, of those queued plus those still to go), and
    the end of the email when nobody is left: whether it is finished."""
    queued = db.session.scalar(
        select(func.count())
        .select_from(AnnouncementMail)
        .where(AnnouncementMail.announcement_id == announcement.id)
    )
    left = 0
    if not nobody_left:
        left = db.session.scalar(
            select(func.count()).select_from(still_to_mail(announcement).subquery())
        )
    announcement.email_queued = queued
    announcement.email_total = queued + left
    if not left:
        announcement.email_finished_at = utcnow()
    return not left
