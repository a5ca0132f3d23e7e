"""Reads of the audit trail: the latest entries, worded for people."""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..extensions import db
from . import wording
from .models import AuditLog

COMMAND_LINE = "the command line"
AUTOMATIC = "Commons"  # an action the site took by itself, as flags reaching the threshold
REMOVED_COMMUNITY = "a community since removed"


@dataclass
class AuditEntry:
    created_at: datetime
    actor: str
    text: str  # the whole sentence, actor first
    community_id: int | None
    action: str = ""  # as recorded: "thread.pin"
    label: str | None = None  # its kind in the log: "Threads"
    target: str = ""  # "the thread “Budgets”"
    community: str | None = None  # its name; None for a site-wide action
    # The recorded detail for people: other targets by name ("user": "Bob Builder").
    details: dict[str, str] = field(default_factory=dict)


def recent_audit(limit: int = 50) -> list[AuditEntry]:
    """The latest audit entries, worded for people, in one query per kind of target named."""
    rows = list(
        db.session.scalars(
            select(AuditLog)
            .options(joinedload(AuditLog.actor))
            .order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
            .limit(limit)
        )
    )
    return worded(rows)


def worded(rows: list[AuditLog]) -> list[AuditEntry]:
    """Audit rows as entries for people, naming their targets in one query per kind."""
    names = _names(rows)
    return [_entry(row, names) for row in rows]


def _detail(row: AuditLog) -> dict:
    return row.detail if isinstance(row.detail, dict) else {}


def _references(row: AuditLog):
    """Every (kind, id) the entry's sentence names."""
    yield row.target_kind, row.target_id
    if row.community_id is not None:
        yield "community", row.community_id
    found = wording.wording(row.action)
    for name, kind in (found.refs if found else {}).items():
        yield kind, _detail(row).get(name)


def _names(rows: list[AuditLog]) -> dict[tuple[str, int], str]:
    wanted: dict[str, set[int]] = {}
    for row in rows:
        for kind, target_id in _references(row):
            if isinstance(target_id, int) and not isinstance(target_id, bool):
                wanted.setdefault(kind, set()).add(target_id)
    names: dict[tuple[str, int], str] = {}
    for kind, ids in wanted.items():
        registered = wording.target_names(kind)
        if registered is not None:
            names.update({(kind, i): name for i, name in registered.names(ids).items()})
    return names


def _name(names: dict, kind: str, target_id) -> str:
    if (kind, target_id) in names:
        return names[kind, target_id]
    registered = wording.target_names(kind)
    return registered.gone if registered else f"{kind.replace('_', ' ')} {target_id}"


class _Fields(dict):
    def __missing__(self, key: str) -> str:
        return ""  # an older entry without a field its wording now reads


def _entry(row: AuditLog, names: dict) -> AuditEntry:
    if row.actor:
        actor = row.actor.display_name
    else:
        actor = AUTOMATIC if _detail(row).get("automatic") else COMMAND_LINE
    found = wording.wording(row.action)
    community = (
        names.get(("community", row.community_id), REMOVED_COMMUNITY)
        if row.community_id is not None
        else None
    )
    fields = _Fields(
        {
            **{str(k): "" if v is None else v for k, v in _detail(row).items()},
            "target": _name(names, row.target_kind, row.target_id),
            "community": community or "",
        }
    )
    if found is None:
        phrase = f"did “{row.action}” to {fields['target']}"
        in_community = True
    else:
        for name, kind in found.refs.items():
            fields[name.removesuffix("_id")] = _name(names, kind, _detail(row).get(name))
        phrase = found.phrase(fields) if callable(found.phrase) else found.phrase.format_map(fields)
        in_community = found.in_community
    if in_community and community and row.target_kind != "community":
        phrase += f" in {community}"
    return AuditEntry(
        row.created_at,
        actor,
        f"{actor} {phrase}",
        row.community_id,
        action=row.action,
        label=wording.label(row.action),
        target=fields["target"],
        community=community,
        details=_details(row, fields, found.refs if found else {}),
    )


def _details(row: AuditLog, fields: dict, refs: dict[str, str]) -> dict[str, str]:
    shown = {}
    for key, value in _detail(row).items():
        if key in refs:
            key, value = key.removesuffix("_id"), fields[key.removesuffix("_id")]
        elif isinstance(value, list | tuple):
            value = ", ".join(str(v) for v in value)
        if value is not None and value != "" and value is not False:
            shown[str(key)] = str(value)
    return shown
