"""Other domains' sections of the /mod page (the resources waiting for review, …).

A domain registers a section once: the template that renders it (included in
moderation/index.html), a function giving that template's context for one moderator and
the page's community filter, and one counting what waits there for a moderator (added to
the header's count). The queue page names no domain.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # by name only: the domains that register import this module early
    from ..accounts.models import User


@dataclass(frozen=True)
class Section:
    template: str
    # (moderator, community_id or None) -> the template's context (`section` in it)
    context: Callable[["User", int | None], dict]
    count: Callable[["User"], int]  # what waits in it for this moderator


_sections: dict[str, Section] = {}


def register_section(name: str, *, template: str, context, count) -> None:
    """Show a section on /mod: `template`, with `section` = context(user, community_id);
    count(user) is added to the moderator's header count."""
    _sections[name] = Section(template, context, count)


def waiting(user: "User") -> int:
    """What waits for the moderator in every registered section."""
    return sum(s.count(user) for s in _sections.values())


def rendered(user: "User", community_id: int | None) -> list[tuple[str, dict]]:
    """(template, context) of every registered section, in registration order."""
    return [(s.template, s.context(user, community_id)) for s in _sections.values()]
