"""The admin's organisations and communities pages in a real browser: a merge from the list
to the confirmation, and moving a community, without JavaScript-only controls; every page
passes axe-core and fits a phone."""

import pytest

from community.accounts.actions import create_organisation
from community.db import atomic
from community.extensions import db
from tests.browser.conftest import DESKTOP, PHONE, findings_report, page_findings, sign_in
from tests.factories import make_user

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_an_admin_merges_a_duplicate_and_moves_a_community(open_page, viewport):
    admin = make_user("Ada Admin", email="ada@example.org", admin=True)
    with atomic():
        duplicate = create_organisation(name="Riverside Trust Ltd", kind="council")
        create_organisation(name="Riverside Trust", kind="council")
        db.session.flush()
        duplicate_id = duplicate.id
    make_user("Una Byrne", organisation=str(duplicate_id))
    page = open_page(viewport)
    sign_in(page, admin.email)
    found = {}

    page.goto("/admin/organisations")
    found["list"] = page_findings(page, viewport)
    page.get_by_role("link", name="Merge Riverside Trust Ltd into another").click()
    found["merge"] = page_findings(page, viewport)
    page.get_by_label("The organisation that stays").select_option(label="Riverside Trust")
    page.get_by_role("button", name="Continue").click()
    found["confirm"] = page_findings(page, viewport)
    summary = page.locator("[data-merge-summary]").inner_text()
    assert summary == (
        "1 member and 0 resources move to “Riverside Trust”; “Riverside Trust Ltd” is deleted."
    )
    page.get_by_role("button", name="Merge into “Riverside Trust”").click()
    page.wait_for_url("**/admin/organisations")
    assert "“Riverside Trust Ltd” is merged into “Riverside Trust”" in page.inner_text("main")

    page.goto("/admin/organisations/new")
    page.get_by_role("button", name="Add the organisation").click()
    found["add, refused"] = page_findings(page, viewport)

    page.goto("/admin/communities")
    found["communities"] = page_findings(page, viewport)
    second = page.locator("tbody tr").nth(1).locator("th a").first.inner_text()
    page.get_by_role("button", name=f"Move up {second}").click()
    page.wait_for_url("**/admin/communities#community-*")
    assert page.locator("tbody tr").nth(0).locator("th a").first.inner_text() == second
    page.goto("/admin/communities/new")
    page.get_by_label("Name").fill("Social value")
    page.get_by_label("Address").fill("event-social")
    page.get_by_role("button", name="Create the community").click()
    found["create, refused"] = page_findings(page, viewport)
    assert page.get_by_label("Name").input_value() == "Social value"
    page.goto("/admin/communities/finance/edit")
    found["edit"] = page_findings(page, viewport)
    found = {label: kinds for label, kinds in found.items() if kinds}
    assert found == {}, findings_report(found)
