"""Bounces: the mail queue tells us of each delivery; a member's address refused for good
(5xx) BOUNCE_LIMIT times in a row is marked, and optional mail stops going to it."""

from sqlalchemy import func, select

from ..db import atomic, utcnow
from ..extensions import db
from .models import BOUNCE_LIMIT, User


def record_delivery(to_addr: str, refused: bool) -> None:
    """Count a permanent refusal, or reset the count after a successful send."""
    address = to_addr.strip().lower()
    with atomic():
        user = db.session.scalar(select(User).where(func.lower(User.email) == address))
        if user is None:
            return
        if not refused:
            if user.bounce_count:
                user.bounce_count = 0
            return
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
