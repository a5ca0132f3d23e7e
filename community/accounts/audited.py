"""How members are named in the audit trail, and how suspensions read."""

from sqlalchemy import select

from ..extensions import db
from ..moderation.wording import register_action, register_target
from .models import User

REASON_SHOWN = 120  # characters of a reason shown in the audit list


def _names(ids: set[int]) -> dict[int, str]:
    return dict(
        db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all()
    )


def _reason(fields: dict) -> str:
    reason = " ".join(str(fields.get("reason", "")).split())
    if len(reason) > REASON_SHOWN:
        reason = reason[: REASON_SHOWN - 1] + "…"
    return f": “{reason}”" if reason else ""


def _suspended(fields: dict) -> str:
    until = f" until {fields['until']}" if fields.get("until") else ""
    return f"suspended {fields['target']}{until}{_reason(fields)}"


def _unsuspended(fields: dict) -> str:
    if fields.get("lapsed"):
        return f"lifted the lapsed suspension of {fields['target']}"
    return f"lifted the suspension of {fields['target']}"


register_target("member", names=_names, gone="a member since removed", label="Suspensions")
register_action("member.suspend", _suspended)
register_action("member.unsuspend", _unsuspended)
