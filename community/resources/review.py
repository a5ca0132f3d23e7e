"""The resource review queue's section of the /mod page: pending submissions and proposed
versions in the moderator's communities, with their approve / ask for changes / reject forms
(templates/resources/_review_queue.html)."""

from ..forms import ConfirmForm
from ..moderation.sections import register_section
from . import actions, queries


def review_section(user, community_id: int | None) -> dict:
    items = queries.review_queue(user, community_id=community_id)
    return {
        "items": items,
        "changes": {
            i.proposal.id: actions.proposed_changes(i.proposal) for i in items if i.proposal
        },
        "action_form": ConfirmForm(formdata=None),
    }


register_section(
    "resources", template="resources/_review_queue.html", context=review_section,
    count=queries.review_count,
)  # fmt: skip
