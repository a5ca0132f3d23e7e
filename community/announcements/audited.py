"""How announcements are named in the audit trail, and how their audited actions read:
"Ada Admin made the announcement “Office move” for the members of Procurement"."""

from sqlalchemy import select

from ..extensions import db
from ..moderation.wording import register_action, register_target
from .models import Announcement


def _names(ids: set[int]) -> dict[int, str]:
    rows = db.session.execute(
        select(Announcement.id, Announcement.title).where(Announcement.id.in_(ids))
    )
    return {announcement_id: f"the announcement “{title}”" for announcement_id, title in rows}


register_target(
    "announcement", names=_names, gone="an announcement since removed", label="Announcements"
)


def _for(fields: dict) -> str:
    community = fields.get("community")
    return f" for the members of {community}" if community else " for everyone"


def _made(fields: dict) -> str:
    return f"made {fields['target']}{_for(fields)}"


def _edited(fields: dict) -> str:
    changed = [c for c in fields.get("changes") or () if isinstance(c, str)]
    what = f" ({', '.join(changed)})" if changed else ""
    return f"changed {fields['target']}{what}"


def _emailed(fields: dict) -> str:
    count, community = fields.get("recipients"), fields.get("community")
    if isinstance(count, int):
        members = f"{count:,} member" if count == 1 else f"{count:,} members"
    else:
        members = "the members"
    to = f" of {community}" if community else ""
    return f"sent {fields['target']} by email to {members}{to}"


register_action("announcement.create", _made, in_community=False)
register_action("announcement.edit", _edited)
register_action("announcement.withdraw", "withdrew {target}")
register_action("announcement.email", _emailed, in_community=False)
