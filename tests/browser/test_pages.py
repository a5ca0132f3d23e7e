"""Every main page: no axe-core violations, no sideways scrolling on a phone, a quiet console
(no errors, no CSP violations)."""

import pytest
from playwright.sync_api import expect

from community.accounts.models import Organisation
from community.extensions import db
from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    findings_report,
    page_findings,
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


# One walk per viewport checks what used to take a walk each: the AxeWatch of `open_page`
# already checks every load with the site's CSP on, so no walk needs it bypassed.
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_every_page_has_no_axe_violations_fits_and_keeps_the_console_quiet(
    open_page, console, viewport
):
    page = open_page(viewport)
    csp = page.goto("/").headers["content-security-policy"]
    assert "script-src 'self'" in csp  # the policy is on, so violations would be reported
    found = _check_every_page(page, lambda page: page_findings(page, viewport))
    assert not found, findings_report(found)
    assert page.evaluate("() => document.styleSheets.length") >= 1
    assert not console.problems, "\n".join(console.problems)
