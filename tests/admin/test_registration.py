"""Who may join: open registration, an admin's approval of each account, and invitations
sent by email that expire, can be withdrawn and work once."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from community.accounts import invitations
from community.accounts.models import Invitation, User
from community.db import atomic, utcnow
from community.extensions import db
from community.notifications.models import Notification
from community.sitesettings import settings_for_update
from tests.communities.helpers import text_of
from tests.factories import PASSWORD, make_user

NEWCOMER = "newcomer@example.org"
FORM = {
    "display_name": "Nia Newcomer",
    "organisation": "other",
    "organisation_other": "Riverside Trust",
    "password": PASSWORD,
    "confirm": PASSWORD,
}


def set_mode(mode: str) -> None:
    with atomic():
        settings_for_update().registration_mode = mode


def user_count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(User))


def registered(email: str) -> User | None:
    db.session.rollback()
    return db.session.scalar(select(User).where(User.email == email))


def register(browser, email: str = NEWCOMER):
    return browser.submit("/auth/register", {"email": email, **FORM})


def invite(admin: User, email: str = NEWCOMER, message: str = "") -> Invitation:
    with atomic():
        return invitations.invite(db.session.get(User, admin.id), email, message)


# --- approval ---------------------------------------------------------------------------------


def test_with_approval_a_new_account_waits_and_admins_hear_of_it(browser, admin, outbox):
    set_mode("approval")
    page = text_of(browser.get("/auth/register").get_data(as_text=True))
    assert "An admin then approves each new account" in page
    response = register(browser)
    assert response.status_code == 200
    assert "we email you when yours is approved" in text_of(response.get_data(as_text=True))
    nia = registered(NEWCOMER)
    assert nia.awaiting_approval_since is not None
    notice = db.session.scalar(select(Notification).where(Notification.user_id == admin.id))
    assert (notice.kind, notice.target_id) == ("registration.pending", nia.id)

    # Confirming the address does not sign them in, and neither does the password.
    (verify,) = outbox.to(NEWCOMER)
    link = outbox.link(verify, "/auth/verify/")
    response = browser.submit(link, {})
    assert response.headers["Location"].endswith("/auth/login")
    assert browser.get("/settings").status_code == 302
    response = browser.submit("/auth/login", {"email": NEWCOMER, "password": PASSWORD})
    assert response.status_code == 403
    assert "waiting for an admin's approval" in text_of(response.get_data(as_text=True))
    # Nobody else sees the account meanwhile.
    browser.login(admin.email)
    assert "Nia Newcomer" not in browser.get("/members").get_data(as_text=True)


def test_an_admin_approves_and_the_member_can_sign_in(browser, admin, outbox):
    set_mode("approval")
    register(browser)
    nia = registered(NEWCOMER)
    browser.submit(outbox.link(outbox.to(NEWCOMER)[0], "/auth/verify/"), {})
    browser.login(admin.email)
    listing = text_of(browser.get("/admin/members?state=awaiting").get_data(as_text=True))
    assert "1 registration waiting for approval" in listing
    assert "Nia Newcomer" in listing
    page = f"/admin/members/{nia.id}"
    response = browser.submit(page, {}, f"{page}/approve")
    assert response.status_code == 302
    assert registered(NEWCOMER).awaiting_approval_since is None
    assert any(m["Subject"] == "Your account is approved" for m in outbox.to(NEWCOMER))
    assert "Ada Admin approved the registration of Nia Newcomer" in text_of(
        browser.get("/admin").get_data(as_text=True)
    )
    # The notice is gone for the admins: nothing waits any more.
    assert "asked to join" not in browser.get("/notifications").get_data(as_text=True)
    browser.logout()
    browser.login(NEWCOMER)


def test_an_admin_declines_and_the_account_is_removed(browser, admin, outbox):
    set_mode("approval")
    register(browser)
    nia = registered(NEWCOMER)
    browser.login(admin.email)
    page = f"/admin/members/{nia.id}"
    response = browser.submit(page, {}, f"{page}/decline")
    assert response.status_code == 302
    assert registered(NEWCOMER) is None
    assert any("not approved" in m["Subject"] for m in outbox.to(NEWCOMER))
    assert "Ada Admin declined the registration of Nia Newcomer" in text_of(
        browser.get("/admin").get_data(as_text=True)
    )


def test_approving_twice_is_refused_with_a_message(browser, admin):
    sam = make_user("Sam Member")
    browser.login(admin.email)
    page = f"/admin/members/{sam.id}"
    assert browser.submit(page, {}, f"{page}/approve").status_code == 302
    assert "is not waiting for approval" in text_of(browser.get(page).get_data(as_text=True))


# --- invitation only ------------------------------------------------------------------------


def test_invitation_only_shows_no_form_and_creates_nothing(browser, communities):
    with atomic():
        row = settings_for_update()
        row.registration_mode = "invitation"
        row.contact_email = "hello@example.org"
    page = browser.get("/auth/register")
    assert page.status_code == 200
    text = text_of(page.get_data(as_text=True))
    assert "is by invitation" in text
    assert "hello@example.org" in text
    assert 'name="email"' not in page.get_data(as_text=True)
    before = user_count()
    # (The form a visitor kept open from before the change: any page's CSRF token will do.)
    response = browser.submit("/auth/login", {"email": NEWCOMER, **FORM}, "/auth/register")
    assert response.status_code == 403
    assert user_count() == before


def test_the_invitee_joins_from_the_link_signed_in_and_confirmed(browser, admin, outbox):
    set_mode("invitation")
    invite(admin, message="Come and talk procurement.")
    (mail,) = outbox.to(NEWCOMER)
    assert mail["Subject"] == "Ada Admin invites you to join Commons"
    assert "Come and talk procurement." in outbox.text(mail)
    link = outbox.link(mail, "/auth/invitation/")
    page = text_of(browser.get(link).get_data(as_text=True))
    assert "Ada Admin invited newcomer@example.org to join" in page
    response = browser.submit(link, FORM)
    assert response.status_code == 302
    nia = registered(NEWCOMER)
    assert nia.verified_at is not None
    assert nia.awaiting_approval_since is None
    assert browser.get("/settings").status_code == 200  # signed in
    invitation = db.session.scalar(select(Invitation))
    assert invitation.accepted_user_id == nia.id
    assert invitations.state(invitation) == "accepted"
    # The link works once.
    browser.logout()
    again = browser.get(link)
    assert again.status_code == 400
    assert invitations.USED in text_of(again.get_data(as_text=True))


def test_an_invitee_skips_approval(browser, admin, outbox):
    set_mode("approval")
    invite(admin)
    link = outbox.link(outbox.to(NEWCOMER)[0], "/auth/invitation/")
    assert browser.submit(link, FORM).status_code == 302
    assert registered(NEWCOMER).awaiting_approval_since is None


def test_a_bad_form_keeps_what_was_typed(browser, admin, outbox):
    invite(admin)
    link = outbox.link(outbox.to(NEWCOMER)[0], "/auth/invitation/")
    response = browser.submit(link, {**FORM, "confirm": "something else"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "The passwords do not match." in text_of(html)
    assert 'value="Nia Newcomer"' in html
    assert registered(NEWCOMER) is None


@pytest.mark.parametrize("how", ["expired", "revoked", "resent", "broken"])
def test_a_link_that_no_longer_works_says_why(browser, admin, outbox, how):
    invitation = invite(admin)
    link = outbox.link(outbox.to(NEWCOMER)[0], "/auth/invitation/")
    with atomic():
        row = db.session.get(Invitation, invitation.id)
        if how == "expired":
            row.expires_at = utcnow() - timedelta(minutes=1)
        elif how == "revoked":
            invitations.revoke(db.session.get(User, admin.id), row.id)
        elif how == "resent":
            invitations.resend(db.session.get(User, admin.id), row.id)
    if how == "broken":
        link = link[:-4]
    response = browser.get(link)
    assert response.status_code == 400
    expected = {
        "expired": invitations.EXPIRED,
        "revoked": invitations.REVOKED,
        "resent": invitations.BROKEN,
        "broken": invitations.BROKEN,
    }[how]
    assert expected in text_of(response.get_data(as_text=True))
    assert browser.submit("/auth/login", FORM, link).status_code == 400
    assert registered(NEWCOMER) is None


def test_a_resent_invitation_has_a_new_link_that_works(browser, admin, outbox):
    invitation = invite(admin)
    browser.login(admin.email)
    browser.submit("/admin/invitations", {}, f"/admin/invitations/{invitation.id}/resend")
    first, second = outbox.to(NEWCOMER)
    assert outbox.link(first, "/invitation/") != outbox.link(second, "/invitation/")
    browser.logout()
    assert browser.submit(outbox.link(second, "/auth/invitation/"), FORM).status_code == 302


@pytest.mark.parametrize(
    ("email", "message", "error"),
    [
        ("ada@example.org", "", "Someone has registered with that address already."),
        ("not an address", "", "Enter a valid email address"),
        (NEWCOMER, "x" * 1001, "A message has at most 1000 characters."),
    ],
)
def test_bad_invitations_are_refused_with_the_form_kept(browser, admin, email, message, error):
    browser.login(admin.email)
    response = browser.submit("/admin/invitations", {"email": email, "message": message})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert error in text_of(html)
    assert "x" * 50 in html if message else email in html
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 0


def test_inviting_an_address_twice_points_at_the_open_invitation(browser, admin):
    invite(admin)
    browser.login(admin.email)
    response = browser.submit("/admin/invitations", {"email": NEWCOMER.upper()})
    assert response.status_code == 400
    assert "has an open invitation already" in text_of(response.get_data(as_text=True))


def test_the_list_shows_each_state_and_the_log_each_action(browser, admin, outbox):
    open_one = invite(admin, "open@example.org")
    withdrawn = invite(admin, "gone@example.org")
    browser.login(admin.email)
    browser.submit("/admin/invitations", {}, f"/admin/invitations/{withdrawn.id}/revoke")
    page = text_of(browser.get("/admin/invitations").get_data(as_text=True))
    assert "open@example.org Ada Admin" in page
    assert "Open until" in page
    assert "Withdrawn" in page
    log = text_of(browser.get("/admin").get_data(as_text=True))
    assert "Ada Admin sent the invitation to open@example.org" in log
    assert "Ada Admin withdrew the invitation to gone@example.org" in log
    assert open_one.id != withdrawn.id
