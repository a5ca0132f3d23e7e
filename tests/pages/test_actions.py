"""Site pages' actions: who may write them, the rules for their fields, revisions, restore,
delete, moved addresses and the audit trail."""

import pytest
from sqlalchemy import func, select

from community.db import atomic
from community.errors import Conflict, Forbidden, Invalid, NotFound
from community.extensions import db
from community.moderation.models import AuditLog
from community.moderation.queries import worded
from community.pages import actions
from community.pages.diff import line_diff
from community.pages.models import SitePageRevision
from tests.pages.helpers import add_page, edit, fields, page_at, revisions


def audit(action: str) -> list[dict]:
    db.session.rollback()
    rows = db.session.scalars(
        select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)
    )
    return [row.detail for row in rows]


def sentences(action: str) -> list[str]:
    db.session.rollback()
    rows = db.session.scalars(
        select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)
    ).all()
    return [entry.text for entry in worded(list(rows))]


def test_an_admin_adds_a_page_with_its_first_revision(admin):
    slug = add_page(admin)
    page = page_at(slug)
    assert (page.title, page.slug, page.in_footer, page.position) == (
        "Code of conduct",
        "code-of-conduct",
        True,
        5,
    )
    assert page.body_html == "<p>Be kind.</p>\n<p>Be <em>useful</em>.</p>"
    assert page.revision_count == 1
    assert page.updated_by_id == admin.id
    assert revisions(slug) == [(1, "Code of conduct", "Be kind.\n\nBe *useful*.")]
    assert audit("page.create") == [{"slug": "code-of-conduct", "title": "Code of conduct"}]
    assert sentences("page.create") == ["Ada Admin added the site page “Code of conduct”"]


def test_each_save_is_a_revision_numbered_in_turn(admin):
    slug = add_page(admin)
    edit(admin, slug, body="Second text.")
    edit(admin, slug, title="Our code of conduct")
    assert revisions(slug) == [
        (1, "Code of conduct", "Be kind.\n\nBe *useful*."),
        (2, "Code of conduct", "Second text."),
        (3, "Our code of conduct", "Second text."),
    ]
    page = page_at(slug)
    assert (page.revision_count, page.body_html) == (3, "<p>Second text.</p>")
    assert [d["changed"] for d in audit("page.edit")] == [["text"], ["title"]]
    assert sentences("page.edit") == ["Ada Admin edited the site page “Our code of conduct”"] * 2


def test_a_save_that_changes_nothing_leaves_no_trace(admin):
    slug = add_page(admin)
    edit(admin, slug)
    assert page_at(slug).revision_count == 1
    assert audit("page.edit") == []


def test_moving_a_page_in_the_footer_is_audited_but_makes_no_revision(admin):
    slug = add_page(admin)
    edit(admin, slug, in_footer=False, position="7")
    page = page_at(slug)
    assert (page.in_footer, page.position, page.revision_count) == (False, 7, 1)
    assert [d["changed"] for d in audit("page.edit")] == [["footer", "position"]]


def test_without_an_address_one_is_made_from_the_title(admin):
    assert add_page(admin, slug="", title="Accessibility & you") == "accessibility-you"
    assert add_page(admin, slug="  Board-Minutes ", title="Minutes") == "board-minutes"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"body": "  \n\n "}, "body", "A page needs some text."),
        ({"body": ""}, "body", "A page needs some text."),
        ({"title": "   "}, "title", "A page needs a title."),
        ({"title": "x" * 121}, "title", "A title has at most 120 characters."),
        ({"slug": "Not ok!"}, "slug", "An address uses lower-case letters"),
        ({"slug": "-edge"}, "slug", "An address uses lower-case letters"),
        ({"slug": "a--b"}, "slug", "An address uses lower-case letters"),
        ({"slug": "über"}, "slug", "An address uses lower-case letters"),
        ({"slug": "a" * 81}, "slug", "An address has at most 80 characters."),
        ({"slug": "new"}, "slug", "“new” cannot be a page's address"),
        ({"slug": "about"}, "slug", "Another page already has the address “about”."),
        ({"slug": "", "title": "…"}, "slug", "A page needs an address."),
        ({"position": "first"}, "position", "The position is a whole number from 0 to 999."),
        ({"position": "-1"}, "position", "The position is a whole number from 0 to 999."),
        ({"position": "1000"}, "position", "The position is a whole number from 0 to 999."),
        ({"body": "x" * (128 * 1024 + 1)}, "body", "A page's text is at most 128 KB"),
    ],
)
def test_bad_input_is_refused_with_its_field(admin, changes, field, message):
    before = db.session.scalar(select(func.count()).select_from(SitePageRevision))
    with pytest.raises(Invalid) as refused, atomic():
        actions.create_page(admin, fields(**changes))
    assert refused.value.field == field
    assert refused.value.message.startswith(message)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(SitePageRevision)) == before
    assert audit("page.create") == []


def test_an_edit_cannot_take_another_pages_address_or_drop_its_own(admin):
    slug = add_page(admin)
    for bad in ("privacy", "", "new"):
        with pytest.raises(Invalid) as refused, atomic():
            actions.edit_page(admin, slug, fields(slug=bad))
        assert refused.value.field == "slug"
    assert page_at(slug).revision_count == 1


