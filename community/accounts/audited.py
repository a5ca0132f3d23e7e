"""How members and organisations are named in the audit trail, and how suspensions and the
organisation list's changes read."""

from sqlalchemy import select

from ..extensions import db
from ..moderation.wording import register_action, register_target, renamed_or_changed
from .models import Invitation, Organisation, User

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


def _role(fields: dict) -> str:
    if fields.get("role") == "admin":
        return f"made {fields['target']} an admin"
    return f"took the admin role from {fields['target']}"


def _invitation_names(ids: set[int]) -> dict[int, str]:
    rows = db.session.execute(select(Invitation.id, Invitation.email).where(Invitation.id.in_(ids)))
    return {invitation_id: f"the invitation to {email}" for invitation_id, email in rows}


register_action("member.role", _role, in_community=False, label="Site roles")
register_action("member.approve", "approved the registration of {target}", in_community=False,
                label="Registrations")  # fmt: skip
register_action("member.decline", "declined the registration of {name}", in_community=False,
                label="Registrations")  # fmt: skip
register_action("member.resend_verification", "sent a new confirmation link to {target}",
                in_community=False, label="Registrations")  # fmt: skip
register_target("invitation", names=_invitation_names, gone="an invitation since removed",
                label="Invitations")  # fmt: skip
register_action("invitation.send", "sent {target}", in_community=False)
register_action("invitation.resend", "sent again {target}", in_community=False)
register_action("invitation.revoke", "withdrew {target}", in_community=False)


# --- organisations (accounts/organisations.py) ----------------------------------------------

ORGANISATION_GONE = "an organisation since merged away"


def _organisation_names(ids: set[int]) -> dict[int, str]:
    rows = db.session.execute(
        select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids))
    )
    return {org_id: f"“{name}”" for org_id, name in rows}


def _organisation(fields: dict) -> str:
    """The organisation by its name now, or by the name it had (merged away since)."""
    if fields["target"] != ORGANISATION_GONE or not fields.get("name"):
        return fields["target"]
    return f"“{fields['name']}”"


def _counted(n, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _organisation_edited(fields: dict) -> str:
    named = _organisation(fields)
    return renamed_or_changed(fields, "the organisation", named, of=f"the organisation {named}")


def _organisation_merged(fields: dict) -> str:
    into = fields["target"]
    if into == ORGANISATION_GONE and fields.get("survivor"):
        into = f"“{fields['survivor']}”"
    moved = f"{_counted(fields['members'], 'member')}, {_counted(fields['resources'], 'resource')}"
    return f"merged the organisation “{fields['merged']}” into {into} ({moved} moved)"


register_target(
    "organisation", names=_organisation_names, gone=ORGANISATION_GONE, label="Organisations"
)
register_action(
    "organisation.create", lambda f: f"added the organisation {_organisation(f)} to the list"
)
register_action("organisation.edit", _organisation_edited)
register_action("organisation.merge", _organisation_merged)
