"""The cast of the chat tests and helpers, through the real actions."""

import pytest

from community.db import atomic
from community.extensions import db
from tests.factories import make_user


@pytest.fixture
def ada(communities):
    return make_user("Ada Lovelace", email="ada@example.org", communities=("procurement",))


@pytest.fixture
def bob(communities):
    return make_user("Bob Builder", email="bob@example.org", communities=("procurement",))


def live(user):
    return db.session.get(type(user), user.id)


def run(action, user, *args, **kwargs):
    with atomic():
        return action(live(user), *args, **kwargs)
