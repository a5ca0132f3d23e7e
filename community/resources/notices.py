"""What resource notifications point at (resources) and how they read; who hears of a
submission or a decision."""

from sqlalchemy import func, select

from ..accounts.models import User
from ..communities import queries as community_queries
from ..digests.choices import wants_mail_now
from ..extensions import db
from ..links import absolute_url
from ..mail import queue_mail
from ..notifications import actions as notify
from ..notifications.models import Notification
from ..notifications.targets import register_target, register_wording
from .actions import home_community, live_communities
from .models import STATUSES, Resource, ResourceEvent, ResourceProposal


def _resource_visible():
    """The resource is still there and not hidden by moderation, whatever its status (a
    review's notices are about unpublished ones); the community check is the
    notification's. Its moderation notices point at "moderated_resource" (flaggable.py)."""
    return (
        select(Resource.id)
        .where(Resource.id == Notification.target_id, Resource.in_view(STATUSES))
        .exists()
    )


register_target(
    "resource", link=lambda resource_id: f"/resources/{resource_id}", visible=_resource_visible
)
# Each reads "<moderator> <phrase> “<title>”"; the title is the notice's subject.
for kind, phrase in {
    "resource_approved": "published your resource",
    "resource_rejected": "did not accept your resource",
    "resource_changes": "asked for changes to your resource",
    "resource_review": "asks you to review the resource",
    "proposal_approved": "approved your new version of the resource",
    "proposal_rejected": "did not accept your new version of the resource",
    "proposal_changes": "asked for changes to your new version of the resource",
    "proposal_review": "proposes a new version of the resource",
}.items():
    register_wording(kind, phrase, email="resources", quoted=True)


# --- receivers (connected in resources/receivers.py) ----------------------------------------

DECISIONS = {  # decision: (notification kind, email subject)
    "approved": ("resource_approved", "Your resource is published"),
    "rejected": ("resource_rejected", "Your resource was not accepted"),
    "changes_requested": ("resource_changes", "Your resource needs changes"),
}
PROPOSAL_DECISIONS = {
    "approved": ("proposal_approved", "Your new version is published"),
    "rejected": ("proposal_rejected", "Your new version was not accepted"),
    "changes_requested": ("proposal_changes", "Your new version needs changes"),
}


def _latest_event_id(resource: Resource) -> str:
    """The occurrence a notice is about: the resource's latest event (each submission and
    decision records one), so a second round of review notifies again, a repeat does not."""
    db.session.flush()
    latest = db.session.scalar(
        select(func.max(ResourceEvent.id)).where(ResourceEvent.resource_id == resource.id)
    )
    return str(latest or 0)


def tell_submitter(_app, *, resource: Resource, actor: User, decision: str, reason: str, **_):
    """resource_decided: the submitter hears of the decision, in the site and by mail."""
    _tell(resource, resource.submitter, actor, DECISIONS[decision], decision, reason,
          template="resource_decision")  # fmt: skip


def tell_proposer(_app, *, proposal: ResourceProposal, actor: User, decision: str, reason: str,
                  **_):  # fmt: skip
    """proposal_decided: the proposer hears of the decision, in the site and by mail."""
    _tell(proposal.resource, proposal.proposer, actor, PROPOSAL_DECISIONS[decision], decision,
          reason, template="proposal_decision")  # fmt: skip


def _tell(resource, recipient, actor, kind_and_subject, decision, reason, *, template) -> None:
    if recipient is None or recipient.id == actor.id:
        return
    kind, wording = kind_and_subject
    home = home_community(resource)
    mailed = wants_mail_now(recipient, "resources")
    notify.notify(
        recipient.id, kind, actor=actor, community_id=home.id if home else None,
        target=("resource", resource.id), subject=resource.title, excerpt=reason,
        occurrence=_latest_event_id(resource), emailed=mailed,
    )  # fmt: skip
    notify.publish_counts({recipient.id})
    if mailed:
        queue_mail(
            recipient.email, f"{wording}: {resource.title}", template, user=recipient,
            resource=resource, decision=decision, reason=reason, moderator=actor,
            url=absolute_url("resources.show", resource_id=resource.id),
        )  # fmt: skip


def tell_curators(_app, *, resource: Resource, actor: User, **_) -> None:
    """resource_submitted: the moderators of its communities (or, when there are none, the
    admins) hear that a resource awaits review."""
    _tell_curators(resource, actor, "resource_review")


def tell_curators_of_proposal(_app, *, proposal: ResourceProposal, actor: User, **_) -> None:
    """proposal_sent: as for a submission, the resource's curators hear of it."""
    _tell_curators(proposal.resource, actor, "proposal_review")


def _tell_curators(resource: Resource, actor: User, kind: str) -> None:
    ids = [c.id for c in live_communities(resource)]
    moderators = community_queries.moderators_by_community(ids)
    recipients = {u.id for users in moderators.values() for u in users}
    if not recipients:
        recipients = set(
            db.session.scalars(
                select(User.id).where(User.site_role == "admin", User.suspended_at.is_(None))
            )
        )
    recipients.discard(actor.id)
    home = home_community(resource)
    occurrence = _latest_event_id(resource)
    for user_id in sorted(recipients):
        notify.notify(
            user_id, kind, actor=actor, community_id=home.id if home else None,
            target=("resource", resource.id), subject=resource.title, occurrence=occurrence,
        )  # fmt: skip
    notify.publish_counts(recipients)
