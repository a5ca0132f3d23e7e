import pytest

from tests.factories import make_moderator, make_user


@pytest.fixture
def mod(communities):
    """A moderator of Procurement."""
    return make_moderator("procurement", make_user("Mona Moderator", email="mona@example.org"))


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
