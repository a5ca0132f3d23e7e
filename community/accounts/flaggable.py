"""Profiles as moderation sees them (community/moderation/flags.py): a member's bio and
picture, flagged by members, hidden while an admin looks, restored or cleared.

A profile belongs to no community, so its flags wait for the site's admins (the site's
default threshold applies), and only an admin other than its member decides. Hidden, the
profile keeps its name, which signs the member's posts: the picture and the bio are out of
everyone's view but the admins' and the member's (User.profile_shown_to, User.shown_avatar).
"""

from sqlalchemy import select

from ..db import utcnow
from ..errors import allowed
from ..extensions import db
from ..markup import plain_text
from ..moderation.flags import DELETE, FlaggableKind, Flagged, register_flaggable
from ..moderation.wording import register_target as register_audit_target
from ..notifications.models import Notification
from ..notifications.targets import register_target, register_wording
from .actions import access_user
from .models import User

KIND = "profile"
NOTICE_TARGET = "moderated_profile"


def _load(user_id: int) -> Flagged | None:
    user = db.session.get(User, user_id)
    if user is None:
        return None
    return Flagged(
        kind=KIND,
        id=user.id,
        community_id=None,
        author_id=user.id,
        title=f"the profile of {user.display_name}",
        own_title="your profile",
        excerpt=_excerpt(user),
        url=f"/u/{user.id}",
        hidden=user.profile_hidden_at is not None,
        deleted=False,  # a "deleted" profile is an empty one: the account stays
    )


def _excerpt(user: User) -> str:
    if user.bio:
        return plain_text(user.bio)
    return "No bio: the picture is on the profile." if user.avatar_sha256 else "No bio."


def _can_see(viewer, user_id: int) -> bool:
    """Whoever may open the profile, while its bio and picture are shown."""
    if not allowed(lambda: access_user(viewer, user_id)):
        return False
    return db.session.get(User, user_id).profile_hidden_at is None


def _locked(user_id: int) -> User:
    """The member's row, locked on PostgreSQL: two deciders (or the flag that reaches the
    threshold and a decision) change the profile one after the other."""
    stmt = select(User).where(User.id == user_id).execution_options(populate_existing=True)
    if db.engine.dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=User)
    return db.session.scalar(stmt)


def hide(user_id: int, _moderator, why: str) -> None:
    """The bio and picture out of view at once, everywhere; the name stays."""
    user = _locked(user_id)
    if user.profile_hidden_at is None:
        user.profile_hidden_at, user.profile_hidden_reason = utcnow(), why


def restore(user_id: int, _moderator) -> None:
    user = _locked(user_id)
    user.profile_hidden_at, user.profile_hidden_reason = None, ""


def delete(user_id: int, moderator) -> None:
    """ "Delete", for a profile, clears its bio and picture: the member keeps the account,
    the name and everything they wrote, and may write a new bio. The decision is in the
    audit trail (flag.delete, worded "deleted the bio and picture of …"), and the member is
    told."""
    from ..notifications import actions as notify

    user = _locked(user_id)
    user.bio, user.bio_html, user.avatar_sha256 = "", "", None
    user.profile_hidden_at, user.profile_hidden_reason = None, ""  # nothing left to hide
    notify.notify(
        user.id, "profile.cleared", actor=moderator, community_id=None,
        target=(NOTICE_TARGET, user.id), subject="your profile", occurrence=utcnow().isoformat(),
    )  # fmt: skip
    notify.publish_counts({user.id})


def _refusal(moderator: User, item: Flagged) -> str | None:
    """Nobody acts on an admin but another admin: not even the admin themself (the
    profile's community is none, so only admins get this far)."""
    if item.id == moderator.id:
        return "This is your own profile: another admin decides on it."
    return None


register_flaggable(
    KIND,
    FlaggableKind(
        label="profile", load=_load, can_see=_can_see, hide=hide, restore=restore,
        delete=delete, notice_target=NOTICE_TARGET,
        decided_notices={DELETE: "flag.decided.clear"}, refusal=_refusal,
        delete_label="Clear its bio and picture",
    ),
)  # fmt: skip


def _member_still_there():
    return select(User.id).where(User.id == Notification.target_id).exists()


def _audit_names(ids: set[int]) -> dict[int, str]:
    rows = db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))
    return {user_id: f"the bio and picture of {name}" for user_id, name in rows}


register_target(NOTICE_TARGET, link=lambda user_id: f"/u/{user_id}", visible=_member_still_there)
register_wording("profile.cleared", "cleared the bio and picture of", email="moderation")
register_wording("flag.decided.clear", "reviewed your flag and cleared", email="moderation")
register_audit_target(KIND, names=_audit_names, gone="a profile since removed")


def flag_state(viewer, user: User) -> tuple[bool, bool]:
    """(may `viewer` flag this profile now, have they flagged it): for its page's link."""
    from ..moderation.flags import flag_states

    may, mine = flag_states(viewer, KIND, [(user.id, user.id)])
    return user.id in may and user.profile_hidden_at is None, user.id in mine
