"""The resource review loop in Chromium: a newcomer shares a file; the moderator asks for
changes from /mod; the newcomer's save sends it back; the moderator publishes it. Then the
newcomer proposes a new version of the published resource and the moderator approves it
from the same queue (every page checked by axe)."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.factories import make_moderator, make_user
from tests.filesamples import pdf_bytes

pytestmark = pytest.mark.slow

TITLE = "Social value in tenders"
REVISED = "Social value in tenders, 2nd edition"


def pdf(name: str, extra: bytes = b"") -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": pdf_bytes() + extra}


def for_item(action: str, title: str) -> re.Pattern:
    """A queue button's name: its action, then the title said only to screen readers
    (Chromium may put a space between them: the hidden part is positioned apart)."""
    return re.compile(rf"^{re.escape(action)} ?: {re.escape(title)}$")


def queue_item(page, title: str):
    section = page.get_by_role("region", name=re.compile("^Resources waiting for review"))
    return section.get_by_role("article").filter(has=page.get_by_role("heading", name=title))


def test_a_newcomer_is_asked_for_changes_resubmits_and_proposes_a_new_version(open_page):
    nina = make_user("Nina Newcomer", communities=("procurement",))
    mona = make_moderator("procurement", make_user("Mona Moderator"))

    newcomer = open_page()
    sign_in(newcomer, nina.email)
    newcomer.goto("/resources/new")
    newcomer.get_by_label("Title", exact=True).fill(TITLE)
    newcomer.get_by_label("Kind of resource").select_option("toolkit")
    newcomer.get_by_label("Procurement").check()
    newcomer.get_by_label("File (optional if you give a web address)").set_input_files(
        files=[pdf("tenders.pdf")]
    )
    newcomer.get_by_role("button", name="Share the resource").click()
    expect(
        newcomer.get_by_text("Your resource is waiting for a moderator's review")
    ).to_be_visible()
    resource_url = newcomer.url

    # The moderator asks for changes from the queue on /mod.
    moderator = open_page()
    sign_in(moderator, mona.email)
    moderator.goto("/mod")
    item = queue_item(moderator, TITLE)
    expect(item).to_contain_text("shared by Nina Newcomer")
    item.get_by_text("Ask for changes or reject").click()
    item.get_by_label("Reason").fill("Please add the year it was published.")
    item.get_by_role("button", name=for_item("Ask for changes", TITLE)).click()
    expect(moderator.get_by_text("The submitter has been asked for changes.")).to_be_visible()
    expect(moderator).to_have_url(re.compile(r"/mod\??$"))
    expect(queue_item(moderator, TITLE)).to_have_count(0)

    # The newcomer reads the notice, makes the change, and saving sends it back.
    newcomer.goto("/notifications")
    notice = newcomer.get_by_role(
        "button", name=re.compile(f"Mona Moderator asked for changes to your resource “{TITLE}”")
    )
    notice.click()
    expect(newcomer.get_by_text("Please add the year it was published.")).to_be_visible()
    newcomer.get_by_role("link", name="Make the changes").click()
    expect(newcomer.get_by_label(re.compile("Send it back"))).to_have_count(0)
    newcomer.get_by_label("Publication date (optional)").fill("2007")
    newcomer.get_by_role("button", name="Save and send for review").click()
    expect(newcomer.get_by_text("sent to the moderators for review")).to_be_visible()

    # Back in the queue: the moderator publishes it.
    moderator.goto("/mod")
    queue_item(moderator, TITLE).get_by_role(
        "button", name=for_item("Approve and publish", TITLE)
    ).click()
    expect(
        moderator.get_by_text("The resource is published and its submitter told.")
    ).to_be_visible()

    # Published: the newcomer cannot edit it any more, but proposes a new version.
    newcomer.goto(resource_url)
    expect(newcomer.get_by_role("link", name="Edit or upload a new version")).to_have_count(0)
    newcomer.get_by_role("link", name="Propose a new version").click()
    newcomer.get_by_label("Title", exact=True).fill(REVISED)
    newcomer.get_by_label("File (optional if you give a web address)").set_input_files(
        files=[pdf("tenders-2.pdf", b"\n% second edition")]
    )
    newcomer.get_by_label("Version note (optional)").fill("Updated figures")
    newcomer.get_by_role("button", name="Save and send for review").click()
    proposal = newcomer.get_by_role("region", name=re.compile("^Proposed new version"))
    expect(proposal).to_contain_text(REVISED)
    expect(proposal.get_by_role("link", name="tenders-2.pdf")).to_be_visible()
    expect(newcomer.get_by_role("heading", level=1)).to_have_text(TITLE)  # unchanged for now

    # The moderator sees what the new version changes, and approves it.
    moderator.goto("/mod")
    item = queue_item(moderator, re.compile(f"^{TITLE} New version"))
    expect(item).to_contain_text("Proposed by Nina Newcomer")
    expect(item.get_by_role("row", name=re.compile("^Title"))).to_contain_text(REVISED)
    item.get_by_role("button", name=for_item("Approve the new version", TITLE)).click()
    expect(moderator.get_by_text("The new version is published")).to_be_visible()

    newcomer.goto(resource_url)
    expect(newcomer.get_by_role("heading", level=1)).to_have_text(REVISED)
    versions = newcomer.get_by_role("region", name="Versions")
    expect(versions.get_by_role("row")).to_have_count(3)  # the header, version 2, version 1
    expect(versions.get_by_role("link", name="tenders-2.pdf")).to_be_visible()
    expect(versions.get_by_role("link", name="tenders.pdf")).to_be_visible()
    newcomer.goto("/notifications")
    expect(
        newcomer.get_by_role(
            "button",
            name=re.compile(
                f"Mona Moderator approved your new version of the resource “{REVISED}”"
            ),
        )
    ).to_be_visible()
