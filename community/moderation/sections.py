"""Other domains' sections of the /mod page (the resources waiting for review, …).

A domain registers a section once: the template that renders it (included in
moderation/index.html) and a function giving that template's context for one moderator and
the page's community filter. The queue page names no domain.
"""

from collections.abc import Callable
from dataclasses import dataclass

from ..accounts.models import User


@dataclass(frozen=True)
class Section:
    template: str
    # (moderator, community_id or None) -> the template's context (`section` in it)
    context: Callable[[User, int | None], dict]


_sections: dict[str, Section] = {}


def register_section(name: str, *, template: str, context) -> None:
    """Show a section on /mod: `template`, with `section` = context(user, community_id)."""
    _sections[name] = Section(template, context)


def rendered(user: User, community_id: int | None) -> list[tuple[str, dict]]:
    """(template, context) of every registered section, in registration order."""
    return [(s.template, s.context(user, community_id)) for s in _sections.values()]
