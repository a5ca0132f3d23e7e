"""What resource notifications point at (resources) and how they read."""

from sqlalchemy import select

from ..notifications.models import Notification
from ..notifications.targets import register_target, register_wording
from .models import Resource


def _resource_visible():
    """The resource is still there (the community check is the notification's)."""
    return select(Resource.id).where(Resource.id == Notification.target_id).exists()


register_target(
    "resource", link=lambda resource_id: f"/resources/{resource_id}", visible=_resource_visible
)
register_wording("resource_approved", "published your resource")
register_wording("resource_rejected", "did not accept your resource")
register_wording("resource_changes", "asked for changes to your resource")
register_wording("resource_review", "sent a resource for review:")
