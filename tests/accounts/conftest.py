"""Helpers for the accounts tests."""

import re

import pytest

from community.accounts import actions
from community.accounts.models import Organisation, User
from community.db import atomic, utcnow
from community.extensions import db
from tests.factories import PASSWORD, make_user

__all__ = ["PASSWORD", "make_user"]


def reload(user: User) -> User:
    """The member as the database has them now, after requests that ran in other sessions
    (ending the test's own read transaction first: on SQLite it would see an old snapshot)."""
    db.session.rollback()
    return db.session.get(User, user.id)


def suspend(user: User) -> User:
    # No suspend action exists yet (moderation is a later capability): set the column.
    with atomic():
        db.session.get(User, user.id).suspended_at = utcnow()
    return reload(user)


def make_org(name: str, **fields) -> Organisation:
    with atomic():
        org = actions.create_organisation(name=name, **fields)
    return db.session.get(Organisation, org.id)


def is_signed_in(client) -> bool:
    """Whether the client's next request is a signed-in one (settings need a member)."""
    response = client.get("/settings")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def field_error(html: str, field_id: str) -> str:
    """The error text shown under a field (tied to it by aria-describedby), or ""."""
    match = re.search(rf'<p class="field-error" id="{field_id}-error">(.*?)</p>', html, re.S)
    if not match:
        return ""
    text = re.sub(r"<[^>]+>", "", match.group(1))
    return text.removeprefix("Error: ").strip()


def mails_since(outbox, before: int) -> list:
    return outbox.deliver()[before:]


@pytest.fixture
def member(app):
    return make_user("Ada Member", email="ada@example.org")


@pytest.fixture
def signed_in(browser, member):
    browser.login(member.email)
    return browser
