"""Browser tests: Debian's Chromium driven by Playwright against the app served in-process.

Playwright cannot download its own browser here, so it launches the system Chromium
(`$CHROMIUM`, default /usr/bin/chromium). Without it the tests skip on a laptop and fail in CI
(REQUIRE_SERVICES=1), through `missing_service`.

The site is a real werkzeug server in a thread over the migrated SQLite test database, seeded
like `flask seed`; the test body runs inside the same app's context, so factories and the
outbox work as in the other tests. Tables are emptied after each test.
"""

import json
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
# What every page a browser test visits is checked against (see `AxeWatch`).
AXE_EVERY_PAGE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_EVERY_PAGE_IMPACTS = ["serious", "critical"]
# Runs in every document (an init script, so the site's CSP does not apply): axe-core, then a
# check after each load whose serious and critical findings go to Python through a binding.
# `__axeCheck()` runs it again on the page as it is now (the runs take turns: axe runs one at
# a time) and resolves when the findings have been reported.
AXE_RUNNER = """
(() => {
  if (window.top !== window || !window.axe) return;
  const options = {runOnly: {type: "tag", values: %(tags)s}, resultTypes: ["violations"]};
  const impacts = %(impacts)s;
  let turn = Promise.resolve();
  window.__axeCheck = () => {
    const run = turn.then(async () => {
      const result = await window.axe.run(document, options);
      const found = result.violations
        .filter((v) => impacts.includes(v.impact))
        .map((v) => ({id: v.id, impact: v.impact, help: v.help,
                      nodes: v.nodes.map((n) => n.target.join(" "))}));
      await window.__axeReport(location.pathname + location.search, found);
    });
    turn = run.catch(() => {});
    return run;
  };
  window.__axeIdle = () => turn;
  window.addEventListener("load", () => window.__axeCheck());
})();
"""

CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')

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


@dataclass
class AxeWatch:
    """axe-core (WCAG 2.1 A/AA) on every page a browser test visits, after every load.

    Each context gets axe and `AXE_RUNNER` as an init script; each load is checked in the page
    and the serious or critical violations come back through the `__axeReport` binding. When
    the test ends, every page still open is checked once more as it is then (pages change
    after they load), and the test fails with every rule broken, where and on which elements.
    """

    viewport: dict
    violations: dict = field(default_factory=dict)  # (path, rule) -> (impact, help, {targets})

    @staticmethod
    def init_script() -> str:
        runner = AXE_RUNNER % {
            "tags": json.dumps(AXE_EVERY_PAGE_TAGS),
            "impacts": json.dumps(AXE_EVERY_PAGE_IMPACTS),
        }
        return AXE_JS.read_text(encoding="utf-8") + "\n" + runner

    def report(self, source, path: str, found: list[dict]) -> None:
        for v in found:
            _, _, targets = self.violations.setdefault(
                (path, v["id"]), (v["impact"], v["help"], set())
            )
            targets.update(v["nodes"])

    def check_now(self, page) -> None:
        from playwright.sync_api import Error as PlaywrightError

        if page.is_closed():
            return
        try:
            page.evaluate("() => window.__axeCheck && window.__axeCheck()")
        except PlaywrightError as exc:  # the page is mid-navigation or gone: nothing to check
            if "has been closed" not in str(exc) and "navigat" not in str(exc):
                raise

    def failure(self) -> str | None:
        if not self.violations:
            return None
        size = f"{self.viewport['width']}x{self.viewport['height']}"
        lines = [f"axe-core found WCAG 2.1 A/AA violations at {size}:"]
        for (path, rule), (impact, help_text, targets) in sorted(self.violations.items()):
            lines.append(f"  {path}: {rule} ({impact}): {help_text}")
            lines += [f"    {target}" for target in sorted(targets)]
        return "\n".join(lines)


@pytest.fixture
def open_page(chromium, site, console):
    """open_page(viewport=DESKTOP, bypass_csp=False, timezone_id=None) -> a new Page in its
    own context (`timezone_id`: the browser's own zone, default the machine's).

    Every page the test visits in it is checked by axe-core (`AxeWatch`); the test fails at
    its end if any serious or critical WCAG 2.1 A/AA rule was broken.
    """
    opened = []  # (context, watch)

    def _open(viewport=DESKTOP, *, bypass_csp=False, timezone_id=None):
        context = chromium.new_context(
            base_url=site.url,
            viewport=viewport,
            bypass_csp=bypass_csp,
            locale="en-GB",
            timezone_id=timezone_id,
        )
        context.set_default_timeout(10_000)
        watch = AxeWatch(viewport)
        context.expose_binding("__axeReport", watch.report)
        context.add_init_script(script=AxeWatch.init_script())
        opened.append((context, watch))
        page = context.new_page()
        console.watch(page)
        return page

    yield _open
    failures = []
    for context, watch in opened:
        for page in context.pages:
            watch.check_now(page)
        context.close()
        if problem := watch.failure():
            failures.append(problem)
    if failures:
        pytest.fail("\n".join(failures), pytrace=False)


def sign_in(page, email: str, password: str = PASSWORD) -> None:
    """Sign in through the real form, then land on the home page."""
    page.goto("/auth/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$"))


def sign_in_by_request(page, email: str, password: str = PASSWORD) -> None:
    """Sign in with a POST of the login form over `page.request`, which shares the page's
    cookies, loading no page: for tests whose subject is not the sign-in form (`sign_in`
    drives it). The page stays where it was."""
    form = page.request.get("/auth/login")
    token = CSRF_FIELD.search(form.text())
    assert token, "no CSRF token on /auth/login"
    response = page.request.post(
        "/auth/login",
        form={"csrf_token": token.group(1), "email": email, "password": password},
        max_redirects=0,
    )
    assert response.status == 302, response.text()


def axe_violations(page) -> list[str]:
    """Run axe-core on the page with `AXE_TAGS` and summarise what it found.

    Pages from `open_page` already carry axe (and this waits for their own check to finish:
    axe runs one at a time); any other page's context must bypass CSP for the script tag.
    """
    # A click that submits a form may return before the next page has loaded: wait for it.
    page.wait_for_load_state("load")
    if not page.evaluate("() => Boolean(window.axe)"):
        page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate(
        """async (tags) => {
          if (window.__axeIdle) await window.__axeIdle();
          return await axe.run(document, {runOnly: {type: 'tag', values: tags}});
        }""",
        AXE_TAGS,
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + "; ".join(str(n["target"]) + " " + n.get("failureSummary", "") for n in v["nodes"])
        for v in result["violations"]
    ]


def page_findings(page, viewport: dict) -> dict[str, list[str]]:
    """What is wrong with the page as it is now, by kind: axe-core's findings (`AXE_TAGS`)
    and, on a phone, how far it is too wide (a pixel of slack for sub-pixel rounding)."""
    found = {}
    if violations := axe_violations(page):
        found["axe-core"] = violations
    if viewport == PHONE and (px := horizontal_overflow(page)) > 1:
        found["too wide"] = [f"{px}px"]
    return found


def findings_report(found: dict[str, dict]) -> str:
    """`page_findings` by page label, one finding a line."""
    lines = []
    for label, kinds in found.items():
        lines.append(f"{label}:")
        for kind, problems in kinds.items():
            lines += [
                f"  {kind}: {p}" for p in (problems if isinstance(problems, list) else [problems])
            ]
    return "\n".join(lines)


def horizontal_overflow(page) -> int:
    """How many CSS pixels the page is wider than the viewport (0 when it fits)."""
    return page.evaluate(
        "() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth)"
    )
