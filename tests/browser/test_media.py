"""Images in a real browser: the composer's "Add image", the page without JavaScript, profile
pictures, and those pages' accessibility (axe-core, a quiet console under the site's CSP)."""

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from community.accounts.models import User
from community.db import atomic
from community.extensions import db
from community.threads import actions
from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    axe_violations,
    horizontal_overflow,
    sign_in_by_request,
)
from tests.factories import make_user

pytestmark = pytest.mark.slow


def png(size=(80, 60), colour=(30, 90, 160)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def uploads(site, tmp_path):
    """The browser tests' app has no UPLOAD_DIR of its own: keep files in the test's folder."""
    site.app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    return tmp_path / "uploads"


@pytest.fixture
def thread(site, uploads):
    ada = make_user("Ada Lovelace", email="ada@example.org", communities=("procurement",))
    with atomic():
        started = actions.start_thread(
            db.session.get(User, ada.id), "procurement",
            title="Our new office", body="Pictures welcome.",
        )  # fmt: skip
        thread_id = started.id
    db.session.rollback()
    return ada, f"/t/{thread_id}"


def test_an_image_added_from_the_composer_shows_in_the_post(open_page, thread, console):
    ada, url = thread
    page = open_page()
    sign_in_by_request(page, ada.email)
    page.goto(url)
    expect(page.get_by_role("link", name=re.compile("upload it"))).to_be_hidden()
    reply = page.get_by_label("Your reply")
    reply.fill("Here is the floor plan:")
    picker = page.get_by_label("Add image")
    picker.set_input_files(files=[{"name": "floor plan.png", "mimeType": "image/png",
                                   "buffer": png()}])  # fmt: skip
    status = page.locator("[data-image-status]")
    expect(status).to_have_attribute("aria-live", "polite")
    expect(status).to_have_text("Image added. Change the words in square brackets to describe it.")
    expect(reply).to_have_value(
        re.compile(r"^Here is the floor plan:\n!\[floor plan\]\(/media/[0-9a-f]{64}\)\n$")
    )
    expect(reply).to_be_focused()
    page.get_by_role("button", name="Post reply").click()
    page.wait_for_url(re.compile(r"/t/\d+#p\d+$"))
    image = page.locator(".post-body img[alt='floor plan']")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth") == 80
    assert not console.problems, "\n".join(console.problems)


def test_a_refused_file_is_explained_and_the_text_kept(open_page, thread, console):
    ada, url = thread
    page = open_page()
    sign_in_by_request(page, ada.email)
    page.goto(url)
    reply = page.get_by_label("Your reply")
    reply.fill("Draft that must survive.")
    page.get_by_label("Add image").set_input_files(
        files=[{"name": "evil.png", "mimeType": "image/png", "buffer": b"<html>hi</html>"}]
    )
    status = page.locator("[data-image-status]")
    expect(status).to_contain_text("web page markup")
    expect(status).to_have_class(re.compile("is-problem"))
    expect(reply).to_have_value("Draft that must survive.")
    # A 400 answer is expected here; anything else on the console is not.
    problems = [p for p in console.problems if "status of 400" not in p]
    assert not problems, "\n".join(problems)


def test_the_add_image_button_works_from_the_keyboard(open_page, thread):
    ada, url = thread
    page = open_page()
    # Playwright turns on Chromium's file chooser interception when the first listener is
    # added, without waiting for it: a listener added only around the key press can lose
    # the race, and the chooser opens (and closes, headless) unseen.
    page.on("filechooser", lambda _chooser: None)
    sign_in_by_request(page, ada.email)
    page.goto(url)
    # The window the member types in is the active one: Chromium opens a file chooser from
    # the keyboard only in a focused page (another test's page may be in front).
    page.bring_to_front()
    page.get_by_label("Your reply").focus()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Add image")).to_be_focused()
    # The focus ring shows on the visible label, not the hidden input.
    outline = page.locator("label[for='body-image']").evaluate(
        "label => getComputedStyle(label).outlineStyle"
    )
    assert outline == "solid"
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(
        files=[{"name": "kb.png", "mimeType": "image/png", "buffer": png((20, 20))}]
    )
    expect(page.get_by_label("Your reply")).to_have_value(re.compile(r"!\[kb\]\(/media/"))


def test_without_javascript_the_composer_links_to_the_upload_page(chromium, site, thread):
    ada, url = thread
    context = chromium.new_context(base_url=site.url, java_script_enabled=False, locale="en-GB")
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        sign_in_by_request(page, ada.email)
        page.goto(url)
        expect(page.get_by_label("Add image")).to_be_hidden()
        link = page.get_by_role("link", name="upload it (opens in a new tab)")
        expect(link).to_be_visible()
        expect(link).to_have_attribute("target", "_blank")
        page.goto(link.get_attribute("href"))
        page.get_by_label("Image").set_input_files(
            files=[{"name": "site map.jpg", "mimeType": "image/jpeg", "buffer": png()}]
        )
        page.get_by_role("button", name="Upload the image").click()
        markdown = page.get_by_label("Markdown for your message")
        expect(markdown).to_have_value(re.compile(r"^!\[site map\]\(/media/[0-9a-f]{64}\)$"))
        expect(page.get_by_role("img", name="The image you uploaded")).to_be_visible()
    finally:
        context.close()


def test_a_profile_picture_from_the_settings_page(open_page, thread, console):
    ada, _url = thread
    page = open_page()
    sign_in_by_request(page, ada.email)
    page.goto("/settings")
    page.get_by_label("New picture").set_input_files(
        files=[{"name": "me.png", "mimeType": "image/png", "buffer": png((400, 300))}]
    )
    page.get_by_role("button", name="Upload picture").click()
    expect(page.get_by_role("status")).to_contain_text("Your profile picture is saved.")
    header_picture = page.locator("header img.avatar.small")
    expect(header_picture).to_be_visible()
    box = header_picture.bounding_box()
    assert round(box["width"]) == round(box["height"]) == 32  # 2rem, from the CSS
    page.get_by_role("button", name="Remove picture").click()
    expect(page.locator("header span.avatar.small")).to_have_text("AL")
    assert not console.problems, "\n".join(console.problems)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_image_pages_have_no_axe_violations_and_fit_a_phone(open_page, thread, viewport):
    ada, url = thread
    page = open_page(viewport, bypass_csp=True)
    sign_in_by_request(page, ada.email)
    found = {}
    page.goto("/media/new")
    found["/media/new"] = axe_violations(page)
    page.get_by_label("Image").set_input_files(
        files=[{"name": "a.png", "mimeType": "image/png", "buffer": png()}]
    )
    page.get_by_role("button", name="Upload the image").click()
    expect(page.get_by_role("img", name="The image you uploaded")).to_be_visible()
    found["/media/new uploaded"] = axe_violations(page)
    page.goto("/media/new")
    page.get_by_label("Image").set_input_files(
        files=[{"name": "a.txt", "mimeType": "text/plain", "buffer": b"words"}]
    )
    page.get_by_role("button", name="Upload the image").click()
    expect(page.get_by_role("alert")).to_be_visible()
    found["/media/new with errors"] = axe_violations(page)
    page.goto("/settings")
    page.get_by_label("New picture").set_input_files(
        files=[{"name": "me.png", "mimeType": "image/png", "buffer": png((400, 300))}]
    )
    page.get_by_role("button", name="Upload picture").click()
    expect(page.get_by_role("status")).to_contain_text("Your profile picture is saved.")
    found["/settings with a picture"] = axe_violations(page)
    page.goto(url)
    found["thread with the composer"] = axe_violations(page)
    if viewport is PHONE:
        for path in ("/media/new", "/settings", url):
            page.goto(path)
            found[f"{path} width"] = horizontal_overflow(page) > 1
    problems = {label: v for label, v in found.items() if v}
    assert not problems, problems
