"""An admin's moderation journey in Chromium: archive a community from its manage page,
see it read-only, and suspend a member from their page (every page checked by axe)."""

import re

import pytest

from community.accounts.models import User
from community.extensions import db
from tests.browser.conftest import DESKTOP, PHONE, sign_in_by_request
from tests.factories import make_user

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_an_admin_archives_a_community_and_suspends_a_member(open_page, viewport):
    admin = make_user("Ada Admin", email="ada@example.org", admin=True)
    sam = make_user("Sam Member", email="sam@example.org", communities=("procurement",))
    page = open_page(viewport)
    sign_in_by_request(page, admin.email)

    page.goto("/c/procurement/manage")
    page.get_by_role("button", name="Archive this community (read-only)").click()
    page.wait_for_url(re.compile(r"/c/procurement/manage$"))
    assert page.get_by_role("button", name="Reopen this community").is_visible()
    page.goto("/c/procurement")
    assert page.get_by_text("archived (read-only)").first.is_visible()
    assert page.get_by_role("link", name="Start a thread").count() == 0

    page.goto(f"/u/{sam.id}")
    page.get_by_role("link", name=re.compile("Suspension and administration")).click()
    page.get_by_label("Reason").fill("Repeated spam.")
    page.get_by_role("button", name="Suspend Sam Member").click()
    page.wait_for_url(re.compile(rf"/admin/members/{sam.id}$"))
    assert page.get_by_text("Reason given: Repeated spam.").is_visible()
    db.session.rollback()
    assert db.session.get(User, sam.id).suspended_at is not None

    page.goto("/admin")
    assert page.get_by_text("Ada Admin suspended Sam Member: “Repeated spam.”").is_visible()
    assert page.get_by_text("Ada Admin archived Procurement (read-only)").is_visible()
