"""The member's email choices, as the settings page saves them (one action, every rule)."""

from sqlalchemy import delete, select

from ..accounts.models import DIGEST_FREQUENCIES
from ..communities.models import Community, Membership
from ..errors import Invalid
from ..extensions import db
from .choices import CATEGORIES, resume_mail, set_deliveries
from .models import DELIVERIES, DigestExclusion


def joined_communities(user) -> list[tuple[Community, bool]]:
    """The member's communities, each with whether it is in their digest."""
    excluded = set(
        db.session.scalars(
            select(DigestExclusion.community_id).where(DigestExclusion.user_id == user.id)
        )
    )
    rows = db.session.scalars(
        select(Community)
        .join(Membership, Membership.community_id == Community.id)
        .where(Membership.user_id == user.id, Community.archived_at.is_(None))
        .order_by(Community.position, Community.id)
    )
    return [(c, c.id not in excluded) for c in rows]


def save_email_choices(
    user, *, deliveries: dict[str, str], frequency: str, day: int, hour: int,
    included_ids: set[int], resume: bool,
) -> None:  # fmt: skip
    """Store every choice of the settings form. The member themself."""
    for category, value in deliveries.items():
        if category not in CATEGORIES or value not in DELIVERIES:
            raise Invalid("Choose when to get this email.", field=f"delivery_{category}")
    if frequency not in DIGEST_FREQUENCIES:
        raise Invalid("Choose how often to get the digest.", field="digest_frequency")
    if not 0 <= day <= 6:
        raise Invalid("Choose a day of the week.", field="digest_day")
    if not 0 <= hour <= 23:
        raise Invalid("Choose an hour of the day.", field="digest_hour")
    set_deliveries(user, deliveries)
    user.digest_frequency, user.digest_day, user.digest_hour = frequency, day, hour
    joined = {c.id for c, _ in joined_communities(user)}
    db.session.execute(delete(DigestExclusion).where(DigestExclusion.user_id == user.id))
    for community_id in sorted(joined - included_ids):
        db.session.add(DigestExclusion(user_id=user.id, community_id=community_id))
    if resume:
        resume_mail(user)
