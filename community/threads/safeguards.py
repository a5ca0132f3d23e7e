"""New members' safeguards, per community (Community.hold_first_posts, .new_member_links):
a member's first posts in a community wait for a moderator when it holds them; while they
are new there (joined in the last NEW_MEMBER_DAYS, or fewer than NEW_MEMBER_POSTS posts
published there) a post carries only so many links and posting is slower. Moderators and
admins are never new. Trust is earned: once a member has as many published posts in the
community as it holds, theirs publish at once."""

import re
from datetime import timedelta

from sqlalchemy import func, select

from .. import ratelimits
from ..accounts.models import User
from ..communities import access as community_access
from ..communities.models import Community
from ..db import utcnow
from ..errors import Invalid
from ..extensions import db
from .models import Post, Thread

# A member is new in a community for this long after joining it, and until they have
# published this many posts there (or its hold_first_posts, when that is more).
NEW_MEMBER_DAYS = 2
NEW_MEMBER_POSTS = 3
_LINK = re.compile(r"""<a\s[^>]*href=["']https?://""", re.IGNORECASE)
SLOW_DOWN = "New members post a few times in a quarter of an hour: try again in a few minutes."


def published_posts(author: User, community_id: int) -> int:
    return db.session.scalar(
        select(func.count(Post.id))
        .join(Thread, Thread.id == Post.thread_id)
        .where(Post.author_id == author.id, Thread.community_id == community_id, Post.in_view())
    )


def _exempt(author: User, community: Community) -> bool:
    return community_access.is_moderator(author, community)


def is_new_member(author: User, community: Community) -> bool:
    if _exempt(author, community):
        return False
    member = community_access.membership(author, community)
    if member is None or member.created_at > utcnow() - timedelta(days=NEW_MEMBER_DAYS):
        return True
    needed = max(NEW_MEMBER_POSTS, community.hold_first_posts)
    return published_posts(author, community.id) < needed


def must_hold(author: User, community: Community) -> bool:
    """Whether the author's next post here waits for a moderator."""
    if community.hold_first_posts <= 0 or _exempt(author, community):
        return False
    return published_posts(author, community.id) < community.hold_first_posts


def check_new_member_post(author: User, community: Community, html: str) -> None:
    """Refuse a new member's post with too many links, or one over their posting rate."""
    if not is_new_member(author, community):
        return
    links = len(_LINK.findall(html))
    allowed = community.new_member_links
    if links > allowed:
        most = "no links" if allowed == 0 else f"at most {allowed} link{'s' * (allowed != 1)}"
        raise Invalid(
            f"New members' posts here carry {most} (this one has {links}). "
            "Take some out, or post them once you have taken part a little more.",
            field="body",
        )
    ratelimits.check("new_member_post", author.id, SLOW_DOWN)
