"""Who an announcement reaches: its audience (every member, or one community's), and of
them who gets its email now, who in their digest, and who chose not to or cannot get mail.

"In my digest only" for announcements means: no email of its own; the next digest lists the
announcements emailed since the member's previous one (community/announcements/digest.py).
"""

from dataclasses import dataclass

from sqlalchemy import and_, case, exists, func, literal, or_, select

from ..accounts.models import User
from ..communities.models import Membership
from ..digests.choices import CATEGORIES, IMMEDIATELY, IN_DIGEST, NEVER, may_receive_mail_sql
from ..digests.models import EmailChoice
from ..extensions import db
from .models import Announcement, AnnouncementMail

CATEGORY = "announcements"


def in_audience(community_id: int | None):
    """A WHERE clause over User: the members an announcement for `community_id` (None:
    everyone) is for. Registered members only (not those waiting for an admin's approval)."""
    approved = User.awaiting_approval_since.is_(None)
    if community_id is None:
        return approved
    member = exists().where(Membership.user_id == User.id, Membership.community_id == community_id)
    return and_(approved, member)


def delivery_sql():
    """The member's delivery for announcements (their choice, else the default), in SQL."""
    chosen = (
        select(EmailChoice.delivery)
        .where(EmailChoice.user_id == User.id, EmailChoice.category == CATEGORY)
        .scalar_subquery()
    )
    return func.coalesce(chosen, literal(CATEGORIES[CATEGORY].default))


def wants_email_now_sql():
    return and_(may_receive_mail_sql(), delivery_sql() == IMMEDIATELY)


def wants_it_in_digest_sql():
    return and_(may_receive_mail_sql(), delivery_sql() == IN_DIGEST, User.digest_frequency != "off")


def still_to_mail(announcement: Announcement):
    """The email's recipients without a copy yet, by id (the job's batches take them)."""
    has_copy = exists().where(
        AnnouncementMail.announcement_id == announcement.id, AnnouncementMail.user_id == User.id
    )
    return (
        select(User)
        .where(in_audience(announcement.community_id), wants_email_now_sql(), ~has_copy)
        .order_by(User.id)
    )


@dataclass(frozen=True)
class Counts:
    """An announcement's audience, as the confirmation before its email counts it."""

    by_email: int = 0  # get it by email now
    in_digest: int = 0  # chose "in my digest only": their next digest lists it
    chose_not: int = 0  # announcements set to never, all email stopped, or no digest
    cannot: int = 0  # address not confirmed or refusing mail, or suspended

    @property
    def audience(self) -> int:
        return self.by_email + self.in_digest + self.chose_not + self.cannot


def counts(announcement: Announcement) -> Counts:
    """How the audience splits, in one query."""
    delivery = delivery_sql()
    reachable = and_(
        User.verified_at.is_not(None), User.email_bounced_at.is_(None), ~User.is_suspended
    )
    group = case(
        (~reachable, literal("cannot")),
        (
            or_(
                User.email_stopped_at.is_not(None),
                delivery == NEVER,
                and_(delivery == IN_DIGEST, User.digest_frequency == "off"),
            ),
            literal("chose_not"),
        ),
        (delivery == IN_DIGEST, literal("in_digest")),
        else_=literal("by_email"),
    ).label("grp")
    rows = db.session.execute(
        select(group, func.count())
        .select_from(User)
        .where(in_audience(announcement.community_id))
        .group_by(group)
    ).all()
    return Counts(**dict(rows))
