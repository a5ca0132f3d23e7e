"""Browser tests: Debian's Chromium driven by Playwright against the app served in-process.

Playwright cannot download its own browser here, so it launches the system Chromium
(`$CHROMIUM`, default /usr/bin/chromium). Without it the tests skip on a laptop and fail in CI
(REQUIRE_SERVICES=1), through `missing_service`.

The site is a real werkzeug server in a thread over the migrated SQLite test database, seeded
like `flask seed`; the test body runs inside the same app's context, so factories and the
outbox work as in the other tests. Tables are emptied after each test.
"""

import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from community.extensions import db
from tests.conftest import Outbox, empty_all_tables, make_test_app, missing_service
from tests.factories import PASSWORD

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_JS = Path(__file__).parent / "vendor" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "best-practice"]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}


@pytest.fixture(scope="session")
def chromium():
    """One Chromium for the whole run; each test gets fresh contexts."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        missing_service(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):  # one line per request would drown the output
        pass


@dataclass
class Site:
    url: str
    app: object
    outbox: Outbox


@pytest.fixture
def site(databases, tmp_path):
    """The app, seeded, served on a free loopback port; the test runs in its app context."""
    from community.seed import seed

    app = make_test_app(databases.url("sqlite"), tmp_path / "instance")
    with app.app_context():
        seed()
        server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield Site(f"http://127.0.0.1:{server.server_port}", app, Outbox(app))
        finally:
            server.shutdown()
            server.server_close()
            thread.join()
            db.session.remove()
            empty_all_tables()
            db.session.remove()
            db.engine.dispose()


@dataclass
class Console:
    """What the pages said on their console: errors, uncaught exceptions, CSP reports."""

    problems: list[str] = field(default_factory=list)

    def watch(self, page) -> None:
        page.on("console", lambda msg: self._on_console(page, msg))
        page.on("pageerror", lambda exc: self.problems.append(f"{page.url}: uncaught {exc}"))

    def _on_console(self, page, msg) -> None:
        text = msg.text
        if msg.type != "error" and "Content Security Policy" not in text:
            return
        # Chromium logs every non-2xx document as a failed load; a 404 or a 400 form page is
        # what some tests ask for, so only failed *subresources* count.
        if text.startswith("Failed to load resource") and msg.location.get("url") == page.url:
            return
        self.problems.append(f"{page.url}: console {msg.type}: {text}")


@pytest.fixture
def console():
    return Console()


@pytest.fixture
def open_page(chromium, site, console):
    """open_page(viewport=DESKTOP, bypass_csp=False) -> a new Page in its own context."""
    contexts = []

    def _open(viewport=DESKTOP, *, bypass_csp=False):
        context = chromium.new_context(
            base_url=site.url, viewport=viewport, bypass_csp=bypass_csp, locale="en-GB"
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        console.watch(page)
        return page

    yield _open
    for context in contexts:
        context.close()


def sign_in(page, email: str, password: str = PASSWORD) -> None:
    """Sign in through the real form, then land on the home page."""
    page.goto("/auth/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$"))


def axe_violations(page) -> list[str]:
    """Run axe-core on the page (its context must bypass CSP) and summarise what it found."""
    page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        AXE_TAGS,
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + "; ".join(str(n["target"]) + " " + n.get("failureSummary", "") for n in v["nodes"])
        for v in result["violations"]
    ]


def horizontal_overflow(page) -> int:
    """How many CSS pixels the page is wider than the viewport (0 when it fits)."""
    return page.evaluate(
        "() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth)"
    )
