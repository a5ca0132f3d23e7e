"""The sections of an event's page, registered by the parts of events that own them (its
RSVPs, calendar links, live room, record, feedback), so the page's view names none of them.

A panel is a template and a function giving its context for one event and one reader, or
None when the panel has nothing to show that reader. The event page shows the panels in
`order`, each template rendered with its context's keys as its variables (`rendered`).

The page (templates/events/show.html) places the rendered panels inside the event's
<article>, after its details. A panel's template sees the dict its function returned as its
variables, and the template globals (`current_user`, `csrf_token()`); it is one
`<section aria-labelledby="…">` with an <h2> (the page's title is the only <h1>); its forms
POST to its own routes, with their CSRF token, and work without JavaScript.
"""

from collections.abc import Callable
from dataclasses import dataclass

from flask import render_template
from markupsafe import Markup

from ..accounts.models import User
from .models import Event


@dataclass(frozen=True)
class Panel:
    name: str
    order: int
    template: str
    context: Callable[[Event, User | None], dict | None]


_panels: dict[str, Panel] = {}


def register_panel(name: str, *, order: int, template: str, context) -> None:
    """Show `template` on every event page (at `order`), with `context(event, user)`."""
    _panels[name] = Panel(name, order, template, context)


def shown(event: Event, user: User | None) -> list[tuple[str, dict]]:
    """(template, context) of each panel with something to show this reader, in order."""
    out = []
    for panel in sorted(_panels.values(), key=lambda p: p.order):
        context = panel.context(event, user)
        if context is not None:
            out.append((panel.template, context))
    return out


def rendered(event: Event, user: User | None) -> list[Markup]:
    """Each shown panel's HTML, in order, for the event page to place."""
    # Rendered by Jinja with autoescaping: safe to place as it is.
    return [
        Markup(render_template(t, **context))  # noqa: S704
        for t, context in shown(event, user)
    ]
