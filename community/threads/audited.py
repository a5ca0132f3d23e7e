"""How threads, posts and tags are named in the audit trail, and how their actions read."""

from sqlalchemy import select

from ..extensions import db
from ..moderation.wording import register_action, register_target
from .models import Post, Tag, Thread


def _thread_names(ids: set[int]) -> dict[int, str]:
    rows = db.session.execute(select(Thread.id, Thread.title).where(Thread.id.in_(ids)))
    return {thread_id: f"the thread “{title}”" for thread_id, title in rows}


def _post_names(ids: set[int]) -> dict[int, str]:
    rows = db.session.execute(
        select(Post.id, Post.number, Thread.title)
        .join(Thread, Thread.id == Post.thread_id)
        .where(Post.id.in_(ids))
    )
    return {
        post_id: f"the opening post of “{title}”" if number == 1 else f"a reply to “{title}”"
        for post_id, number, title in rows
    }


def _tag_names(ids: set[int]) -> dict[int, str]:
    rows = db.session.execute(select(Tag.id, Tag.name).where(Tag.id.in_(ids)))
    return {tag_id: f"the tag “{name}”" for tag_id, name in rows}


register_target("thread", names=_thread_names, gone="a thread since removed", label="Threads")
register_target("post", names=_post_names, gone="a post since removed", label="Deleted posts")
register_target("tag", names=_tag_names, gone="a tag since merged away", label="Tags")
register_action("post.delete", "deleted {target}")
register_action("post.edit", "edited {target}: “{reason}”", label="Edited posts")
register_action("thread.merge", "merged the thread “{source}” into {target}")
register_action("post.approve", "approved a new member's post in {target}")
register_action("post.reject", "declined a new member's post in {target}")
register_action("thread.pin", "pinned {target}")
register_action("thread.unpin", "unpinned {target}")
register_action("thread.lock", "locked {target}")
register_action("thread.unlock", "reopened {target} for replies")
register_action("thread.delete", "deleted {target}")
register_action(
    "thread.move",
    "moved {target} from {from_community} to {to_community}",
    refs={"from_community": "community", "to_community": "community"},
    in_community=False,
)
register_action("tag.rename", "renamed the tag “{old}” to “{new}”")
register_action("tag.merge", "merged the tag “{merged}” into {target}")
