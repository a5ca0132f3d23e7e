"""`flask seed` makes the four standard pages once, and never overwrites or brings back what
an admin changed."""

import pytest
from sqlalchemy import func, select

from community.db import atomic
from community.extensions import db
from community.pages import actions
from community.pages.models import SitePage, SitePageRevision
from community.pages.standard import PAGES
from tests.factories import make_user
from tests.pages.helpers import edit, page_at


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def invoke(*args: str):
        result = runner.invoke(args=list(args))
        db.session.rollback()  # see what the command committed
        assert result.exit_code == 0, result.output
        return result.output

    return invoke


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_seed_makes_the_four_standard_pages(cli):
    assert "4 site pages created" in cli("seed")
    pages = db.session.scalars(select(SitePage).order_by(SitePage.position)).all()
    assert [(p.slug, p.title, p.in_footer, p.revision_count) for p in pages] == [
        ("about", "About Commons", True, 1),
        ("privacy", "Privacy", True, 1),
        ("terms", "Terms of use", True, 1),
        ("contact", "Contact", True, 1),
    ]
    for page in pages:
        assert page.body_html.startswith("<p>")
        assert "lorem" not in page.body.lower()
        assert page.updated_by_id is None
    privacy = pages[1].body
    for kept in ("email address", "password", "chat messages", "digests", "session cookie",
                 "last seen"):  # fmt: skip
        assert kept in privacy
    revisions = db.session.execute(
        select(SitePageRevision.number, SitePageRevision.author_id, SitePageRevision.body)
    ).all()
    assert sorted(body for _, _, body in revisions) == sorted(p.body for p in pages)
    assert {(n, a) for n, a, _ in revisions} == {(1, None)}


def test_the_seed_again_changes_nothing_an_admin_did(cli):
    cli("seed")
    admin = make_user("Ada Admin", admin=True)
    edit(admin, "about", body="Our own words.", title="About us")
    edit(admin, "terms", in_footer=False)
    before = (count(SitePage), count(SitePageRevision))

    assert "0 site pages created" in cli("seed")
    assert (count(SitePage), count(SitePageRevision)) == before
    about = page_at("about")
    assert (about.title, about.body, about.revision_count) == ("About us", "Our own words.", 2)
    assert page_at("terms").in_footer is False


def test_the_seed_does_not_bring_back_a_page_an_admin_deleted_or_moved(cli):
    cli("seed")
    admin = make_user("Ada Admin", admin=True)
    with atomic():
        actions.delete_page(admin, "privacy")
    edit(admin, "about", slug="about-us")

    assert "0 site pages created" in cli("seed")
    assert page_at("privacy") is None
    assert page_at("about") is None
    assert page_at("about-us").title == "About Commons"


def test_the_seed_fills_in_only_the_missing_ones(cli):
    admin = make_user("Ada Admin", admin=True)
    with atomic():
        actions.create_page(
            admin, actions.PageFields(title="Our terms", slug="terms", body="Be good.")
        )
    assert "3 site pages created" in cli("seed")
    assert page_at("terms").body == "Be good."
    assert count(SitePage) == len(PAGES)
    assert [p.position for p in map(page_at, ("about", "privacy", "contact"))] == [0, 1, 3]
