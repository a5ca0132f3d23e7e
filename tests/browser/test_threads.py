"""Threads in a real browser: live replies, the composer's JavaScript, and the new pages'
accessibility (axe-core, a 360 px phone, a quiet console under the site's CSP)."""

import re

import pytest
from playwright.sync_api import expect

from community.accounts.models import User
from community.db import atomic
from community.extensions import db
from community.threads import actions
from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    axe_violations,
    findings_report,
    page_findings,
    sign_in_by_request,
)
from tests.factories import make_moderator, make_user

pytestmark = pytest.mark.slow


class People:
    """Two members of Procurement, a moderator, and a thread with a reply and an edit."""

    def __init__(self):
        self.ada = make_user("Ada Lovelace", email="ada@example.org", communities=("procurement",))
        self.bob = make_user("Bob Okafor", email="bob@example.org", communities=("procurement",))
        self.mod = make_moderator(
            "procurement",
            make_user(
                "Bartholomew Featherstonehaugh-Wolstenholme",
                email="bartholomew.featherstonehaugh-wolstenholme@example.org",
                communities=("procurement",),
            ),
        )
        with atomic():
            thread = actions.start_thread(
                self._user(self.ada), "procurement",
                title="Social value in public tenders: how do you weight it?",
                body="How do you **score** social value?\n\nWe use a ten per cent weighting.",
                tags="social value, tendering",
            )  # fmt: skip
            self.thread_id = thread.id
            self.first_id = thread.last_post_id
        with atomic():
            reply = actions.post_reply(
                self._user(self.bob), self.thread_id,
                body="@**Ada Lovelace** we ask for a method statement, scored out of 20.",
            )  # fmt: skip
            self.reply_id = reply.id
        with atomic():
            actions.edit_post(
                self._user(self.bob), self.reply_id,
                body="@**Ada Lovelace** we ask for a *method statement*, scored out of 20.",
            )  # fmt: skip
        db.session.rollback()

    @staticmethod
    def _user(user):
        return db.session.get(User, user.id)

    @property
    def thread_url(self) -> str:
        return f"/t/{self.thread_id}"


@pytest.fixture
def people(site):
    return People()


def mark_page(page) -> None:
    """Leave a marker in the page's window: it survives anything but a reload."""
    page.evaluate("() => { window.__sameDocument = true; }")


def same_document(page) -> bool:
    return page.evaluate("() => window.__sameDocument === true")


def wait_until_live(page) -> None:
    """thread.js marks the thread once its `thread.open` was acknowledged."""
    expect(page.locator("[data-thread]")).to_have_attribute("data-live", "on")


def reply_box(page):
    return page.get_by_label("Your reply")


# --- live replies ---------------------------------------------------------------------------


def test_a_reply_appears_on_the_other_members_open_page(open_page, people, console):
    reader, writer = open_page(), open_page()
    sign_in_by_request(reader, people.ada.email)
    sign_in_by_request(writer, people.bob.email)
    reader.goto(people.thread_url)
    wait_until_live(reader)
    mark_page(reader)
    expect(reader.locator(".post")).to_have_count(2)

    writer.goto(people.thread_url)
    reply_box(writer).fill("Live from Bob: **bold** and <script>alert(1)</script>")
    writer.get_by_role("button", name="Post reply").click()
    writer.wait_for_url(re.compile(r"/t/\d+#p\d+$"))
    new_id = writer.url.rsplit("#p", 1)[1]

    post = reader.locator(f"#p{new_id}")
    expect(post).to_be_visible()
    expect(post.locator(".post-body strong")).to_have_text("bold")
    expect(post.locator(".post-body")).to_contain_text("<script>alert(1)</script>")
    expect(post.locator(".post-by")).to_contain_text("Bob Okafor")
    expect(reader.locator(".post")).to_have_count(3)
    status = reader.locator("[data-live-status]")
    expect(status).to_have_attribute("aria-live", "polite")
    expect(status).to_have_text("New reply #3 from Bob Okafor.")
    assert same_document(reader)
    # The live copy is the same post a reload shows: same anchor, same body.
    live_html = post.locator(".post-body").inner_html()
    reader.reload()
    assert reader.locator(f"#p{new_id} .post-body").inner_html() == live_html
    assert not console.problems, "\n".join(console.problems)


