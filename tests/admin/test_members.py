"""/admin/members/<id>: an admin suspends a member (reason, optional end date) and lifts it."""

from datetime import timedelta

from community.accounts.models import User
from community.db import utcnow
from community.extensions import db
from tests.communities.helpers import text_of
from tests.conftest import Browser
from tests.factories import make_moderator, make_user


def reload(user: User) -> User:
    db.session.rollback()
    return db.session.get(User, user.id)


def test_an_admin_suspends_a_member_from_their_page_and_lifts_it(app, browser, outbox):
    admin = make_user("Ada Admin", admin=True)
    sam = make_user("Sam Member")
    device = Browser(app.test_client())
    device.login(sam.email)
    browser.login(admin.email)
    profile = browser.get(f"/u/{sam.id}").get_data(as_text=True)
    assert f'href="/admin/members/{sam.id}"' in profile

    until = (utcnow() + timedelta(days=10)).date()
    page = f"/admin/members/{sam.id}"
    response = browser.submit(
        page, {"reason": "Repeated spam.", "until": until.isoformat()}, f"{page}/suspend"
    )
    assert response.status_code == 302
    sam = reload(sam)
    assert sam.suspended_at is not None
    assert sam.suspended_until.date() == until
    assert sam.suspension_reason == "Repeated spam."
    assert device.get("/settings").status_code == 302  # their session ended
    assert any("suspended" in m["Subject"] for m in outbox.to(sam.email))
    text = text_of(browser.get(page).get_data(as_text=True))
    assert "Reason given: Repeated spam." in text
    assert f"Ada Admin suspended Sam Member until {until.isoformat()}: “Repeated spam.”" in (
        text_of(browser.get("/admin").get_data(as_text=True))
    )

    response = browser.submit(page, {}, f"{page}/unsuspend")
    assert response.status_code == 302
    assert reload(sam).suspended_at is None
    assert "Ada Admin lifted the suspension of Sam Member" in text_of(
        browser.get("/admin").get_data(as_text=True)
    )


def test_a_suspension_needs_a_reason_and_a_future_end(browser, communities):
    admin, sam = make_user(admin=True), make_user("Sam Member")
    browser.login(admin.email)
    page = f"/admin/members/{sam.id}"
    response = browser.submit(page, {"reason": "  "}, f"{page}/suspend")
    assert response.status_code == 400
    assert "Give a reason" in text_of(response.get_data(as_text=True))
    yesterday = (utcnow() - timedelta(days=1)).date().isoformat()
    response = browser.submit(page, {"reason": "Spam.", "until": yesterday}, f"{page}/suspend")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "The end of a suspension must be a day in the future." in text_of(html)
    assert "Spam." in html  # what they typed is kept
    assert reload(sam).suspended_at is None


def test_only_admins_suspend_and_not_themselves(browser, communities):
    moderator, sam = make_moderator("finance"), make_user()
    browser.login(moderator.email)
    page = f"/admin/members/{sam.id}"
    assert browser.get(page).status_code == 403
    response = browser.submit("/c/finance", {"reason": "Spam."}, f"{page}/suspend")
    assert response.status_code == 403
    assert reload(sam).suspended_at is None
    browser.logout()

    admin = make_user(admin=True)
    browser.login(admin.email)
    own = f"/admin/members/{admin.id}"
    assert "You cannot suspend yourself." in text_of(browser.get(own).get_data(as_text=True))
    response = browser.submit("/c/finance", {"reason": "Oops."}, f"{own}/suspend")
    assert response.status_code == 403
    assert reload(admin).suspended_at is None


def test_the_suspend_form_needs_its_csrf_token(browser, communities):
    admin, sam = make_user(admin=True), make_user()
    browser.login(admin.email)
    response = browser.client.post(f"/admin/members/{sam.id}/suspend", data={"reason": "x"})
    assert response.status_code == 400
    assert reload(sam).suspended_at is None
