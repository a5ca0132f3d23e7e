"""A community's podcast feed: RSS 2.0 with the iTunes tags podcast apps read, one item per
published podcast that has an audio file, its enclosure the latest version's file."""

from datetime import UTC
from email.utils import format_datetime

from flask import Response, render_template
from flask_login import current_user
from markupsafe import Markup

from ..auth import actor
from ..communities import access as community_access
from ..communities.access import can_read
from ..db import utcnow
from ..links import absolute_url
from . import bp, queries
from .models import Resource


@bp.get("/c/<slug>/podcast.xml")
def podcast(slug: str):
    """Members-only communities' feeds exist only for their members (and admins): a podcast
    app without the member's session gets 404, as for every other page there."""
    reader = actor() if current_user.is_authenticated else None
    community = community_access.access_community(reader, slug)
    episodes = queries.podcast_episodes(community)
    body = render_template(
        "resources/podcast.xml",
        community=community,
        episodes=episodes,
        self_url=absolute_url("resources.podcast", slug=community.slug),
        page_url=absolute_url("resources.community_resources", slug=community.slug),
        built_at=max((e.published_at for e in episodes if e.published_at), default=None),
        absolute_url=absolute_url,
        episode_guid=episode_guid,
        plain_summary=plain_summary,
    )
    response = Response(body, mimetype="application/rss+xml")
    if not can_read(None, community):  # not for shared caches
        response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.app_template_filter("rfc822")
def rfc822(value) -> str:
    """RFC 822 date-time as RSS wants it ("Tue, 03 Oct 2006 09:30:00 GMT"); stored times are
    naive UTC."""
    return format_datetime((value or utcnow()).replace(tzinfo=UTC), usegmt=True)


def episode_guid(resource: Resource) -> str:
    """The episode's identity for podcast apps: the resource, not its file. A new version
    replaces the audio of the same episode, so apps update it instead of listing it twice."""
    return f"commons-resource-{resource.id}"


def plain_summary(resource: Resource) -> str:
    """The summary as plain text (the rendered Markdown with its tags stripped)."""
    # Only read: the stored, sanitised HTML is parsed for its text, never output as markup.
    return Markup(resource.summary_html or "").striptags()  # noqa: S704
