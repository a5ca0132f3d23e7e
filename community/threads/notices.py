"""What thread notifications point at (posts) and how they read."""

from sqlalchemy import select

from ..notifications.models import Notification
from ..notifications.targets import register_target, register_wording
from .models import Post, Thread


def _post_visible():
    """The post and its thread are still there (the community check is the notification's)."""
    return (
        select(Post.id)
        .join(Thread, Thread.id == Post.thread_id)
        .where(
            Post.id == Notification.target_id,
            Post.deleted_at.is_(None),
            Thread.deleted_at.is_(None),
        )
        .exists()
    )


register_target("post", link=lambda post_id: f"/p/{post_id}", visible=_post_visible)
register_wording("mention", "mentioned you in")
register_wording("thread", "started a thread:")
register_wording("reply", "replied in")
