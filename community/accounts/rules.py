"""The rules for account fields, in one place: actions enforce them and forms reuse them."""

import unicodedata
from zoneinfo import available_timezones

from email_validator import EmailNotValidError, validate_email

from ..errors import Forbidden, Invalid

EMAIL_MAX = 254
NAME_MIN, NAME_MAX = 2, 80
PASSWORD_MIN, PASSWORD_MAX = 10, 256
BIO_MAX = 5000
ORGANISATION_MAX = 200
# The zones a member can choose: "Area/City" names and UTC. Left out: legacy aliases such as
# "US/Eastern" or "GB", "Etc/GMT+5" (whose sign is the opposite of what it looks like), and
# "localtime" and "Factory", which are not real places.
_AREAS = ("Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia",
          "Europe", "Indian", "Pacific")  # fmt: skip
TIMEZONES = frozenset(
    {"UTC"} | {z for z in available_timezones() if z.split("/", 1)[0] in _AREAS and "/" in z}
)


def without_controls(value: str | None) -> str:
    """The text without control characters other than whitespace (a NUL byte, for one,
    cannot be stored in PostgreSQL). Anything that is not a string counts as empty."""
    text = value if isinstance(value, str) else ""
    if text.isprintable():
        return text
    return "".join(c for c in text if c.isspace() or unicodedata.category(c) != "Cc")


def one_line(value: str | None) -> str:
    """Single-line text: control characters dropped and runs of whitespace made one space."""
    return " ".join(without_controls(value).split())


def normalise_email(value: str) -> str:
    return (value if isinstance(value, str) else "").strip().lower()


def check_email(value: str, field: str = "email") -> str:
    """A syntactically valid address (no DNS look-up), lower-cased."""
    email = normalise_email(value)
    if not email:
        raise Invalid("Enter your email address.", field=field)
    if len(email) > EMAIL_MAX:
        raise Invalid(f"An email address has at most {EMAIL_MAX} characters.", field=field)
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        raise Invalid("Enter a valid email address, like name@example.org.", field=field) from exc
    return email


def check_display_name(value: str) -> str:
    name = one_line(value)
    if len(name) < NAME_MIN:
        raise Invalid(f"Your name needs at least {NAME_MIN} characters.", field="display_name")
    if len(name) > NAME_MAX:
        raise Invalid(f"Your name can have at most {NAME_MAX} characters.", field="display_name")
    if not any(c.isalnum() for c in name):
        raise Invalid("Your name needs at least one letter.", field="display_name")
    return name


def check_password(value: str, field: str = "password") -> str:
    value = value or ""
    if len(value) < PASSWORD_MIN:
        raise Invalid(f"Choose a password of at least {PASSWORD_MIN} characters.", field=field)
    if len(value) > PASSWORD_MAX:
        raise Invalid(f"A password can have at most {PASSWORD_MAX} characters.", field=field)
    return value


def check_bio(value: str) -> str:
    bio = without_controls(value).strip()
    if len(bio) > BIO_MAX:
        raise Invalid(f"Your bio can have at most {BIO_MAX:,} characters.", field="bio")
    return bio


def check_timezone(value: str) -> str:
    if not isinstance(value, str) or value not in TIMEZONES:
        raise Invalid("Choose a time zone from the list.", field="timezone")
    return value


def check_organisation_other(value: str) -> str:
    name = one_line(value)
    if not name:
        raise Invalid("Type the name of your organisation.", field="organisation_other")
    if len(name) > ORGANISATION_MAX:
        raise Invalid(
            f"An organisation name has at most {ORGANISATION_MAX} characters.",
            field="organisation_other",
        )
    return name


def is_site_admin(user) -> bool:
    """Is `user` (a User, the anonymous user, or None) a site admin, signed in?"""
    return user is not None and user.is_authenticated and user.is_admin


def require_admin(user) -> None:
    """Raise Forbidden unless `user` is a site admin."""
    if not is_site_admin(user):
        raise Forbidden("Only the site's admins can do that.")
