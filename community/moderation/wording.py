"""How audited actions read on /admin: "Ada Lovelace asked for changes to the resource
“Social value toolkit” in Procurement".

The domain that owns a kind of target registers how its targets are named (in one query
for many ids), and each domain registers how its audited actions read. An entry's sentence
is its actor, the action's phrase, and " in <community>" when the action concerns one.
"""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class TargetNames:
    names: Callable[[set[int]], dict[int, str]]  # ids → noun phrases ("the thread “Budgets”")
    gone: str  # how a target reads once it no longer exists


@dataclass(frozen=True)
class Wording:
    # A format string of the entry's fields ({target}, the detail's values, and each ref by
    # its name without "_id"), or a function of those fields giving the phrase.
    phrase: str | Callable[[dict], str]
    refs: dict[str, str] = field(default_factory=dict)  # detail field → target kind it names
    in_community: bool = True  # add " in <community>" (off when the phrase names it)


_targets: dict[str, TargetNames] = {}
_actions: dict[str, Wording] = {}


def register_target(kind: str, *, names: Callable[[set[int]], dict[int, str]], gone: str):
    """Let audit entries name targets of `kind` (the target's domain calls this once)."""
    _targets[kind] = TargetNames(names=names, gone=gone)


def register_action(
    action: str,
    phrase: str | Callable[[dict], str],
    *,
    refs: dict[str, str] | None = None,
    in_community: bool | None = None,
) -> None:
    """How `action` reads after its actor's name: "pinned {target}". `refs` names detail
    fields holding other targets' ids: {"user_id": "member"} gives the field "{user}"."""
    if in_community is None:
        in_community = not (isinstance(phrase, str) and "{community}" in phrase)
    _actions[action] = Wording(phrase, refs or {}, in_community)


def wording(action: str) -> Wording | None:
    return _actions.get(action)


def target_names(kind: str) -> TargetNames | None:
    return _targets.get(kind)


def actions() -> dict[str, Wording]:
    return dict(_actions)
