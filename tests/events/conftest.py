"""The cast of the event tests, in the seeded communities."""

import pytest

from tests.factories import make_moderator, make_user


@pytest.fixture
def mod(communities):
    """A moderator of Procurement: organises its events."""
    return make_moderator("procurement", make_user("Mona Moderator", email="mona@example.org"))


@pytest.fixture
def alice(communities):
    """A member of Procurement."""
    return make_user(
        "Alice Member",
        email="alice@example.org",
        communities=("procurement",),
        organisation_other="Newport Social Enterprise",
    )


@pytest.fixture
def bob(communities):
    """Another member of Procurement, from another organisation."""
    return make_user(
        "Bob Member",
        email="bob@example.org",
        communities=("procurement",),
        organisation_other="Gwent Council",
    )


@pytest.fixture
def stranger(communities):
    """A confirmed account that belongs to no community."""
    return make_user("Sam Stranger", email="sam@example.org")


@pytest.fixture
def admin(communities):
    return make_user("Ada Admin", email="ada@example.org", admin=True)
