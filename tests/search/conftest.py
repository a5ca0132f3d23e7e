"""People and helpers for the search tests: content is made through the real thread actions."""

import pytest

from tests.factories import make_user


@pytest.fixture
def ada(communities):
    """A member of Procurement and Finance, who writes most of the content."""
    return make_user(
        "Ada Lovelace", email="ada@example.org", communities=("procurement", "finance")
    )


@pytest.fixture
def bob(communities):
    """A member of Procurement only."""
    return make_user("Bob Builder", email="bob@example.org", communities=("procurement",))


@pytest.fixture
def admin(communities):
    return make_user("Ann Admin", email="admin@example.org", admin=True)
