"""What the admins' pages read: the announcements, newest first, each with the state of its
banner and of its email (the progress figure: queued N of M, and how many were sent)."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from ..accounts.rules import require_admin
from ..db import utcnow
from ..extensions import db
from ..mail import OutboundMail
from ..pagination import Page, decode_cursor, page_of
from .models import Announcement, AnnouncementMail

PAGE_SIZE = 50


def banner_state(announcement: Announcement, now: datetime | None = None) -> str:
    """ "none", "scheduled", "showing", "ended" or "withdrawn"."""
    now = now or utcnow()
    if announcement.banner_from is None:
        return "none"
    if announcement.withdrawn_at is not None and announcement.banner_until > now:
        return "withdrawn"
    if now < announcement.banner_from:
        return "scheduled"
    if now < announcement.banner_until:
        return "showing"
    return "ended"


@dataclass(frozen=True)
class EmailProgress:
    state: str  # "not asked", "queueing", "stopped" (withdrawn while queueing) or "sent"
    queued: int = 0  # copies queued so far
    total: int = 0  # of how many (those queued and those still to go)
    sent: int = 0  # of those queued, how many the mail queue has sent

    @property
    def words(self) -> str:
        if self.state == "not asked":
            return "Not asked"
        sent = f"{self.sent:,} sent"
        if self.state == "queueing":
            return f"Queueing: {self.queued:,} of {self.total:,} queued, {sent}"
        if self.state == "stopped":
            return f"Stopped when withdrawn: {self.queued:,} of {self.total:,} queued, {sent}"
        return f"Sent: {self.queued:,} queued, {sent}"


def sent_counts(ids: list[int]) -> dict[int, int]:
    """Per announcement, the copies of its email that have left (one grouped query)."""
    if not ids:
        return {}
    rows = db.session.execute(
        select(AnnouncementMail.announcement_id, func.count())
        .join(OutboundMail, OutboundMail.id == AnnouncementMail.mail_id)
        .where(AnnouncementMail.announcement_id.in_(ids), OutboundMail.sent_at.is_not(None))
        .group_by(AnnouncementMail.announcement_id)
    )
    return dict(rows.all())


def email_progress(announcement: Announcement, sent: int) -> EmailProgress:
    if announcement.email_requested_at is None:
        return EmailProgress("not asked")
    if announcement.email_finished_at is not None:
        state = "sent"
    elif announcement.withdrawn_at is not None:
        state = "stopped"
    else:
        state = "queueing"
    return EmailProgress(state, announcement.email_queued, announcement.email_total, sent)


@dataclass(frozen=True)
class Listed:
    announcement: Announcement
    banner: str
    email: EmailProgress


def announcements_page(actor, after: str | None = None) -> Page:
    """The announcements, newest first, PAGE_SIZE at a time (keyset on the id). Admins only."""
    require_admin(actor)
    stmt = select(Announcement).order_by(Announcement.id.desc()).limit(PAGE_SIZE + 1)
    cursor = decode_cursor(after, (int,))
    if cursor:
        stmt = stmt.where(Announcement.id < cursor[0])
    rows = list(db.session.scalars(stmt))
    page = page_of(rows, PAGE_SIZE, lambda a: [a.id])
    sent = sent_counts([a.id for a in page.items])
    now = utcnow()
    page.items = [
        Listed(a, banner_state(a, now), email_progress(a, sent.get(a.id, 0))) for a in page.items
    ]
    return page


def listed(announcement: Announcement) -> Listed:
    sent = sent_counts([announcement.id]).get(announcement.id, 0)
    return Listed(announcement, banner_state(announcement), email_progress(announcement, sent))
