"""The banner in Chromium: readable at phone width, and Dismiss removes it without leaving
the page (static/js/announcements.js), for good; axe-core checks every page visited."""

import pytest
from playwright.sync_api import expect

from tests.announcements.conftest import announce
from tests.browser.conftest import PHONE, horizontal_overflow, sign_in_by_request
from tests.factories import make_user

pytestmark = pytest.mark.slow


def test_dismissing_in_the_browser_keeps_the_reader_on_the_page(open_page, site, console):
    admin = make_user("Ada Admin", email="ada@example.org", admin=True)
    member = make_user("Alice Member", email="alice@example.org", communities=("procurement",))
    announce(admin, title="Office move", body="We move on **Monday**, see [events](/events).")
    page = open_page(PHONE)
    sign_in_by_request(page, member.email)
    page.goto("/events")
    region = page.get_by_role("region", name="Announcements")
    expect(region.get_by_role("heading", name="Office move")).to_be_visible()
    assert horizontal_overflow(page) <= 1
    with page.expect_response(lambda r: "/dismiss" in r.url) as answer:
        region.get_by_role("button", name="Dismiss “Office move”").click()
    assert answer.value.status == 200  # the script's request, answered in JSON
    expect(page.get_by_role("region", name="Announcements")).to_have_count(0)
    assert page.url.endswith("/events")
    page.reload()
    expect(page.get_by_role("heading", name="Office move")).to_have_count(0)
    assert console.problems == []
