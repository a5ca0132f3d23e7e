"""The cast of the resource tests, in the seeded communities."""

import pytest

from tests.factories import make_moderator, make_user


@pytest.fixture
def alice(communities):
    """A member of Procurement, who shares most resources."""
    return make_user("Alice Author", email="alice@example.org", communities=("procurement",))


@pytest.fixture
def bob(communities):
    """Another member of Procurement."""
    return make_user("Bob Reader", email="bob@example.org", communities=("procurement",))


@pytest.fixture
def other_mod(communities):
    """A moderator of Finance only."""
    return make_moderator("finance", make_user("Fred Finance", email="fred@example.org"))
