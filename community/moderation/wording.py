"""How audited actions read on /admin: "Ada Lovelace asked for changes to the resource
“Social value toolkit” in Procurement".

The domain that owns a kind of target registers how its targets are named (in one query
for many ids), and each domain registers how its audited actions read. An entry's sentence
is its actor, the action's phrase, and " in <community>" when the action concerns one.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class TargetNames:
    names: Callable[[set[int]], dict[int, str]]  # ids → noun phrases ("the thread “Budgets”")
    gone: str  # how a target reads once it no longer exists
    label: str | None = None  # the log's kind for actions named "<kind>.…" without their own


@dataclass(frozen=True)
class Wording:
    # A format string of the entry's fields ({target}, the detail's values, and each ref by
    # its name without "_id"), or a function of those fields giving the phrase.
    phrase: str | Callable[[dict], str]
    refs: dict[str, str] = field(default_factory=dict)  # detail field → target kind it names
    in_community: bool = True  # add " in <community>" (off when the phrase names it)
    label: str | None = None  # the kind it is filed under in the log ("Suspensions")


_targets: dict[str, TargetNames] = {}
_actions: dict[str, Wording] = {}


def register_target(
    kind: str,
    *,
    names: Callable[[set[int]], dict[int, str]],
    gone: str,
    label: str | None = None,
):
    """Let audit entries name targets of `kind` (the target's domain calls this once).
    `label` files the actions named "<kind>.…" that have no label of their own."""
    _targets[kind] = TargetNames(names=names, gone=gone, label=label)


def register_action(
    action: str,
    phrase: str | Callable[[dict], str],
    *,
    refs: dict[str, str] | None = None,
    in_community: bool | None = None,
    label: str | None = None,
) -> None:
    """How `action` reads after its actor's name: "pinned {target}". `refs` names detail
    fields holding other targets' ids: {"user_id": "member"} gives the field "{user}".
    `label` is the kind of action the log files it under (default: its target kind's)."""
    if in_community is None:
        in_community = not (isinstance(phrase, str) and "{community}" in phrase)
    _actions[action] = Wording(phrase, refs or {}, in_community, label)


def wording(action: str) -> Wording | None:
    return _actions.get(action)


def target_names(kind: str) -> TargetNames | None:
    return _targets.get(kind)


def actions() -> dict[str, Wording]:
    return dict(_actions)


def label(action: str) -> str | None:
    """The kind of action `action` is filed under in the log: its own label, else that of
    the target kind its name starts with ("thread.pin" → the "thread" target's)."""
    found = _actions.get(action)
    if found is not None and found.label:
        return found.label
    target = _targets.get(action.partition(".")[0])
    return target.label if target is not None else None


@dataclass(frozen=True)
class Kind:
    label: str
    actions: tuple[str, ...]


def kinds() -> dict[str, Kind]:
    """The log's kinds of action by their key in URLs ("flag-decisions"), by label."""
    grouped: dict[str, list[str]] = {}
    for action in sorted(_actions):
        found = label(action)
        if found:
            grouped.setdefault(found, []).append(action)
    return {_slug(name): Kind(name, tuple(members)) for name, members in sorted(grouped.items())}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def listed(words: list[str]) -> str:
    """ "a, b and c"."""
    return " and ".join([", ".join(words[:-1]), words[-1]] if len(words) > 1 else words)


def renamed_or_changed(fields: dict, noun: str, named: str, *, of: str | None = None) -> str:
    """How an edit of a named thing reads, from its entry's "changed" and "old_name": "renamed
    the community “A” to B (and changed its description)" or "changed the description of B".
    `noun` ("the community") names its old name; `named` is how it is named now, and `of`
    how the second form names it (default: `named`)."""
    changed = [str(c) for c in fields.get("changed") or []]
    others = [c for c in changed if c != "name"]
    if fields.get("old_name"):
        said = f"renamed {noun} “{fields['old_name']}” to {named}"
        return said + (f" (and changed its {listed(others)})" if others else "")
    return f"changed the {listed(others or ['details'])} of {of or named}"
