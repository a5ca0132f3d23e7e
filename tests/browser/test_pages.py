"""Every main page: no axe-core violations, no sideways scrolling on a phone, a quiet console."""

import pytest
from playwright.sync_api import expect

from community.accounts.models import Organisation
from community.extensions import db
from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    axe_violations,
    horizontal_overflow,
    sign_in,
)
from tests.factories import PASSWORD, make_moderator, make_user

pytestmark = pytest.mark.slow

ANONYMOUS_PAGES = ["/", "/auth/register", "/auth/login", "/c/procurement", "/orgs", "/no-such-page"]
SIGNED_IN_PAGES = [
    "/",
    "/c/procurement",
    "/c/procurement/members",
    "/settings",
    "/u/{me}",
    "/u/{other}",
    "/members",
    "/orgs",
    "/no-such-page",
]


def _people():
    """A member with a full profile, and a moderator with long names, to stress the layout."""
    org = db.session.scalars(db.select(Organisation).order_by(Organisation.name)).first()
    me = make_user(
        "Amara Osei",
        email="amara@example.org",
        organisation=str(org.id),
        communities=("procurement", "finance"),
    )
    other = make_moderator(
        "procurement",
        make_user(
            "Bartholomew Featherstonehaugh-Wolstenholme",
            email="bartholomew.featherstonehaugh-wolstenholme@example.org",
            organisation_other="Northumberland and Tyneside Social Enterprise Partnership CIC",
        ),
    )
    return me, other


def _visit(page, path: str) -> None:
    page.goto(path)
    expect(page.locator("main h1")).to_be_visible()


def _register_with_errors(page) -> None:
    page.goto("/auth/register")
    page.get_by_label("Email address").fill("sam@example")
    page.get_by_label("Your name").fill("Sam Okafor")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill("a different password")
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("alert")).to_be_visible()


def _check_every_page(page, check) -> dict[str, object]:
    """Run `check(page)` on every page, anonymous then signed in; the non-empty results."""
    me, other = _people()
    found = {}

    def record(label):
        result = check(page)
        if result:
            found[label] = result

    for path in ANONYMOUS_PAGES:
        _visit(page, path)
        record(f"anonymous {path}")
    _register_with_errors(page)
    record("anonymous /auth/register with errors")

    sign_in(page, me.email)
    for path in SIGNED_IN_PAGES:
        path = path.format(me=me.id, other=other.id)
        _visit(page, path)
        record(f"signed in {path}")
    _visit(page, "/settings")
    page.get_by_label("Your name").fill("")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("alert")).to_be_visible()
    record("signed in /settings with errors")
    page.locator("header details.menu > summary").click()
    record("signed in / with the account menu open")
    return found


def _report(found: dict) -> str:
    lines = []
    for label, problems in found.items():
        lines.append(f"{label}:")
        lines += [f"  {p}" for p in (problems if isinstance(problems, list) else [problems])]
    return "\n".join(lines)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_no_axe_violations(open_page, viewport):
    page = open_page(viewport, bypass_csp=True)
    found = _check_every_page(page, axe_violations)
    assert not found, _report(found)


def test_nothing_scrolls_sideways_on_a_phone(open_page):
    page = open_page(PHONE)
    found = _check_every_page(page, horizontal_overflow)
    # One pixel of slack for sub-pixel rounding.
    too_wide = {label: f"{px}px too wide" for label, px in found.items() if px > 1}
    assert not too_wide, _report(too_wide)


def test_pages_load_without_console_errors_or_csp_violations(open_page, console):
    page = open_page(DESKTOP)
    csp = page.goto("/").headers["content-security-policy"]
    assert "script-src 'self'" in csp  # the policy is on, so violations would be reported
    _check_every_page(page, lambda page: None)
    assert page.evaluate("() => document.styleSheets.length") >= 1
    assert not console.problems, "\n".join(console.problems)
