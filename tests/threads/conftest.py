"""Members for the thread tests: made through the real actions, in the seeded communities."""

import pytest

from tests.factories import make_user


@pytest.fixture
def alice(communities):
    """A member of Procurement, who starts most threads."""
    return make_user("Alice Author", email="alice@example.org", communities=("procurement",))


@pytest.fixture
def bob(communities):
    """A second member of Procurement."""
    return make_user("Bob Reader", email="bob@example.org", communities=("procurement",))
