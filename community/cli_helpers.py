"""Running actions from the command line: one transaction, domain errors as clean messages."""

from collections.abc import Callable

import click

from .db import atomic
from .errors import DomainError


def run_action(fn: Callable, *args, _hints: dict[str, str] | None = None, **kwargs):
    """Call an action in its own transaction; a DomainError becomes a click error (exit 1).

    `_hints` adds a command-line hint to an error about a given field (the web form's
    wording names fields the command spells as options).
    """
    try:
        with atomic():
            return fn(*args, **kwargs)
    except DomainError as exc:
        hint = (_hints or {}).get(exc.field or "", "")
        raise click.ClickException(exc.message + hint) from exc