def server_reply(people, body: str, author=None) -> int:
    with atomic():
        user = db.session.get(User, (author or people.bob).id)
        return actions.post_reply(user, people.thread_id, body=body).id


def test_a_live_reply_passes_axe(open_page, people):
    reader = open_page(bypass_csp=True)
    sign_in_by_request(reader, people.ada.email)
    reader.goto(people.thread_url)
    wait_until_live(reader)
    post_id = server_reply(people, "A table:\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n> quoted")
    expect(reader.locator(f"#p{post_id} table")).to_be_visible()
    # It can be quoted and reacted to like the others.
    post = reader.locator(f"#p{post_id}")
    expect(post.get_by_role("link", name=re.compile("^Quote"))).to_be_visible()
    expect(post.get_by_role("button", name="heart: 0")).to_be_visible()
    assert axe_violations(reader) == []


def test_a_reader_on_an_earlier_page_is_told_instead(open_page, people, console):
    for n in range(19):  # 21 posts: two pages
        server_reply(people, f"Filler {n}.")
    reader = open_page()
    sign_in_by_request(reader, people.ada.email)
    reader.goto(people.thread_url)  # page 1
    wait_until_live(reader)
    mark_page(reader)
    expect(reader.locator(".post")).to_have_count(20)
    post_id = server_reply(people, "On page two.")
    status = reader.locator("[data-live-status]")
    expect(status).to_have_text("1 new reply: read the latest")
    expect(reader.locator(f"#p{post_id}")).to_have_count(0)
    expect(reader.locator(".post")).to_have_count(20)
    server_reply(people, "Also on page two.")
    expect(status).to_have_text("2 new replies: read the latest")
    status.get_by_role("link", name="read the latest").click()
    expect(reader.locator(".post").last).to_contain_text("Also on page two.")
    assert not console.problems, "\n".join(console.problems)


def test_an_edit_a_deletion_and_a_reaction_show_live(open_page, people, console):
    reader, writer = open_page(), open_page()
    sign_in_by_request(reader, people.ada.email)
    sign_in_by_request(writer, people.bob.email)
    reader.goto(people.thread_url)
    wait_until_live(reader)
    mark_page(reader)

    writer.goto(f"/p/{people.reply_id}/edit")
    writer.get_by_label("Message").fill("Changed while you were reading.")
    writer.get_by_role("button", name="Save changes").click()
    expect(reader.locator(f"#p{people.reply_id} .post-body")).to_have_text(
        "Changed while you were reading."
    )

    writer.goto(people.thread_url)
    writer.locator(f"#p{people.first_id}").get_by_role("button", name=re.compile("heart")).click()
    reader_heart = reader.locator(f"#p{people.first_id}").get_by_role(
        "button", name=re.compile("heart")
    )
    expect(reader_heart).to_contain_text("1")
    expect(reader_heart).to_have_attribute("aria-pressed", "false")  # Bob's, not Ada's

    writer.once("dialog", lambda dialog: dialog.accept())
    writer.locator(f"#p{people.reply_id}").get_by_role("button", name="Delete").click()
    expect(writer.get_by_role("status")).to_contain_text("The post is deleted.")
    expect(reader.locator(f"#p{people.reply_id}")).to_contain_text("This post was deleted.")
    expect(reader.locator(f"#p{people.reply_id} .post-body")).to_have_count(0)
    assert same_document(reader)
    assert not console.problems, "\n".join(console.problems)


class FlakyNetwork:
    """The page's WebSockets, routed through Playwright so that the test can cut them, as a
    dropped connection would, and refuse new ones until the network is "back"."""

    def __init__(self, page):
        self.up = True
        self.routes = []
        page.route_web_socket(re.compile(r"/socket\.io/"), self._route)

    def _route(self, ws) -> None:
        if not self.up:
            ws.close()
            return
        self.routes.append((ws, ws.connect_to_server()))

    def cut(self) -> None:
        self.up = False
        for page_side, server_side in self.routes:
            server_side.close()
            page_side.close()
        self.routes.clear()

    def restore(self) -> None:
        self.up = True


