"""Absolute links (mail, feeds, calendars) built from SITE_URL, inside or outside a request."""

from urllib.parse import urlsplit

from flask import current_app


def absolute_url(endpoint: str, **values) -> str:
    """`SITE_URL` + the endpoint's path: correct in jobs and CLI commands too."""
    site = urlsplit(current_app.config["SITE_URL"])
    adapter = current_app.url_map.bind(
        site.netloc, script_name=site.path or "/", url_scheme=site.scheme
    )
    return adapter.build(endpoint, values, force_external=True)


def absolute_path(path: str) -> str:
    """`SITE_URL` + a site path such as a notification's link ("/p/12")."""
    return current_app.config["SITE_URL"].rstrip("/") + "/" + path.lstrip("/")
