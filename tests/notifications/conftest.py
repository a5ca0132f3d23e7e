"""The thread tests' members serve the notification tests too (the moderator and the
stranger are everyone's: tests/conftest.py)."""

from tests.threads.conftest import alice, bob

__all__ = ["alice", "bob"]
