"""How events are named in the audit trail, and how their audited actions read."""

from sqlalchemy import select

from ..extensions import db
from ..moderation.wording import register_action, register_target
from .models import Event


def _names(ids: set[int]) -> dict[int, str]:
    """ "the event “Networking day”": as the flag decisions name it too (flaggable.py)."""
    rows = db.session.execute(select(Event.id, Event.title).where(Event.id.in_(ids)))
    return {event_id: f"the event “{title}”" for event_id, title in rows}


register_target("event", names=_names, gone="an event since removed", label="Events")
register_action("event.create", "created {target}")

_CHANGE_WORDS = {"time": "time", "place": "place", "capacity": "capacity", "details": "details"}


def _edited(fields: dict) -> str:
    changed = [_CHANGE_WORDS[c] for c in fields.get("changes") or () if c in _CHANGE_WORDS]
    what = f" ({', '.join(changed)})" if changed else ""
    return f"changed {fields['target']}{what}"


register_action("event.edit", _edited)
register_action("event.cancel", "cancelled {target}")
