"""How communities are named in the audit trail, and how their audited actions read."""

from sqlalchemy import select

from ..extensions import db
from ..moderation.wording import register_action, register_target, renamed_or_changed
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
_SAFEGUARD_WORDS = {
    "flag_threshold": "flags to hide an item: {}",
    "hold_first_posts": "new members' posts held: {}",
    "new_member_links": "links in a new member's post: {}",
}


def _safeguards(fields: dict) -> str:
    said = [w.format(fields[k]) for k, w in _SAFEGUARD_WORDS.items() if fields.get(k) != ""]
    return f"changed the safeguards of {fields['target']} ({'; '.join(said)})"


register_action("community.safeguards", _safeguards)
register_action(
    "community.suspend_member",
    lambda f: f"suspended {f['user']} from {f['target']} for {f['days']} days: “{f['reason']}”",
    refs={"user_id": "member"},
    in_community=False,
)
register_action(
    "community.unsuspend_member",
    "lifted the suspension of {user} from {target}",
    refs={"user_id": "member"},
    in_community=False,
)
register_action("community.archive", "archived {target} (read-only)")
register_action("community.unarchive", "reopened {target} (no longer archived)")

# /admin/communities (admin_actions.py)


def _created(fields: dict) -> str:
    shown = "public" if fields.get("visibility") == "public" else "members-only"
    return f"created the community {fields['target']} ({shown}, at /c/{fields['slug']})"


def _edited(fields: dict) -> str:
    return renamed_or_changed(fields, "the community", fields["target"])


register_action("community.create", _created)
register_action("community.edit", _edited)
register_action(
    "community.move",
    lambda f: f"moved {f['target']} {f['direction']} the list (now number {f['position']})",
)
