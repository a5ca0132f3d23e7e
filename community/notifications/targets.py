"""What a notification points at, and how each kind of notification reads.

A notification names its target by kind and id ("post" 12, "chat_message" 40, "resource" 3).
The domain that owns a kind of target registers it once: where opening it leads, and a SQL
condition saying whether the target is still there and still visible to the notification's
recipient (correlated to `Notification`). Each kind of notification registers its wording
("mentioned you in"). Nothing stores a literal path: the link is built when it is opened.
"""

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement


@dataclass(frozen=True)
class TargetKind:
    link: Callable[[int], str | None]  # where opening the target goes (None: it is gone)
    visible: Callable[[], ColumnElement[bool]]  # still there and visible to its recipient


_targets: dict[str, TargetKind] = {}
_wording: dict[str, str] = {}
_email_category: dict[str, str | None] = {}
_system_actor: dict[str, str] = {}
_quoted: set[str] = set()


def register_target(kind: str, *, link, visible) -> None:
    """Let notifications point at targets of `kind` (the target's domain calls this once)."""
    _targets[kind] = TargetKind(link=link, visible=visible)


def register_wording(
    kind: str,
    phrase: str,
    *,
    email: str | None,
    system_actor: str | None = None,
    quoted: bool = False,
) -> None:
    """How a notification of `kind` reads between its actor and its subject ("Alice
    *mentioned you in* Budget planning"), and the email category that decides whether and
    when it is mailed (community/digests/choices.py; None: shown in the site only).
    `system_actor` names who acted when no member did ("Members' flags"). `quoted`: the
    subject is a title the phrase names ("published your resource “Toolkit”")."""
    _wording[kind] = phrase
    _email_category[kind] = email
    if system_actor:
        _system_actor[kind] = system_actor
    if quoted:
        _quoted.add(kind)
    else:
        _quoted.discard(kind)


def shown_subject(kind: str, subject: str) -> str:
    """The subject as the notice reads it: in quotes when its wording asks for them."""
    return f"“{subject}”" if kind in _quoted else subject


def system_actor(kind: str) -> str | None:
    return _system_actor.get(kind)


def target_kinds() -> dict[str, TargetKind]:
    return dict(_targets)


def target_kind(kind: str) -> TargetKind | None:
    return _targets.get(kind)


def phrase(kind: str) -> str:
    return _wording.get(kind, "notified you about")


def email_category(kind: str) -> str | None:
    """The email category of a notification kind (None: never mailed)."""
    return _email_category.get(kind)
