"""The audit log in Chromium: a moderator of two communities goes from /mod to the log,
filters it to one community with the form, and downloads that as CSV (pages checked by axe)."""

import csv
import io
import re

import pytest

from community.db import atomic
from community.threads import actions as thread_actions
from tests.browser.conftest import sign_in
from tests.factories import make_moderator, make_user
from tests.threads.helpers import live, start

pytestmark = pytest.mark.slow


def test_a_moderator_filters_the_log_by_community_and_downloads_it(open_page):
    mona = make_moderator("procurement", make_user("Mona Moderator"))
    make_moderator("finance", mona)
    alice = make_user("Alice Author", communities=("procurement", "finance"))
    for slug, title in (("procurement", "Tenders"), ("finance", "Budgets")):
        thread_id = start(alice, slug, title=title)
        with atomic():
            thread_actions.set_pinned(live(mona), thread_id, pinned=True)

    page = open_page()
    sign_in(page, mona.email)
    page.goto("/mod")
    page.get_by_role("link", name="The audit log").click()
    page.wait_for_url(re.compile(r"/mod/log$"))
    log = page.get_by_role("region", name="Audit log entries")
    assert log.get_by_text("pinned the thread “Tenders”").is_visible()
    assert log.get_by_text("pinned the thread “Budgets”").is_visible()

    page.get_by_label("Community").select_option(label="Finance")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"/mod/log\?community=\d+"))
    assert log.get_by_text("pinned the thread “Budgets”").is_visible()
    assert log.get_by_text("pinned the thread “Tenders”").count() == 0

    with page.expect_download() as download:
        page.get_by_role("link", name="Download these entries as CSV").click()
    assert re.fullmatch(r"audit-log-\d{4}-\d{2}-\d{2}\.csv", download.value.suggested_filename)
    with open(download.value.path(), encoding="utf-8") as f:
        rows = list(csv.reader(io.StringIO(f.read())))
    assert rows[1][6] == "Mona Moderator pinned the thread “Budgets” in Finance"
    assert {row[4] for row in rows[1:]} == {"Finance"}  # her being made its moderator too
