"""The cast of the moderation tests: Procurement's members, its moderator, one of Health."""

import pytest

from tests.factories import make_moderator, make_user


@pytest.fixture
def alice(communities):
    """A member of Procurement, who writes what gets flagged."""
    return make_user("Alice Author", email="alice@example.org", communities=("procurement",))


@pytest.fixture
def flaggers(communities):
    """Three members of Procurement (the default threshold)."""
    return [
        make_user(name, email=f"{name.split()[0].lower()}@example.org",
                  communities=("procurement",))
        for name in ("Fay Flagger", "Gus Flagger", "Hal Flagger")
    ]  # fmt: skip


@pytest.fixture
def reader(communities):
    """A fourth member, who only reads."""
    return make_user("Rita Reader", email="rita@example.org", communities=("procurement",))


@pytest.fixture
def other_mod(communities):
    return make_moderator("health", make_user("Hugo Health", email="hugo@example.org"))
