"""axe-core on every page the browser tests visit (`AxeWatch` in conftest.py)."""

import pytest

from community.accounts.models import User
from community.db import atomic
from community.extensions import db
from community.threads import actions
from tests.browser.conftest import DESKTOP, PHONE, AxeWatch, axe_violations
from tests.factories import make_user

pytestmark = pytest.mark.slow


def test_the_watch_reports_a_broken_rule_with_its_elements(chromium, site):
    context = chromium.new_context(base_url=site.url, locale="en-GB")
    try:
        watch = AxeWatch(DESKTOP)
        context.expose_binding("__axeReport", watch.report)
        context.add_init_script(script=AxeWatch.init_script())
        page = context.new_page()
        page.goto("/")
        page.evaluate("() => window.__axeIdle()")
        assert watch.failure() is None  # the home page passes after it loads
        page.evaluate(
            """() => {
              const div = document.createElement("div");
              div.id = "bad";
              div.setAttribute("aria-label", "A label a div may not have");
              document.querySelector("main").append(div);
            }"""
        )
        watch.check_now(page)
        failure = watch.failure()
        assert failure is not None
        assert "/: aria-prohibited-attr (serious)" in failure
        assert "#bad" in failure
    finally:
        context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_reactions_on_a_thread_pass_axe_for_a_visitor(open_page, viewport):
    ada = make_user("Ada Lovelace", email="ada@example.org", communities=("procurement",))
    bob = make_user("Bob Okafor", email="bob@example.org", communities=("procurement",))
    with atomic():
        thread = actions.start_thread(
            db.session.get(User, ada.id), "procurement", title="Weighting social value", body="How?"
        )
    for user in (ada, bob):
        for kind in ("heart", "thumbs_up"):
            with atomic():
                actions.toggle_reaction(db.session.get(User, user.id), thread.last_post_id, kind)
    db.session.rollback()
    page = open_page(viewport)
    page.goto(f"/t/{thread.id}")
    assert page.get_by_role("img", name="heart: 2").is_visible()
    assert page.get_by_role("group", name="Reactions").is_visible()
    assert axe_violations(page) == []
