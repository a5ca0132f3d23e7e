"""The rules for account fields, in one place: actions enforce them and forms reuse them."""

from zoneinfo import available_timezones

from email_validator import EmailNotValidError, validate_email

from ..errors import Invalid

EMAIL_MAX = 254
NAME_MIN, NAME_MAX = 2, 80
PASSWORD_MIN, PASSWORD_MAX = 10, 256
BIO_MAX = 5000
ORGANISATION_MAX = 200
TIMEZONES = frozenset(available_timezones())


def normalise_email(value: str) -> str:
    return (value or "").strip().lower()


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
    name = " ".join((value or "").split())
    if len(name) < NAME_MIN:
        raise Invalid(f"Your name needs at least {NAME_MIN} characters.", field="display_name")
    if len(name) > NAME_MAX:
        raise Invalid(f"Your name can have at most {NAME_MAX} characters.", field="display_name")
    return name


def check_password(value: str, field: str = "password") -> str:
    value = value or ""
    if len(value) < PASSWORD_MIN:
        raise Invalid(f"Choose a password of at least {PASSWORD_MIN} characters.", field=field)
    if len(value) > PASSWORD_MAX:
        raise Invalid(f"A password can have at most {PASSWORD_MAX} characters.", field=field)
    return value


def check_bio(value: str) -> str:
    bio = (value or "").strip()
    if len(bio) > BIO_MAX:
        raise Invalid(f"Your bio can have at most {BIO_MAX:,} characters.", field="bio")
    return bio


def check_timezone(value: str) -> str:
    if value not in TIMEZONES:
        raise Invalid("Choose a time zone from the list.", field="timezone")
    return value


def check_organisation_other(value: str) -> str:
    name = " ".join((value or "").split())
    if not name:
        raise Invalid("Type the name of your organisation.", field="organisation_other")
    if len(name) > ORGANISATION_MAX:
        raise Invalid(
            f"An organisation name has at most {ORGANISATION_MAX} characters.",
            field="organisation_other",
        )
    return name
