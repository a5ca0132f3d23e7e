"""What each member gets by email: one rule, used by every part that sends mail.

Notifications fall into a few categories a member chooses for (mentions, replies, resource
decisions, events); each notification kind names its category where its wording is
registered (`notifications.targets.register_wording(kind, phrase, email=category)`). For each
category a member has email immediately, in the digest only, or never; no stored choice
means the category's default. Account mail (confirmations, password resets) ignores all of
this: it is never optional.
"""

from dataclasses import dataclass

from sqlalchemy import and_, exists, or_, select

from ..db import utcnow
from ..errors import Invalid
from ..extensions import db
from ..sitesettings import site_name
from .models import DELIVERIES, IMMEDIATELY, IN_DIGEST, NEVER, EmailChoice


@dataclass(frozen=True)
class Category:
    name: str
    label: str
    hint: str
    default: str


CATEGORIES = {
    c.name: c
    for c in (
        Category(
            "mentions", "When someone mentions me", "In threads and in the chat.", IMMEDIATELY
        ),
        Category(
            "replies",
            "Replies and new threads I watch",
            "Threads you started, replied to or watch, and communities you watch.",
            IN_DIGEST,
        ),
        Category(
            "resources",
            "Resources",
            "Decisions on resources you shared, and resources waiting for your review.",
            IMMEDIATELY,
        ),
        Category(
            "events",
            "Events I answered",
            "Reminders a day before, changes of time or place, cancellations, a place freed.",
            IMMEDIATELY,
        ),
        Category(
            "moderation",
            "Moderators' decisions about me",
            "Your post approved, declined, hidden or edited; a warning; a suspension from a "
            "community; what became of what you flagged.",
            IMMEDIATELY,
        ),
        Category(
            "announcements",
            "Announcements from the site's admins",
            "Now and then, news for the whole network or one of your communities. In the "
            "digest only: they wait for your next digest.",
            IMMEDIATELY,
        ),
    )
}
DELIVERY_LABELS = {
    IMMEDIATELY: "Immediately",
    IN_DIGEST: "In my digest only",
    NEVER: "Never",
}


def may_receive_mail(user) -> bool:
    """Optional mail may go to this member at all: a confirmed address that is not bouncing,
    a member not suspended, and not "stop all email"."""
    return (
        user.verified_at is not None
        and user.email_bounced_at is None
        and user.email_stopped_at is None
        and not user.is_suspended
    )


def may_receive_mail_sql():
    """may_receive_mail as a WHERE clause over User."""
    from ..accounts.models import User  # (at call time: accounts' pages import this module)

    return and_(
        User.verified_at.is_not(None),
        User.email_bounced_at.is_(None),
        User.email_stopped_at.is_(None),
        ~User.is_suspended,
    )


def deliveries_of(user) -> dict[str, str]:
    """The member's delivery for every category (their choice, or the default)."""
    stored = dict(
        db.session.execute(
            select(EmailChoice.category, EmailChoice.delivery).where(EmailChoice.user_id == user.id)
        ).all()
    )
    return {name: stored.get(name, c.default) for name, c in CATEGORIES.items()}


def deliveries_for(user_ids) -> dict[int, dict[str, str]]:
    """deliveries_of for many members in one query."""
    result = {uid: {n: c.default for n, c in CATEGORIES.items()} for uid in user_ids}
    if not result:
        return result
    rows = db.session.execute(
        select(EmailChoice.user_id, EmailChoice.category, EmailChoice.delivery).where(
            EmailChoice.user_id.in_(sorted(result))
        )
    )
    for user_id, category, delivery in rows:
        if category in CATEGORIES:
            result[user_id][category] = delivery
    return result


def delivery(user, category: str) -> str:
    return deliveries_of(user)[category]


def wants_mail_now(user, category: str) -> bool:
    """Mail about this category goes to the member as it happens."""
    return may_receive_mail(user) and delivery(user, category) == IMMEDIATELY


def wants_mail_now_sql(category: str):
    """wants_mail_now as a WHERE clause over User (e.g. the reminders job's query)."""
    from ..accounts.models import User

    chosen = select(EmailChoice.delivery).where(
        EmailChoice.user_id == User.id, EmailChoice.category == category
    )
    stored = exists(chosen)
    if CATEGORIES[category].default == IMMEDIATELY:
        wanted = or_(~stored, exists(chosen.where(EmailChoice.delivery == IMMEDIATELY)))
    else:
        wanted = exists(chosen.where(EmailChoice.delivery == IMMEDIATELY))
    return and_(may_receive_mail_sql(), wanted)


def set_deliveries(user, choices: dict[str, str]) -> None:
    """Store the member's choices (only the categories given). Their own."""
    for category, value in choices.items():
        if category not in CATEGORIES or value not in DELIVERIES:
            raise ValueError(f"no email choice {category}={value}")
        row = db.session.get(EmailChoice, (user.id, category))
        if row is None:
            db.session.add(EmailChoice(user_id=user.id, category=category, delivery=value))
        else:
            row.delivery = value


@dataclass(frozen=True)
class RegistrationChoice:
    """One option of the registration form's short version of the email choices."""

    value: str
    label: str
    hint: str


# The wording says what the defaults above do: keep the two in step (the registration tests
# check a weekly member's deliveries against it).
REGISTRATION_CHOICES = {
    c.value: c
    for c in (
        RegistrationChoice(
            "weekly",
            "A weekly digest, and email at once when someone mentions you",
            "Mentions, decisions on resources you shared, event reminders or changes and"
            " announcements from the admins come at once; replies in threads you follow wait"
            " for the digest, on Monday mornings.",
        ),
        RegistrationChoice(
            "daily",
            "A daily digest, and the same",
            "The same email at once; the digest comes every morning instead of weekly.",
        ),
        RegistrationChoice(
            "none",
            "Only account email (sign-in links, password resets)",
            "No digest and no notification email; your notifications still show on the site.",
        ),
    )
}
REGISTRATION_DEFAULT = "weekly"


def check_registration_choice(value: str | None) -> str:
    if value not in REGISTRATION_CHOICES:
        raise Invalid(
            f"Choose which email you would like from {site_name()}.", field="email_choice"
        )
    return value


def apply_registration_choice(user, value: str) -> None:
    """What a new member chose on the registration form: "weekly" or "daily" set the
    digest's frequency and keep every category's default; "none" turns the digest off and
    every category to never. The new member themself (their id must exist: flushed)."""
    value = check_registration_choice(value)
    if value == "none":
        user.digest_frequency = "off"
        set_deliveries(user, dict.fromkeys(CATEGORIES, NEVER))
    else:
        user.digest_frequency = value


def stop_all_mail(user) -> bool:
    """ "Stop all email": True when it was not stopped already (idempotent)."""
    if user.email_stopped_at is not None:
        return False
    user.email_stopped_at = utcnow()
    return True


def resume_mail(user) -> None:
    user.email_stopped_at = None


__all__ = [
    "CATEGORIES",
    "DELIVERY_LABELS",
    "IMMEDIATELY",
    "IN_DIGEST",
    "NEVER",
    "REGISTRATION_CHOICES",
    "REGISTRATION_DEFAULT",
]