def test_replies_missed_while_offline_arrive_after_reconnecting(open_page, people, console):
    reader = open_page()
    network = FlakyNetwork(reader)
    sign_in_by_request(reader, people.ada.email)
    reader.goto(people.thread_url)
    wait_until_live(reader)
    mark_page(reader)

    network.cut()
    expect(reader.locator("[data-thread]")).to_have_attribute("data-live", "off")
    missed = []
    for n in (1, 2):
        with atomic():
            user = db.session.get(User, people.bob.id)
            missed.append(actions.post_reply(user, people.thread_id, body=f"Missed {n}.").id)
    expect(reader.locator(".post")).to_have_count(2)  # nothing arrived while offline

    # The catch-up answer is held back until a new reply has arrived live: the missed posts
    # must still take their places before it.
    held = []
    reader.route(
        re.compile(r"/since/\d+$"),
        lambda route: held.append(route) if not held else route.continue_(),
    )
    network.restore()
    # Socket.IO retries with a growing delay (at most 5 s, randomised by half).
    expect(reader.locator("[data-thread]")).to_have_attribute("data-live", "on", timeout=20_000)
    latest = server_reply(people, "Arrived live.")
    expect(reader.locator(f"#p{latest}")).to_be_visible()
    expect(reader.locator(".post")).to_have_count(3)
    assert len(held) == 1
    held[0].continue_()
    reader.unroute(re.compile(r"/since/\d+$"))

    expect(reader.locator(".post")).to_have_count(5)
    ids = reader.locator(".post").evaluate_all("posts => posts.map(p => p.id)")
    assert ids == [f"p{i}" for i in (people.first_id, people.reply_id, *missed, latest)]
    expect(reader.locator(f"#p{missed[1]} .post-body")).to_have_text("Missed 2.")
    expect(reader.locator("[data-live-status]")).to_have_text("New reply #4 from Bob Okafor.")
    assert same_document(reader)
    assert not console.problems, "\n".join(console.problems)


# --- the composer ---------------------------------------------------------------------------


def test_mention_autocomplete_with_the_keyboard(open_page, people, console):
    make_user("Adaeze Nwosu", communities=("finance",))
    page = open_page()
    sign_in_by_request(page, people.bob.email)
    page.goto(people.thread_url)
    box = reply_box(page)
    box.click()
    box.press_sequentially("Thanks @Ad")
    suggestions = page.get_by_role("listbox", name="People to mention")
    expect(suggestions).to_be_visible()
    # Each name comes with its organisation (two people may share a name).
    expect(suggestions.get_by_role("option")).to_have_text(
        ["Ada Lovelace · Test Organisation", "Adaeze Nwosu · Test Organisation"]
    )
    expect(page.locator("[data-composer-status]")).to_have_text(re.compile("2 people match"))
    box.press("ArrowDown")
    expect(suggestions.get_by_role("option", name="Ada Lovelace")).to_have_attribute(
        "aria-selected", "true"
    )
    active = box.get_attribute("aria-activedescendant")
    assert active
    assert page.locator(f"#{active}").inner_text() == "Ada Lovelace · Test Organisation"
    box.press("Enter")
    expect(box).to_have_value("Thanks @**Ada Lovelace** ")
    expect(suggestions).to_be_hidden()
    assert box.get_attribute("aria-activedescendant") is None
    box.press_sequentially("see above")
    expect(box).to_have_value("Thanks @**Ada Lovelace** see above")

    # Escape closes the list and keeps what was typed; Enter then makes a new line.
    box.press_sequentially(" @Bo")
    expect(suggestions.get_by_role("option")).to_have_text(["Bob Okafor · Test Organisation"])
    box.press("Escape")
    expect(suggestions).to_be_hidden()
    box.press("Enter")
    expect(box).to_have_value("Thanks @**Ada Lovelace** see above @Bo\n")

    # The mention is a link to her profile once posted.
    page.get_by_role("button", name="Post reply").click()
    page.wait_for_url(re.compile(r"#p\d+$"))
    post = page.locator(f"#p{page.url.rsplit('#p', 1)[1]}")
    expect(post.get_by_role("link", name="@Ada Lovelace")).to_have_attribute(
        "href", f"/u/{people.ada.id}"
    )
    assert not console.problems, "\n".join(console.problems)