def test_only_admins_write_pages_or_read_their_history(admin, member, mod):
    slug = add_page(admin)
    for user in (member, mod):
        attempts = [
            lambda u: actions.create_page(u, fields(slug="mine")),
            lambda u: actions.edit_page(u, slug, fields(body="Mine now.")),
            lambda u: actions.restore_revision(u, slug, 1),
            lambda u: actions.delete_page(u, slug),
            lambda u: actions.revisions_of(u, slug),
            lambda u: actions.revision_of(u, slug, 1),
            lambda u: actions.pages_for_admin(u),
        ]
        for attempt in attempts:
            with pytest.raises(Forbidden), atomic():
                attempt(user)
    page = page_at(slug)
    assert (page.body, page.revision_count) == ("Be kind.\n\nBe *useful*.", 1)
    assert page_at("mine") is None


def test_a_page_is_found_by_its_address_only(admin):
    assert actions.access_page("about").title == "About Commons"
    for missing in ("nope", "About", "a" * 500):
        with pytest.raises(NotFound):
            actions.access_page(missing)


def test_restoring_a_revision_makes_a_new_one_with_its_text(admin):
    slug = add_page(admin)
    edit(admin, slug, title="Conduct", body="Changed.")
    with atomic():
        actions.restore_revision(admin, slug, 1)
    page = page_at(slug)
    assert (page.title, page.body, page.revision_count) == (
        "Code of conduct",
        "Be kind.\n\nBe *useful*.",
        3,
    )
    assert page.body_html == "<p>Be kind.</p>\n<p>Be <em>useful</em>.</p>"
    assert revisions(slug)[-1] == (3, "Code of conduct", "Be kind.\n\nBe *useful*.")
    assert audit("page.restore") == [{"number": 1, "revision": 3, "title": "Code of conduct"}]
    assert sentences("page.restore") == [
        "Ada Admin restored the site page “Code of conduct” to its revision 1"
    ]


def test_restoring_the_current_text_or_a_missing_revision_is_refused(admin):
    slug = add_page(admin)
    with pytest.raises(Invalid, match="same as the page's current text"), atomic():
        actions.restore_revision(admin, slug, 1)
    with pytest.raises(NotFound), atomic():
        actions.restore_revision(admin, slug, 9)
    assert page_at(slug).revision_count == 1


def test_a_save_based_on_an_older_revision_is_refused_and_changes_nothing(admin):
    slug = add_page(admin)
    edit(admin, slug, body="Someone else's text.")
    saved_since = "Ada Admin saved this page while you were editing"
    with pytest.raises(Conflict, match=saved_since), atomic():
        actions.edit_page(admin, slug, fields(body="Mine."), based_on=1)
    assert page_at(slug).body == "Someone else's text."
    with atomic():
        actions.edit_page(admin, slug, fields(body="Mine."), based_on=2)
    assert page_at(slug).revision_count == 3


def test_deleting_a_page_removes_its_revisions_and_is_audited(admin):
    slug = add_page(admin)
    edit(admin, slug, body="Again.")
    with atomic():
        assert actions.delete_page(admin, slug) == "Code of conduct"
    assert page_at(slug) is None
    assert db.session.scalar(select(func.count()).select_from(SitePageRevision)) == 4  # seeded
    assert audit("page.delete") == [
        {"slug": "code-of-conduct", "title": "Code of conduct", "revisions": 2}
    ]
    assert sentences("page.delete") == ["Ada Admin deleted the site page “Code of conduct”"]


def test_a_moved_page_is_found_at_its_old_address_until_another_takes_it(admin):
    edit(admin, "about", slug="about-us")
    assert actions.moved_to("about") == "about-us"
    edit(admin, "about-us", slug="who-we-are")
    assert actions.moved_to("about") == "who-we-are"
    assert actions.moved_to("about-us") == "who-we-are"
    assert sentences("page.edit") == [
        "Ada Admin edited the site page “About Commons” (its address moved from /pages/about "
        "to /pages/about-us)",
        "Ada Admin edited the site page “About Commons” (its address moved from "
        "/pages/about-us to /pages/who-we-are)",
    ]
    assert actions.moved_to("never-was") is None
    with atomic():
        actions.delete_page(admin, "who-we-are")
    assert actions.moved_to("about") is None


def test_the_stored_html_never_holds_a_script(admin):
    body = (
        "Hello <script>alert('x')</script>\n\n[click](javascript:alert(1))\n\n"
        "<img src=x onerror=alert(1)>"
    )
    slug = add_page(admin, body=body)
    html = page_at(slug).body_html
    assert "<script" not in html
    assert "<img" not in html
    assert 'href="javascript' not in html
    assert "&lt;script&gt;" in html  # shown as text


def test_footer_pages_are_in_position_then_title_order(admin):
    add_page(admin, slug="zeta", title="Zeta", position=0)
    add_page(admin, slug="alpha", title="Alpha", position=0)
    add_page(admin, slug="hidden", title="Hidden", position=0, in_footer=False)
    assert actions.footer_pages() == [
        ("about", "About Commons"),
        ("alpha", "Alpha"),
        ("zeta", "Zeta"),
        ("privacy", "Privacy"),
        ("terms", "Terms of use"),
        ("contact", "Contact"),
    ]


def test_the_diff_shows_removed_and_added_lines_with_their_numbers():
    old = "one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\nten"
    new = "one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine!\nten"
    [hunk] = line_diff(old, new)
    assert [(line.kind, line.text, line.old_number, line.new_number) for line in hunk] == [
        ("same", "six", 6, 6),
        ("same", "seven", 7, 7),
        ("same", "eight", 8, 8),
        ("removed", "nine", 9, None),
        ("added", "nine!", None, 9),
        ("same", "ten", 10, 10),
    ]
    assert line_diff("same\ntext", "same\ntext") == []
