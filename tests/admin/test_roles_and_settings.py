"""Site roles (never leaving the site without an admin), the admins' member list, and the
site settings."""

import pytest
from sqlalchemy import select

from community.accounts import administration
from community.accounts.models import User
from community.db import atomic, utcnow
from community.errors import Invalid
from community.extensions import db
from community.moderation.models import AuditLog
from community.sitesettings import SiteSettings, settings_for_update
from tests.communities.helpers import text_of
from tests.factories import make_user


def reload(user: User) -> User:
    db.session.rollback()
    return db.session.get(User, user.id)


def role_page(browser, member: User, role: str):
    page = f"/admin/members/{member.id}"
    return browser.submit(page, {"role": role}, f"{page}/role")


def test_an_admin_makes_a_member_admin_and_takes_it_back(browser, admin, stranger):
    browser.login(admin.email)
    assert role_page(browser, stranger, "admin").status_code == 302
    assert reload(stranger).is_admin
    assert role_page(browser, stranger, "member").status_code == 302
    assert not reload(stranger).is_admin
    log = text_of(browser.get("/admin").get_data(as_text=True))
    assert "Ada Admin made Sam Stranger an admin" in log
    assert "Ada Admin took the admin role from Sam Stranger" in log


def test_the_last_admin_keeps_the_role(browser, admin):
    browser.login(admin.email)
    response = role_page(browser, admin, "member")
    assert response.status_code == 400
    assert "is the site's only admin" in text_of(response.get_data(as_text=True))
    assert reload(admin).is_admin


def test_a_suspended_admin_does_not_count_as_the_other_admin(admin):
    other = make_user("Otto Admin", admin=True)
    with atomic():
        db.session.get(User, other.id).suspended_at = utcnow()
    ada = reload(admin)
    with atomic(), pytest.raises(Invalid, match="only admin"):
        administration.set_site_role(ada, ada, "member")


def test_with_two_admins_one_may_step_down(browser, admin):
    make_user("Otto Admin", admin=True)
    browser.login(admin.email)
    assert role_page(browser, admin, "member").status_code == 302
    assert not reload(admin).is_admin
    assert browser.get("/admin").status_code == 403


def test_an_unconfirmed_account_cannot_be_made_admin(browser, admin):
    newcomer = make_user("Una Unconfirmed", verified=False)
    browser.login(admin.email)
    response = role_page(browser, newcomer, "admin")
    assert response.status_code == 400
    assert "Only a confirmed, approved account" in text_of(response.get_data(as_text=True))


def test_non_admins_cannot_change_roles(browser, stranger, admin):
    browser.login(stranger.email)
    page = f"/admin/members/{stranger.id}"
    response = browser.submit("/settings", {"role": "admin"}, f"{page}/role")
    assert response.status_code == 403
    assert not reload(stranger).is_admin


def test_the_member_list_finds_by_email_and_filters_by_state(browser, admin):
    make_user("Pat Pending", email="pat@pending.example")
    make_user("Una Unconfirmed", email="una@example.org", verified=False)
    browser.login(admin.email)
    found = text_of(browser.get("/admin/members?q=pending.example").get_data(as_text=True))
    assert "Pat Pending" in found
    assert "Una Unconfirmed" not in found
    unconfirmed = text_of(browser.get("/admin/members?state=unverified").get_data(as_text=True))
    assert "Una Unconfirmed" in unconfirmed
    assert "Address not confirmed" in unconfirmed
    assert "Pat Pending" not in unconfirmed
    admins = text_of(browser.get("/admin/members?state=admins").get_data(as_text=True))
    assert "Ada Admin" in admins
    assert "Pat Pending" not in admins


def test_an_admin_resends_a_confirmation_link(browser, admin, outbox):
    una = make_user("Una Unconfirmed", email="una@example.org", verified=False)
    outbox.deliver()
    before = len(outbox.to(una.email))
    browser.login(admin.email)
    page = f"/admin/members/{una.id}"
    assert browser.submit(page, {}, f"{page}/resend-verification").status_code == 302
    assert len(outbox.to(una.email)) == before + 1
    assert "Ada Admin sent a new confirmation link to Una Unconfirmed" in text_of(
        browser.get("/admin").get_data(as_text=True)
    )


SETTINGS = {"site_name": "Equal Commons", "contact_email": "hello@example.org",
            "registration_mode": "approval", "health_public": "y"}  # fmt: skip


def test_settings_change_the_site_and_are_logged(browser, admin, outbox):
    browser.login(admin.email)
    page = text_of(browser.get("/admin/settings").get_data(as_text=True))
    assert "http://localhost" in page or "SITE_URL" in page
    response = browser.submit("/admin/settings", SETTINGS)
    assert response.status_code == 302
    db.session.rollback()
    row = db.session.get(SiteSettings, 1)
    assert (row.site_name, row.contact_email, row.registration_mode, row.health_public) == (
        "Equal Commons", "hello@example.org", "approval", True,
    )  # fmt: skip
    home = browser.get("/").get_data(as_text=True)
    assert "<title>" in home
    assert "Equal Commons" in home
    log = text_of(browser.get("/admin").get_data(as_text=True))
    assert "Ada Admin renamed the site “Equal Commons”" in log
    assert "made registration open, with an admin's approval of each account" in log
    assert "published the network health summary" in log


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("site_name", "   ", "The site needs a name"),
        ("site_name", "x" * 81, "The site needs a name"),
        ("contact_email", "not an address", "Enter a valid email address"),
        ("registration_mode", "anyone", "Choose who may join."),
    ],
)
def test_bad_settings_are_refused_with_the_form_kept(browser, admin, field, value, error):
    browser.login(admin.email)
    response = browser.submit("/admin/settings", {**SETTINGS, field: value})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert error in text_of(html)
    assert "hello@example.org" in html or field == "contact_email"
    db.session.rollback()
    row = db.session.scalar(select(SiteSettings))
    assert row is None or row.site_name == "Commons"


def test_settings_saved_unchanged_write_no_log_entry(browser, admin):
    with atomic():
        settings_for_update()
    browser.login(admin.email)
    unchanged = {"site_name": "Commons", "contact_email": "", "registration_mode": "open"}
    assert browser.submit("/admin/settings", unchanged).status_code == 302
    db.session.rollback()
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "site.settings")) is None
