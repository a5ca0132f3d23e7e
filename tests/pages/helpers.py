"""Helpers of the site pages' tests."""

from sqlalchemy import select

from community.db import atomic
from community.extensions import db
from community.pages import actions
from community.pages.models import SitePage, SitePageRevision


def fields(**changes) -> actions.PageFields:
    values = {"title": "Code of conduct", "slug": "code-of-conduct",
              "body": "Be kind.\n\nBe *useful*.", "in_footer": True, "position": 5}  # fmt: skip
    return actions.PageFields(**{**values, **changes})


def add_page(admin, **changes) -> str:
    with atomic():
        return actions.create_page(admin, fields(**changes)).slug


def edit(admin, address: str, **changes) -> SitePage:
    """Save the page at `address` with `changes` to what it holds now."""
    page = page_at(address)
    current = {"title": page.title, "slug": page.slug, "body": page.body,
               "in_footer": page.in_footer, "position": page.position}  # fmt: skip
    with atomic():
        return actions.edit_page(admin, address, actions.PageFields(**{**current, **changes}))


def page_at(slug: str) -> SitePage | None:
    db.session.rollback()  # see what a request or a command committed
    return db.session.scalar(select(SitePage).where(SitePage.slug == slug))


def revisions(slug: str) -> list[tuple[int, str, str]]:
    page = page_at(slug)
    rows = db.session.scalars(
        select(SitePageRevision)
        .where(SitePageRevision.page_id == page.id)
        .order_by(SitePageRevision.number)
    )
    return [(r.number, r.title, r.body) for r in rows]


def signed_in(browser, user):
    browser.login(user.email)
    return browser


def html_of(response) -> str:
    return response.get_data(as_text=True)
