import pytest

from tests.factories import make_user


@pytest.fixture
def alice(communities):
    """A member of Procurement and Health, on a weekly digest (the default)."""
    return make_user(
        "Alice Member", email="alice@example.org", communities=("procurement", "health")
    )


@pytest.fixture
def bob(communities):
    """A member of Procurement."""
    return make_user("Bob Member", email="bob@example.org", communities=("procurement",))
