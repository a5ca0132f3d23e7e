"""The site pages' tests: a member who may not edit them (the admin is tests/conftest.py's)."""

import pytest

from tests.factories import make_user


@pytest.fixture
def member(communities):
    return make_user("Mo Member", email="mo@example.org", communities=("procurement",))
