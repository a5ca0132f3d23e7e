"""Bounces: the mail queue tells us of each delivery; a member's address refused for good
(5xx) BOUNCE_LIMIT times in a row is marked, and optional mail stops going to it."""

from sqlalchemy import select, update

from ..db import atomic, utcnow
from ..extensions import db
from .models import BOUNCE_LIMIT, User
from .rules import normalise_email


def record_delivery(addresses: list[str], refused: bool) -> None:
    """After sends, reset the count of the addresses that had one; after a permanent
    refusal, count it, and mark the address once the count reaches BOUNCE_LIMIT."""
    lowered = {normalise_email(address) for address in addresses}  # as stored
    with atomic():
        if not refused:
            db.session.execute(
                update(User)
                .where(User.email.in_(lowered), User.bounce_count > 0)
                .values(bounce_count=0)
                .execution_options(synchronize_session=False)
            )
            return
        users = db.session.scalars(select(User).where(User.email.in_(lowered)))
        for user in users:
            user.bounce_count = (user.bounce_count or 0) + 1
            if user.bounce_count >= BOUNCE_LIMIT and user.email_bounced_at is None:
                user.email_bounced_at = utcnow()


def clear_bounces(user: User) -> None:
    """The address is right (or new): count from nothing, send optional mail again."""
    user.bounce_count = 0
    user.email_bounced_at = None


def connect(app) -> None:
    """Subscribe to the mail queue's delivery outcomes."""
    from .. import mail

    mail.on_delivery(record_delivery)
