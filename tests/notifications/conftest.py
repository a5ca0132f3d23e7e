"""The thread tests' members serve the notification tests too."""

from tests.threads.conftest import alice, bob, mod, stranger

__all__ = ["alice", "bob", "mod", "stranger"]
