"""The event page's address, the one place that builds it: a path for the site's own pages
and notices, an absolute address (on SITE_URL) for mail, feeds and calendars."""

from urllib.parse import urlsplit

from flask import has_request_context, url_for

from ..links import absolute_url

ENDPOINT = "events.show"


def event_url(event_id: int, absolute: bool = False) -> str:
    """`/events/<id>` (absolute: `SITE_URL` + that path), inside a request or out of one."""
    if absolute:
        return absolute_url(ENDPOINT, event_id=event_id)
    if has_request_context():
        return url_for(ENDPOINT, event_id=event_id)
    return urlsplit(absolute_url(ENDPOINT, event_id=event_id)).path
