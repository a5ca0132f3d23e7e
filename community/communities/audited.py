"""How communities are named in the audit trail, and how their audited actions read."""

from sqlalchemy import select

from ..extensions import db
from ..moderation.wording import register_action, register_target
from .models import Community


def _names(ids: set[int]) -> dict[int, str]:
    return dict(
        db.session.execute(select(Community.id, Community.name).where(Community.id.in_(ids))).all()
    )


register_target(
    "community", names=_names, gone="a community since removed", label="Community settings"
)
register_action(
    "community.add_member",
    "added {user} to {target}",
    refs={"user_id": "member"},
    label="Members added",
)
register_action(
    "community.add_moderator",
    "made {user} a moderator of {target}",
    refs={"user_id": "member"},
    label="Moderators",
)
register_action(
    "community.remove_moderator",
    "removed {user} as a moderator of {target}",
    refs={"user_id": "member"},
    label="Moderators",
)
register_action(
    "community.visibility",
    lambda f: (
        f"made {f['target']} " + ("public" if f["visibility"] == "public" else "members-only")
    ),
)
register_action("community.archive", "archived {target} (read-only)")
register_action("community.unarchive", "reopened {target} (no longer archived)")
