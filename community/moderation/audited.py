"""How decisions on flagged items read in the audit trail."""

from ..web import plural
from .wording import register_action


def _hidden(fields: dict) -> str:
    if fields.get("automatic"):
        return f"hid {fields['target']}{_in(fields)} when {_flagged_by(fields)} had flagged it"
    return _decided("hid", fields)


def _kept(fields: dict) -> str:
    return f"kept {fields['target']}{_in(fields)} and dismissed the flags{_because(fields)}"


def _deleted(fields: dict) -> str:
    return _decided("deleted", fields)


def _decided(verb: str, fields: dict) -> str:
    flagged = f"(flagged by {_flagged_by(fields)})"
    return f"{verb} {fields['target']}{_in(fields)} {flagged}{_because(fields)}"


def _flagged_by(fields: dict) -> str:
    count = fields.get("flags") or 0
    return plural(count, "member", "members") if count else "nobody still waiting"


def _in(fields: dict) -> str:
    return f" in {fields['community']}" if fields.get("community") else ""


def _because(fields: dict) -> str:
    return f": “{fields['reason']}”" if fields.get("reason") else ""


DECISIONS = "Flag decisions"

# Each names its community itself, before the flags and the reason.
register_action("flag.hide", _hidden, in_community=False, label=DECISIONS)
register_action("flag.keep", _kept, in_community=False, label=DECISIONS)
register_action("flag.delete", _deleted, in_community=False, label=DECISIONS)
register_action(
    "member.warn",
    lambda f: f"warned {f['target']} about {f['about']}{_in(f)}{_because(f)}",
    in_community=False,
    label="Warnings",
)
