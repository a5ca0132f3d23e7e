"""The settings page's calendar feed on a phone: make the private link, read it, revoke it
(accessible, no sideways scrolling; every page is checked by axe through `open_page`)."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, horizontal_overflow, sign_in_by_request
from tests.factories import make_user

pytestmark = pytest.mark.slow


def test_a_member_makes_and_revokes_the_private_link_on_a_phone(open_page):
    member = make_user("Amara Osei", email="amara@example.org", communities=("procurement",))
    page = open_page(PHONE)
    sign_in_by_request(page, member.email)
    page.goto("/settings#calendar")
    page.get_by_role("button", name="Make my private calendar link").click()
    link = page.get_by_label("Your private calendar link")
    expect(link).to_have_value(re.compile(r"^https?://[^/]+/events/feed/[\w-]{43}\.ics$"))
    expect(page.get_by_role("status")).to_contain_text("Your private calendar link is ready")
    assert horizontal_overflow(page) == 0
    page.get_by_role("button", name="Revoke the link").click()
    expect(page.get_by_role("button", name="Make my private calendar link")).to_be_visible()
    expect(page.get_by_label("Your private calendar link")).to_have_count(0)
