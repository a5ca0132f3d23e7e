"""Rate-limit counts in a Redis that other sites use too: each site counts its own members
(member 7 of one site is not member 7 of another)."""

import uuid

import pytest

from community import ratelimits


@pytest.fixture
def counts_in_redis(app, redis_url):
    app.config["RATELIMIT_STORAGE_URI"] = redis_url
    app.extensions.pop("commons_rate_limiter", None)  # made again, on that storage
    yield
    app.extensions.pop("commons_rate_limiter", None)


def test_two_sites_on_one_redis_count_apart(app, counts_in_redis):
    member = uuid.uuid4().hex  # a fresh key on every run: the Redis outlives the test
    own_prefix = app.config["RATELIMIT_KEY_PREFIX"]
    assert ratelimits.hit("1 per minute", "chat_send", member) is True
    assert ratelimits.hit("1 per minute", "chat_send", member) is False
    app.config["RATELIMIT_KEY_PREFIX"] = "another-site"
    try:
        assert ratelimits.hit("1 per minute", "chat_send", member) is True
    finally:
        app.config["RATELIMIT_KEY_PREFIX"] = own_prefix
