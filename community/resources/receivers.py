"""What the resource bank does when told: its search entries, its notices, and the posts
that link to a resource (its "discussed in"). Connected per app (signals.py)."""

import re
from datetime import datetime, time

from flask import Flask, current_app
from sqlalchemy import delete

from .. import signals
from ..communities.models import Community
from ..extensions import db
from ..ids import as_id
from ..search import actions as search
from ..threads.models import Post, PostLink
from . import notices
from .actions import live_communities
from .models import Resource

# --- search ---------------------------------------------------------------------------------


def _search_community(resource: Resource) -> Community | None:
    """The one community a resource's search entry is filed under: a public one when it has
    one (then everyone who may see the resource can find it)."""
    communities = live_communities(resource)
    public = [c for c in communities if c.is_public]
    return (public or communities or [None])[0]


def reindex(_app, *, resource: Resource, **_) -> None:
    """resource_changed: a resource in view is in the index, any other (unpublished,
    archived, hidden by moderation) is out of it."""
    community = _search_community(resource)
    if not resource.is_in_view or community is None:
        search.remove_document("resource", resource.id)
        return
    words = [resource.summary, resource.kind_label]
    if resource.organisation:
        words.append(resource.organisation.name)
    words += [t.name for t in resource.tags]
    when = resource.published_on
    search.index_document(
        "resource",
        resource.id,
        title=resource.title,
        body="\n".join(w for w in words if w),
        url=f"/resources/{resource.id}",
        community_id=community.id,
        author_id=resource.submitter_id,
        created_at=datetime.combine(when, time()) if when else resource.created_at,
    )


# --- posts that link to resources -----------------------------------------------------------


def _site_link(kind_path: str) -> re.Pattern:
    """`/<kind_path>/<id>` on this site: a relative path, or an absolute URL on SITE_URL."""
    site = re.escape(current_app.config["SITE_URL"].rstrip("/"))
    return re.compile(rf"(?:{site}|(?<![\w.:/-]))/{kind_path}/(\d{{1,10}})\b")


def record_links(_app, *, post: Post, **_) -> None:
    """post_published, post_changed: keep the post's links to resources."""
    ids = {int(n) for n in _site_link("resources").findall(post.source)}
    ids = {i for i in ids if as_id(i) is not None}
    db.session.execute(delete(PostLink).where(PostLink.post_id == post.id))
    for target_id in sorted(ids)[:20]:
        db.session.add(
            PostLink(post_id=post.id, thread_id=post.thread_id, target_kind="resource",
                     target_id=target_id)
        )  # fmt: skip


def refresh_moderators_count(_app, *, resource=None, proposal=None, **_) -> None:
    """A submission or a proposal entered or left the review queue: its curators' header
    count follows."""
    from ..moderation.queue import publish_waiting

    resource = resource or proposal.resource
    db.session.flush()
    publish_waiting([c.id for c in live_communities(resource)])


def connect(app: Flask) -> None:
    signals.connect(
        app,
        (signals.resource_changed, reindex),
        (signals.resource_submitted, notices.tell_curators),
        (signals.resource_decided, notices.tell_submitter),
        (signals.proposal_sent, notices.tell_curators_of_proposal),
        (signals.proposal_decided, notices.tell_proposer),
        (signals.resource_submitted, refresh_moderators_count),
        (signals.resource_decided, refresh_moderators_count),
        (signals.proposal_sent, refresh_moderators_count),
        (signals.proposal_decided, refresh_moderators_count),
        (signals.post_published, record_links),
        (signals.post_changed, record_links),
    )
