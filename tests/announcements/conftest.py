from datetime import timedelta

import pytest

from community.accounts.models import User
from community.announcements import actions
from community.announcements.models import Announcement
from community.db import atomic, utcnow
from community.extensions import db
from tests.factories import make_user

HOUR = timedelta(hours=1)
WALL = "%Y-%m-%dT%H:%M"


@pytest.fixture
def alice(communities):
    """A member of Procurement."""
    return make_user("Alice Member", email="alice@example.org", communities=("procurement",))


@pytest.fixture
def bob(communities):
    """A member of Health."""
    return make_user("Bob Member", email="bob@example.org", communities=("health",))


def live(user: User) -> User:
    db.session.rollback()
    return db.session.get(User, user.id)


def announce(
    admin,
    *,
    title="Office move",
    body="We move on **Monday**.",
    audience="everyone",
    starts=None,
    ends=None,
    banner=True,
) -> Announcement:
    """An announcement made through the action, its banner (UTC times) showing now unless
    told otherwise."""
    now = utcnow()
    if banner:
        starts = starts if starts is not None else now - HOUR
        ends = ends if ends is not None else now + HOUR
    details = actions.AnnouncementDetails(
        title=title, body=body, audience=audience, banner_from=starts, banner_until=ends,
        timezone="UTC",
    )  # fmt: skip
    with atomic():
        made = actions.create_announcement(live(admin), details)
    return db.session.get(Announcement, made.id)


def ask_email(admin, announcement_id: int) -> None:
    with atomic():
        actions.request_email(live(admin), announcement_id)
