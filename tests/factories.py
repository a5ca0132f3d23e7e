"""Test data, made through the real actions so counters and memberships stay right."""

import itertools
from datetime import timedelta

from community.accounts import actions as account_actions
from community.accounts.models import User
from community.communities import actions as community_actions
from community.db import atomic, utcnow
from community.extensions import db

PASSWORD = "correct horse battery"
_counter = itertools.count(1)


def make_user(
    name: str | None = None,
    *,
    email: str | None = None,
    password: str = PASSWORD,
    verified: bool = True,
    admin: bool = False,
    organisation: str = "other",
    organisation_other: str = "Test Organisation",
    communities: tuple[str, ...] = (),
) -> User:
    n = next(_counter)
    name = name or f"Member {n}"
    email = email or f"member{n}@example.org"
    with atomic():
        user = account_actions.register(
            email=email,
            display_name=name,
            password=password,
            organisation=organisation,
            organisation_other=organisation_other,
        )
        assert user is not None, f"{email} is already registered"
        if verified:
            user.verified_at = utcnow()
        if admin:
            user.site_role = "admin"
    for slug in communities:
        join(user, slug)
    return db.session.get(User, user.id)


def join(user: User, slug: str):
    with atomic():
        return community_actions.join_community(db.session.get(User, user.id), slug)


def make_moderator(slug: str, user: User | None = None) -> User:
    user = user or make_user()
    admin = make_user(admin=True)
    with atomic():
        community_actions.add_moderator(admin, slug, email=user.email)
    return db.session.get(User, user.id)


def make_event(
    organiser: User,
    *,
    community: str | None = "procurement",
    title: str = "Networking day",
    starts_in: timedelta = timedelta(days=7),
    length: timedelta = timedelta(hours=2),
    timezone: str = "Europe/London",
    location: str = "Civic Centre, Newport",
    join_url: str | None = None,
    capacity: int | None = None,
    description: str = "",
    allow_past: bool = False,
):
    """An event through `create_event`, starting `starts_in` from now (UTC wall clock given
    in `timezone`)."""
    from community.events import actions as event_actions
    from community.events.rules import to_local

    starts = to_local(utcnow() + starts_in, timezone).replace(tzinfo=None, microsecond=0)
    with atomic():
        event = event_actions.create_event(
            db.session.get(User, organiser.id),
            event_actions.EventDetails(
                title=title,
                starts=starts,
                ends=starts + length,
                timezone=timezone,
                description=description,
                community=community,
                location=location,
                join_url=join_url,
                capacity=capacity,
            ),
            allow_past=allow_past,
        )
        return event.id
