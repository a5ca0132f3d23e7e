"""Site pages: anyone reads them, admins write them. Each save that changes a page's title or
text keeps the result as a numbered revision (1, 2, 3…), so any earlier text can be read,
compared with the current one and restored.

A page's old addresses keep working: the audit trail (append-only) records each change of
address, and /pages/<old address> redirects to the page wherever it is now, unless another
page has taken that address since.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from .. import markup, sitecache
from ..accounts.models import User
from ..accounts.rules import require_admin
from ..db import utcnow
from ..errors import Conflict, Invalid, NotFound
from ..extensions import db
from ..moderation.audit import record
from ..moderation.models import AuditLog
from . import rules
from .models import SitePage, SitePageRevision

NOT_FOUND = "We could not find that page."


@dataclass(frozen=True)
class PageFields:
    """What an admin types into the page form."""

    title: str
    slug: str
    body: str
    in_footer: bool = True
    position: int | str = 0


# --- reading -----------------------------------------------------------------------------------


def access_page(slug: str) -> SitePage:
    """The page at `slug`, for anyone (site pages are public), or NotFound."""
    page = _page(slug)
    if page is None:
        raise NotFound(NOT_FOUND)
    return page


def moved_to(slug: str) -> str | None:
    """Where a page that used to live at `slug` lives now (None: no page ever moved from it,
    or that page is gone)."""
    if not isinstance(slug, str) or len(slug) > rules.SLUG_MAX:
        return None
    page_id = db.session.scalar(
        select(AuditLog.target_id)
        .where(
            AuditLog.target_kind == "page",
            AuditLog.action == "page.edit",
            AuditLog.detail["old_slug"].as_string() == slug,
        )
        .order_by(AuditLog.id.desc())
        .limit(1)
    )
    page = db.session.get(SitePage, page_id) if page_id is not None else None
    return page.slug if page is not None else None


# What the footer shows of a page: a change to any of these is a change of the site.
sitecache.watch(SitePage, ("slug", "title", "in_footer", "position"))


def footer_pages() -> list[tuple[str, str]]:
    """(slug, title) of the pages shown in every page's footer, in their order."""
    rows = db.session.execute(
        select(SitePage.slug, SitePage.title)
        .where(SitePage.in_footer.is_(True))
        .order_by(SitePage.position, SitePage.title, SitePage.id)
    )
    return [(slug, title) for slug, title in rows]


def pages_for_admin(actor: User) -> list[SitePage]:
    """Every page, for the admins' list: footer pages first, in footer order."""
    require_admin(actor)
    return list(
        db.session.scalars(
            select(SitePage)
            .options(joinedload(SitePage.updated_by))
            .order_by(SitePage.in_footer.desc(), SitePage.position, SitePage.title, SitePage.id)
        )
    )


def page_for_admin(actor: User, slug: str) -> SitePage:
    require_admin(actor)
    return access_page(slug)


def revisions_of(actor: User, slug: str) -> tuple[SitePage, list[SitePageRevision]]:
    """A page and its revisions, newest first. Admins only."""
    page = page_for_admin(actor, slug)
    rows = db.session.scalars(
        select(SitePageRevision)
        .options(joinedload(SitePageRevision.author))
        .where(SitePageRevision.page_id == page.id)
        .order_by(SitePageRevision.number.desc())
    )
    return page, list(rows)


def revision_of(actor: User, slug: str, number: int) -> tuple[SitePage, SitePageRevision]:
    """One revision of a page. Admins only."""
    page = page_for_admin(actor, slug)
    revision = _revision(page.id, number)
    if revision is None:
        raise NotFound(f"“{page.title}” has no revision {number}.")
    return page, revision


# --- writing -----------------------------------------------------------------------------------


def create_page(actor: User, fields: PageFields) -> SitePage:
    """Add a site page; with no address given, one is made from the title. Admins only."""
    require_admin(actor)
    title, body = rules.check_title(fields.title), rules.check_page_body(fields.body)
    slug = rules.normalise_slug(fields.slug) or rules.slug_from_title(title)
    slug = _check_free(rules.check_slug(slug))
    position = rules.check_position(fields.position)
    page = SitePage(
        slug=slug, title=title, body=body, body_html=markup.render(body),
        in_footer=bool(fields.in_footer), position=position, updated_by_id=actor.id,
    )  # fmt: skip
    try:
        with db.session.begin_nested():  # page.id, for its first revision and the audit entry
            db.session.add(page)
    except IntegrityError:
        # Another admin took the address between the check and the insert.
        raise Invalid(f"Another page already has the address “{slug}”.", field="slug") from None
    _new_revision(page, actor)
    record(actor, "page.create", ("page", page.id), slug=slug, title=title)
    return page


def edit_page(
    actor: User, slug: str, fields: PageFields, *, based_on: int | None = None
) -> SitePage:
    """Change a page: a new revision when its title or text changes. `based_on` is the
    revision the admin started from: when another save came since, nothing is changed and
    Conflict says so (their text is not lost: the form keeps it). Admins only."""
    require_admin(actor)
    title, body = rules.check_title(fields.title), rules.check_page_body(fields.body)
    new_slug = rules.check_slug(fields.slug)
    position = rules.check_position(fields.position)
    page = _page(slug, for_update=True)
    if page is None:
        raise NotFound(NOT_FOUND)
    if based_on is not None and based_on != page.revision_count:
        raise Conflict(_saved_since(page))
    if new_slug != page.slug:
        _check_free(new_slug)
    changed = _changes(page, title=title, body=body, slug=new_slug,
                       in_footer=bool(fields.in_footer), position=position)  # fmt: skip
    if not changed:
        return page
    old_slug = page.slug
    page.title, page.slug, page.in_footer, page.position = (
        title, new_slug, bool(fields.in_footer), position
    )  # fmt: skip
    if body != page.body:
        page.body, page.body_html = body, markup.render(body)
    page.updated_at, page.updated_by_id = utcnow(), actor.id
    if "title" in changed or "text" in changed:
        _new_revision(page, actor)
    detail: dict = {"title": title, "changed": changed, "slug": new_slug}
    if old_slug != new_slug:
        detail["old_slug"] = old_slug
    record(actor, "page.edit", ("page", page.id), **detail)
    return page


