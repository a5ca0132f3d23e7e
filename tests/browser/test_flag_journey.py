"""Flags, end to end in Chromium: three members flag a reply through its Flag link; it
leaves a fourth member's open page at once; the moderator sees the live count in the
header, restores it from /mod, and it comes back on the open page (every page checked by
axe)."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in_by_request
from tests.factories import make_moderator, make_user
from tests.threads.helpers import reply, start

pytestmark = pytest.mark.slow

RUDE = "A reply with a rude word in it."


def flag_through_the_page(page, email: str, thread_id: int, post_id: int) -> None:
    sign_in_by_request(page, email)
    page.goto(f"/t/{thread_id}")
    page.locator(f"#p{post_id}").get_by_role("link", name=re.compile("^Flag")).click()
    page.get_by_label("Offensive or abusive").check()
    page.get_by_role("button", name="Flag it for the moderators").click()
    expect(page.locator(f"#p{post_id}")).to_be_visible()


def test_flagged_reply_is_hidden_live_and_restored_from_the_queue(open_page):
    alice = make_user("Alice Author", communities=("procurement",))
    flaggers = [
        make_user(name, communities=("procurement",))
        for name in ("Fay Flagger", "Gus Flagger", "Hal Flagger")
    ]
    rita = make_user("Rita Reader", communities=("procurement",))
    mona = make_moderator("procurement", make_user("Mona Moderator"))
    thread_id = start(alice, title="Tender scoring")
    post_id = reply(alice, thread_id, RUDE)

    reader = open_page()
    sign_in_by_request(reader, rita.email)
    reader.goto(f"/t/{thread_id}")
    expect(reader.locator("[data-thread]")).to_have_attribute("data-live", "on")
    expect(reader.get_by_text(RUDE)).to_be_visible()

    moderator = open_page()
    sign_in_by_request(moderator, mona.email)
    moderator.goto("/")
    queue_link = moderator.get_by_role("link", name=re.compile("^Moderation"))
    expect(queue_link).to_have_accessible_name("Moderation")  # nothing waits yet

    for member in flaggers:
        flag_through_the_page(open_page(), member.email, thread_id, post_id)

    hidden = reader.locator(f"#p{post_id}")
    expect(hidden.get_by_text("This post is hidden while a moderator reviews it.")).to_be_visible()
    expect(reader.get_by_text(RUDE)).to_have_count(0)
    # (Chromium puts a space before the count's words: the count is an inline block.)
    expect(queue_link).to_have_accessible_name(re.compile(r"^Moderation ?, 1 waiting for a mod"))

    queue_link.click()
    item = moderator.get_by_role("article").filter(has_text="Tender scoring")
    expect(item.get_by_text("Hidden from members")).to_be_visible()
    expect(item.get_by_text("3 flags: Offensive or abusive (3)")).to_be_visible()
    item.get_by_role("button", name=re.compile("^Restore it and dismiss the flags")).click()
    expect(moderator.get_by_text("Nothing is flagged")).to_be_visible()
    expect(queue_link).to_have_accessible_name("Moderation")

    expect(reader.get_by_text(RUDE)).to_be_visible()
    expect(hidden.get_by_text("hidden while a moderator")).to_have_count(0)
    reader.reload()
    expect(reader.get_by_text(RUDE)).to_be_visible()
