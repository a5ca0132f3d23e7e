"""Running actions from the command line: one transaction, domain errors as clean messages."""

from collections.abc import Callable

import click

from .db import atomic
from .errors import DomainError


def run_action(fn: Callable, *args, **kwargs):
    """Call an action in its own transaction; a DomainError becomes a click error (exit 1)."""
    try:
        with atomic():
            return fn(*args, **kwargs)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