def test_a_suggestion_can_be_chosen_with_the_mouse(open_page, people, console):
    page = open_page()
    sign_in_by_request(page, people.bob.email)
    page.goto(people.thread_url)
    box = reply_box(page)
    box.click()
    box.press_sequentially("@ada")
    page.get_by_role("option", name="Ada Lovelace").click()
    expect(box).to_have_value("@**Ada Lovelace** ")
    expect(box).to_be_focused()
    assert not console.problems, "\n".join(console.problems)


def test_preview_renders_in_place(open_page, people, console):
    page = open_page()
    sign_in_by_request(page, people.bob.email)
    page.goto(people.thread_url)
    mark_page(page)
    url = page.url
    reply_box(page).fill("A **bold** plan:\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    page.get_by_role("button", name="Preview").click()
    preview = page.get_by_role("region", name="Preview")
    expect(preview.locator("strong")).to_have_text("bold")
    expect(preview.locator("table td").first).to_have_text("1")
    assert page.url == url
    assert same_document(page)
    expect(reply_box(page)).to_have_value("A **bold** plan:\n\n| a | b |\n|---|---|\n| 1 | 2 |")

    reply_box(page).fill("")
    page.get_by_role("button", name="Preview").click()
    expect(preview).to_contain_text("Nothing to preview yet.")
    assert not console.problems, "\n".join(console.problems)


@pytest.fixture
def no_js_page(chromium, site):
    """A page in a context with JavaScript switched off."""
    context = chromium.new_context(
        base_url=site.url, viewport=DESKTOP, java_script_enabled=False, locale="en-GB"
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_preview_and_replying_work_without_javascript(no_js_page, people):
    page = no_js_page
    sign_in_by_request(page, people.bob.email)
    page.goto(people.thread_url)
    text = "Without *scripts*: the server renders this."
    reply_box(page).fill(text)
    page.get_by_role("button", name="Preview").click()
    preview = page.get_by_role("region", name="Preview")
    expect(preview.locator("em")).to_have_text("scripts")
    expect(reply_box(page)).to_have_value(text)

    page.get_by_role("button", name="Post reply").click()
    page.wait_for_url(re.compile(r"#p\d+$"))
    expect(page.locator(".post").last.locator(".post-body")).to_have_text(
        "Without scripts: the server renders this."
    )
    # Quoting a post without JavaScript quotes all of it, through the server.
    page.locator(f"#p{people.first_id}").get_by_role("link", name=re.compile("^Quote")).click()
    expect(reply_box(page)).to_have_value(re.compile(r"^Ada Lovelace wrote:\n> How do you"))

    # A new thread's preview keeps the title, the tags and the body.
    page.goto("/c/procurement/new")
    page.get_by_label("Title").fill("Framework agreements")
    page.get_by_label("Tags (optional)").fill("frameworks")
    page.get_by_label("Message").fill("Which ~~frameworks~~ do you use?")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("region", name="Preview").locator("s")).to_have_text("frameworks")
    expect(page.get_by_label("Title")).to_have_value("Framework agreements")
    expect(page.get_by_label("Tags (optional)")).to_have_value("frameworks")
    expect(page.get_by_label("Message")).to_have_value("Which ~~frameworks~~ do you use?")


def test_quoting_a_selection(open_page, people, console):
    page = open_page()
    sign_in_by_request(page, people.bob.email)
    page.goto(people.thread_url)
    mark_page(page)
    first = page.locator(f"#p{people.first_id}")
    first.locator(".post-body p").nth(1).select_text()  # "We use a ten per cent weighting."
    first.get_by_role("link", name=re.compile("^Quote")).click()
    box = reply_box(page)
    expect(box).to_have_value("Ada Lovelace wrote:\n> We use a ten per cent weighting.\n\n")
    expect(box).to_be_focused()
    assert same_document(page)
    assert page.locator('input[name="reply_to"]').input_value() == str(people.first_id)

    # With nothing selected, Quote falls back to the whole post (server side).
    page.evaluate("() => window.getSelection().removeAllRanges()")
    box.fill("")
    page.locator(f"#p{people.reply_id}").get_by_role("link", name=re.compile("^Quote")).click()
    expect(box).to_have_value(re.compile(r"^Bob Okafor wrote:\n> @\*\*Ada Lovelace\*\* we ask"))
    assert not console.problems, "\n".join(console.problems)


def test_a_reaction_toggles_without_a_reload(open_page, people, console):
    page = open_page()
    sign_in_by_request(page, people.bob.email)
    page.goto(people.thread_url)
    mark_page(page)
    heart = page.locator(f"#p{people.first_id}").get_by_role("button", name=re.compile("heart"))
    expect(heart).to_have_attribute("aria-pressed", "false")
    heart.click()
    expect(heart).to_have_attribute("aria-pressed", "true")
    expect(heart).to_have_text(re.compile(r"1$"))
    expect(heart).to_have_accessible_name("heart: 1")
    heart.click()
    expect(heart).to_have_attribute("aria-pressed", "false")
    expect(heart).to_have_accessible_name("heart: 0")
    assert same_document(page)
    page.reload()
    expect(heart).to_have_attribute("aria-pressed", "false")
    assert not console.problems, "\n".join(console.problems)


# --- every new page: axe, a phone, the console ----------------------------------------------


def _visit(page, path: str) -> None:
    page.goto(path)
    expect(page.locator("main h1")).to_be_visible()


def _check_thread_pages(page, people, check) -> dict[str, object]:
    """Run `check(page)` on every thread-related page; the non-empty results by label."""
    found = {}

    def record(label):
        result = check(page)
        if result:
            found[label] = result

    sign_in_by_request(page, people.ada.email)
    for path, shows in (
        (people.thread_url, ".post"),
        ("/c/procurement", ".thread-row"),
        ("/c/procurement/new", "textarea"),
        ("/notifications", ".notifications li"),
        ("/search?q=social+value", ".results li"),
        (f"/p/{people.reply_id}/revisions", ".revision"),
        ("/c/procurement/tags", "main a[href*='tag=']"),
    ):
        _visit(page, path)
        expect(page.locator(shows).first).to_be_visible()  # the page shows what it is for
        record(f"member {path}")

    _visit(page, people.thread_url)
    reply_box(page).fill("Preview *this*.")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("region", name="Preview").locator("em")).to_be_visible()
    record("member thread page with a preview")
    reply_box(page).fill("@Ad")
    reply_box(page).press_sequentially("a")
    expect(page.get_by_role("listbox")).to_be_visible()
    record("member thread page with mention suggestions")

    _visit(page, "/c/procurement/new")
    page.get_by_label("Title").fill("x" * 201)
    page.get_by_role("button", name="Start the thread").click()
    expect(page.get_by_role("alert")).to_be_visible()
    record("member /c/procurement/new with errors")

    page.context.clear_cookies()
    sign_in_by_request(page, people.mod.email)
    _visit(page, people.thread_url)
    page.get_by_text("Moderator tools").click()
    expect(page.get_by_role("button", name="Lock")).to_be_visible()
    record("moderator thread page with the tools open")
    _visit(page, "/c/procurement/tags")
    record("moderator /c/procurement/tags")
    return found


# One walk per viewport checks what used to take a walk each: the AxeWatch of `open_page`
# already checks every load with the site's CSP on, so no walk needs it bypassed.
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_thread_pages_have_no_axe_violations_fit_and_keep_the_console_quiet(
    open_page, people, console, viewport
):
    page = open_page(viewport)
    found = _check_thread_pages(page, people, lambda page: page_findings(page, viewport))
    assert not found, findings_report(found)
    assert not console.problems, "\n".join(console.problems)
