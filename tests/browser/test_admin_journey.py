"""Administration, end to end in Chromium: an admin makes the site invitation-only, invites
an address; a visitor without an invitation finds no way in; the invitee opens the emailed
link, creates their account and is signed in at once; the admin refreshes the network
health figures and sees the new member counted (every page checked by axe)."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from community.accounts.models import User
from community.db import atomic, utcnow
from community.extensions import db
from tests.browser.conftest import sign_in
from tests.factories import make_user

pytestmark = pytest.mark.slow

INVITEE = "newcomer@example.org"


def test_admin_invites_a_newcomer_who_joins_and_is_counted(open_page, site):
    ada = make_user("Ada Admin", email="ada@example.org", admin=True)
    with atomic():  # an old hand: only the newcomer is new this week
        db.session.get(User, ada.id).created_at = utcnow() - timedelta(days=400)

    admin = open_page()
    sign_in(admin, ada.email)
    admin.get_by_role("link", name="Admin", exact=True).click()
    admin.get_by_role("link", name="Site settings").click()
    admin.get_by_label("Only people an admin invites by email").check()
    admin.get_by_role("button", name="Save the settings").click()
    expect(admin.get_by_text("The settings are saved.")).to_be_visible()

    visitor = open_page()
    visitor.goto("/auth/register")
    expect(visitor.get_by_role("heading", name=re.compile("is by invitation"))).to_be_visible()
    expect(visitor.get_by_label("Email address")).to_have_count(0)

    admin.goto("/admin")
    admin.get_by_role("link", name="Invitations").click()
    admin.get_by_label("Email address to invite").fill(INVITEE)
    admin.get_by_label("A message to include (optional)").fill("Do join the Health community.")
    admin.get_by_role("button", name="Send the invitation").click()
    expect(admin.get_by_text(f"The invitation is on its way to {INVITEE}.")).to_be_visible()
    expect(admin.get_by_role("row", name=re.compile(INVITEE))).to_contain_text("Open until")

    (mail,) = site.outbox.to(INVITEE)
    assert "Do join the Health community." in site.outbox.text(mail)
    invitee = open_page()
    invitee.goto(site.outbox.link(mail, "/auth/invitation/"))
    expect(invitee.get_by_text(INVITEE)).to_be_visible()
    invitee.get_by_label("Your name").fill("Nia Newcomer")
    other = "Other (type its name below)"
    invitee.get_by_label("Organisation", exact=True).select_option(label=other)
    invitee.get_by_label("Organisation name, if not listed").fill("Riverside Health Trust")
    invitee.get_by_label("Password", exact=True).fill("a long enough passphrase")
    invitee.get_by_label("Repeat the password").fill("a long enough passphrase")
    invitee.get_by_role("button", name="Create my account").click()
    expect(invitee.get_by_text("Welcome to Commons, Nia Newcomer.")).to_be_visible()

    admin.reload()
    expect(admin.get_by_role("row", name=re.compile(INVITEE))).to_contain_text("Accepted")
    admin.goto("/admin")
    admin.get_by_role("link", name="Network health").click()
    # The figures are a rollup: not counted until it runs (every 10 minutes, or now).
    expect(admin.get_by_role("heading", name="New members: 0")).to_be_visible()
    admin.get_by_role("button", name="Refresh now").click()
    expect(admin.get_by_role("heading", name="New members: 1")).to_be_visible()
    summary = admin.get_by_role("table", name="The network's figures over these days")
    expect(summary.get_by_role("row", name=re.compile("^New members"))).to_have_text(
        re.compile(r"New members\s*1$")
    )
