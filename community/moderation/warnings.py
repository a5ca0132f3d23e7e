"""A moderator's warning to the author of something flagged or seen: a private message
with a reason, which the member must acknowledge before they post again (the rule is
`check_no_open_warning`, asked by communities.access wherever a member would take part)."""

from sqlalchemy import select

from ..db import remembered, utcnow
from ..errors import Forbidden, Invalid, NotFound
from ..extensions import db
from ..ids import as_id
from . import audit
from .flags import check_moderates, flaggable
from .models import MemberWarning

REASON_MAX = 1000
MUST_ACKNOWLEDGE = (
    "A moderator has sent you a warning: read it and say you have, then you can post again."
)


def warn(moderator, kind: str, target_id, *, reason: str) -> MemberWarning:
    """Warn the author of an item (its community's moderators; admins anywhere)."""
    item = flaggable(kind).load(as_id(target_id)) if as_id(target_id) is not None else None
    if item is None:
        raise NotFound()
    check_moderates(moderator, item.community_id)
    reason = (reason or "").strip()
    if not reason or len(reason) > REASON_MAX:
        raise Invalid(f"Say why, in {REASON_MAX} characters at most: the member reads it.",
                      field="reason")  # fmt: skip
    author = _author(moderator, item.author_id)
    warning = MemberWarning(
        user_id=author.id, community_id=item.community_id, moderator_id=moderator.id,
        target_kind=kind, target_id=item.id, about=item.own_title, reason=reason,
    )  # fmt: skip
    db.session.add(warning)
    db.session.flush()
    audit.record(moderator, "member.warn", ("member", author.id), community=item.community_id,
                 about=item.title, reason=reason)  # fmt: skip
    _tell(warning, moderator)
    return warning


def _author(moderator, author_id: int | None):
    from ..accounts.models import User

    author = db.session.get(User, author_id) if author_id is not None else None
    if author is None:
        raise Invalid("Its author has left: there is nobody to warn.")
    if author.id == moderator.id:
        raise Forbidden("You cannot warn yourself.")
    if author.is_admin and not moderator.is_admin:
        raise Forbidden("Only an admin can warn an admin.")
    return author


def _tell(warning: MemberWarning, moderator) -> None:
    from ..notifications import actions as notify

    notify.notify(
        warning.user_id, "member.warned", actor=moderator, community_id=warning.community_id,
        target=("warning", warning.id), subject=warning.about, excerpt=warning.reason,
    )  # fmt: skip
    notify.publish_counts({warning.user_id})


def open_warning(user) -> MemberWarning | None:
    """The member's oldest warning not yet acknowledged."""
    if user is None or not user.is_authenticated:
        return None
    query = (
        select(MemberWarning)
        .where(MemberWarning.user_id == user.id, MemberWarning.acknowledged_at.is_(None))
        .order_by(MemberWarning.id)
    )
    return remembered("open_warning", user.id, lambda: db.session.scalars(query).first())


def check_no_open_warning(user) -> None:
    if open_warning(user) is not None:
        raise Forbidden(MUST_ACKNOWLEDGE)


def own_warning(user, warning_id) -> MemberWarning:
    warning = db.session.get(MemberWarning, as_id(warning_id)) if as_id(warning_id) else None
    if warning is None or user is None or warning.user_id != user.id:
        raise NotFound()
    return warning


def acknowledge(user, warning_id) -> MemberWarning:
    warning = own_warning(user, warning_id)
    if warning.acknowledged_at is None:
        warning.acknowledged_at = utcnow()
    return warning


def _warning_exists():
    from ..notifications.models import Notification

    return select(MemberWarning.id).where(MemberWarning.id == Notification.target_id).exists()


def _register_notices() -> None:
    from ..notifications.targets import register_target, register_wording

    register_target("warning", link=lambda warning_id: f"/warnings/{warning_id}",
                    visible=_warning_exists)  # fmt: skip
    register_wording("member.warned", "sent you a warning about", email="moderation")


_register_notices()
