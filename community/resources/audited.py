"""How resources are named in the audit trail, and how curating them reads."""

from sqlalchemy import select

from ..extensions import db
from ..moderation.wording import register_action, register_target
from .models import Resource


def _names(ids: set[int]) -> dict[int, str]:
    rows = db.session.execute(select(Resource.id, Resource.title).where(Resource.id.in_(ids)))
    return {resource_id: f"the resource “{title}”" for resource_id, title in rows}


REVIEWS = "Resource reviews"  # a submission published, sent back or turned down

register_target("resource", names=_names, gone="a resource since removed", label="Resources")
register_action("resource.edit", "edited {target}")
register_action("resource.approve", "published {target}", label=REVIEWS)
register_action("resource.reject", "did not accept {target}", label=REVIEWS)
register_action("resource.request_changes", "asked for changes to {target}", label=REVIEWS)
register_action("resource.feature", "featured {target}")
register_action("resource.unfeature", "stopped featuring {target}")
register_action("resource.archive", "archived {target}")
register_action("resource.unarchive", "restored {target} from the archive")
register_action("resource.approve_proposal", "published a new version of {target}")
register_action("resource.reject_proposal", "did not accept a new version of {target}")
register_action(
    "resource.request_proposal_changes", "asked for changes to a new version of {target}"
)
