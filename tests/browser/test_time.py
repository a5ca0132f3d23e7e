"""Times written by the page's scripts match the server's (static/js/time.js, community/web.py)."""

import re

import pytest
from playwright.sync_api import expect

from community.accounts.models import User
from community.db import atomic
from community.extensions import db
from community.threads import actions
from community.threads.models import Post
from community.web import TIME_FORMAT, to_local
from tests.browser.conftest import sign_in
from tests.factories import make_user

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("zone", ["Europe/London", "Asia/Kolkata", "America/New_York"])
def test_a_live_reply_shows_its_time_as_the_server_would(open_page, zone):
    ada = make_user("Ada Lovelace", email="ada@example.org", communities=("procurement",))
    bob = make_user("Bob Okafor", email="bob@example.org", communities=("procurement",))
    with atomic():
        db.session.get(User, ada.id).timezone = zone
    with atomic():
        thread = actions.start_thread(
            db.session.get(User, bob.id), "procurement", title="Tender weighting", body="How?"
        )
        first_id = thread.last_post_id
    db.session.rollback()
    page = open_page()
    sign_in(page, ada.email)
    page.goto(f"/t/{thread.id}")
    expect(page.locator("[data-thread]")).to_have_attribute("data-live", "on")
    with atomic():
        reply = actions.post_reply(db.session.get(User, bob.id), thread.id, body="Twenty per cent.")
    created = db.session.get(Post, reply.id).created_at
    db.session.rollback()

    expected = to_local(created, zone).strftime(TIME_FORMAT)
    assert re.fullmatch(r"\d{1,2} \w{3} \d{4}, \d\d:\d\d [A-Z]{3,4}", expected)
    expect(page.locator(f"#p{reply.id} time")).to_have_text(expected)
    # and the first post, rendered by the server, is written the same way
    first = db.session.get(Post, first_id)
    expect(page.locator(f"#p{first.id} time").first).to_have_text(
        to_local(first.created_at, zone).strftime(TIME_FORMAT)
    )
