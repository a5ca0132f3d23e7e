"""How the site settings' changes read in the audit log."""

from ..moderation.wording import register_action, register_target

MODE_WORDS = {
    "open": "open to anyone",
    "approval": "open, with an admin's approval of each account",
    "invitation": "by invitation only",
}


def _settings_changed(fields: dict) -> str:
    parts = []
    if fields.get("site_name"):
        parts.append(f"renamed the site “{fields['site_name']}”")
    if "contact_email" in fields and fields.get("contact_email") is not None:
        contact = fields["contact_email"]
        parts.append(f"set the contact address to {contact}" if contact
                     else "removed the contact address")  # fmt: skip
    if fields.get("registration_mode"):
        mode = MODE_WORDS.get(fields["registration_mode"], fields["registration_mode"])
        parts.append(f"made registration {mode}")
    if "health_public" in fields and fields.get("health_public") != "":
        parts.append("published the network health summary" if fields["health_public"]
                     else "took the network health summary down")  # fmt: skip
    return "; ".join(parts) or "saved the site settings"


register_target("site", names=lambda ids: {}, gone="the site", label="Site settings")
register_action("site.settings", _settings_changed, in_community=False)
