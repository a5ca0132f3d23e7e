"""How events are named in the audit trail, and how their audited actions read."""

from sqlalchemy import select

from ..extensions import db
from ..moderation.wording import register_action, register_target
from .models import Event


def _names(ids: set[int]) -> dict[int, str]:
    return dict(db.session.execute(select(Event.id, Event.title).where(Event.id.in_(ids))).all())


register_target("event", names=_names, gone="an event since removed")
register_action("event.create", "created the event {target}")
