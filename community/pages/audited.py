"""How site pages are named in the audit trail, and how their admins' actions read:
"Ada Admin edited the site page “About”"."""

from sqlalchemy import select

from ..extensions import db
from ..moderation.wording import register_action, register_target
from .models import SitePage


def _names(ids: set[int]) -> dict[int, str]:
    rows = db.session.execute(select(SitePage.id, SitePage.title).where(SitePage.id.in_(ids)))
    return {page_id: f"the site page “{title}”" for page_id, title in rows}


def _edited(fields: dict) -> str:
    phrase = f"edited {fields['target']}"
    if fields.get("old_slug"):
        old, new = fields["old_slug"], fields["slug"]
        phrase += f" (its address moved from /pages/{old} to /pages/{new})"
    return phrase


register_target("page", names=_names, gone="a site page since deleted", label="Site pages")
register_action("page.create", "added {target}", in_community=False)
register_action("page.edit", _edited, in_community=False)
register_action("page.restore", "restored {target} to its revision {number}", in_community=False)
register_action("page.delete", "deleted the site page “{title}”", in_community=False)
