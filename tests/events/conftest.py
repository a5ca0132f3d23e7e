"""The cast of the event tests, in the seeded communities."""

import pytest

from tests.factories import make_user


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