def restore_revision(actor: User, slug: str, number: int) -> SitePage:
    """Make an earlier revision's title and text the page's again, as a new revision (the
    history only grows). Admins only."""
    require_admin(actor)
    page = _page(slug, for_update=True)
    if page is None:
        raise NotFound(NOT_FOUND)
    revision = _revision(page.id, number)
    if revision is None:
        raise NotFound(f"“{page.title}” has no revision {number}.")
    if (revision.title, revision.body) == (page.title, page.body):
        raise Invalid(f"Revision {number} is the same as the page's current text.")
    page.title, page.body, page.body_html = (
        revision.title,
        revision.body,
        markup.render(revision.body),
    )
    page.updated_at, page.updated_by_id = utcnow(), actor.id
    made = _new_revision(page, actor)
    record(actor, "page.restore", ("page", page.id), number=number, revision=made.number,
           title=page.title)  # fmt: skip
    return page


def delete_page(actor: User, slug: str) -> str:
    """Delete a page and its revisions; its title is returned. Admins only. `flask seed`
    never brings back a page an admin deleted (the audit entry remembers it)."""
    require_admin(actor)
    page = _page(slug, for_update=True)
    if page is None:
        raise NotFound(NOT_FOUND)
    title, page_id = page.title, page.id
    record(actor, "page.delete", ("page", page_id), slug=page.slug, title=title,
           revisions=page.revision_count)  # fmt: skip
    db.session.execute(delete(SitePageRevision).where(SitePageRevision.page_id == page_id))
    db.session.delete(page)
    return title


def add_standard_pages(pages: Iterable[tuple[str, str, str]]) -> int:
    """The seed step's pages, (slug, title, Markdown), each made unless a page has that
    address, or had it before an admin moved or deleted it: what admins changed stays."""
    taken = set(db.session.scalars(select(SitePage.slug))) | _addresses_admins_left()
    made = 0
    for position, (slug, title, body) in enumerate(pages):
        if slug in taken:
            continue
        body = rules.check_page_body(body)
        page = SitePage(
            slug=slug, title=rules.check_title(title), body=body, body_html=markup.render(body),
            in_footer=True, position=position,
        )  # fmt: skip
        db.session.add(page)
        db.session.flush()  # page.id, for its first revision
        _new_revision(page, None)
        taken.add(slug)
        made += 1
    return made


# --- helpers -----------------------------------------------------------------------------------


def _page(slug: str, *, for_update: bool = False) -> SitePage | None:
    if not isinstance(slug, str) or len(slug) > rules.SLUG_MAX:
        return None
    stmt = select(SitePage).where(SitePage.slug == slug)
    if for_update:
        stmt = stmt.with_for_update()
    return db.session.scalar(stmt)


def _revision(page_id: int, number: int) -> SitePageRevision | None:
    return db.session.scalar(
        select(SitePageRevision)
        .options(joinedload(SitePageRevision.author))
        .where(SitePageRevision.page_id == page_id, SitePageRevision.number == number)
    )


def _new_revision(page: SitePage, author: User | None) -> SitePageRevision:
    """The page as it now stands, as its next revision. The page row is locked by the
    caller (or new), so two saves cannot take the same number."""
    page.revision_count = (page.revision_count or 0) + 1
    revision = SitePageRevision(
        page_id=page.id, number=page.revision_count, title=page.title, body=page.body,
        author_id=author.id if author is not None else None,
    )  # fmt: skip
    db.session.add(revision)
    return revision


def _changes(page: SitePage, **new) -> list[str]:
    names = {"title": "title", "body": "text", "slug": "address", "in_footer": "footer",
             "position": "position"}  # fmt: skip
    return [names[k] for k, v in new.items() if getattr(page, k) != v]


def _check_free(slug: str) -> str:
    if db.session.scalar(select(func.count()).select_from(SitePage).where(SitePage.slug == slug)):
        raise Invalid(f"Another page already has the address “{slug}”.", field="slug")
    return slug


def _saved_since(page: SitePage) -> str:
    who = page.updated_by.display_name if page.updated_by else "Someone"
    return (
        f"{who} saved this page while you were editing it (it is now at revision "
        f"{page.revision_count}). Your text is still here: compare it with the revisions, "
        "then save again to replace theirs."
    )


def _addresses_admins_left() -> set[str]:
    """Addresses admins moved pages away from, or deleted pages at."""
    rows = db.session.execute(
        select(AuditLog.action, AuditLog.detail).where(
            AuditLog.target_kind == "page", AuditLog.action.in_(("page.edit", "page.delete"))
        )
    )
    left: set[str] = set()
    for action, detail in rows:
        key = "old_slug" if action == "page.edit" else "slug"
        if isinstance(detail, dict) and isinstance(detail.get(key), str):
            left.add(detail[key])
    return left
