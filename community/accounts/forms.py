"""Account forms. Rules come from rules.py; the forms only add presence and confirmations."""

from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import EqualTo, InputRequired, ValidationError

from ..config import default_timezone
from ..digests.choices import (
    CATEGORIES,
    DELIVERY_LABELS,
    REGISTRATION_CHOICES,
    REGISTRATION_DEFAULT,
    check_registration_choice,
    deliveries_of,
)
from ..digests.periods import WEEKDAYS
from ..errors import Invalid
from ..forms import Form, rule
from . import rules
from .actions import OTHER, organisation_choices, resolve_organisation


def _organisation_options() -> list[tuple[str, str]]:
    return (
        [("", "Choose your organisation")]
        + [(str(o.id), o.name) for o in organisation_choices()]
        + [(OTHER, "Other (type its name below)")]
    )


def _timezone_groups() -> dict[str, list[tuple[str, str]]]:
    """The zones by region (<optgroup>s: "Africa", "America", …, then "UTC")."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for zone in sorted(rules.TIMEZONES - {"UTC"}):
        groups.setdefault(zone.split("/", 1)[0], []).append((zone, zone.replace("_", " ")))
    groups["UTC"] = [("UTC", "UTC")]
    return groups


TIMEZONE_CHOICES = _timezone_groups()


class OrganisationMixin:
    """The organisation select and its "other" box, checked together so that every mistake
    on the form shows at once."""

    def fill_organisations(self) -> None:
        self.organisation.choices = _organisation_options()

    def validate_organisation(self, field) -> None:
        if field.data == OTHER:
            return  # the typed name is checked by validate_organisation_other
        try:
            resolve_organisation(field.data, "")
        except Invalid as exc:
            raise ValidationError(exc.message) from exc

    def validate_organisation_other(self, field) -> None:
        if self.organisation.data == OTHER:
            rule(rules.check_organisation_other)(self, field)


class RegisterForm(Form, OrganisationMixin):
    email = EmailField("Email address", validators=[rule(rules.check_email)])
    display_name = StringField("Your name", validators=[rule(rules.check_display_name)])
    organisation = SelectField("Organisation", validate_choice=False)
    organisation_other = StringField("Organisation name, if not listed")
    password = PasswordField("Password", validators=[rule(rules.check_password)])
    confirm = PasswordField(
        "Repeat the password",
        validators=[
            InputRequired("Repeat your password."),
            EqualTo("password", "The passwords do not match."),
        ],
    )
    # The short version of the email choices; no value sent (an older form) means the default.
    email_choice = RadioField(
        "Email from Commons",
        default=REGISTRATION_DEFAULT,
        validate_choice=False,  # checked by the rule, with a clearer message
        validators=[rule(check_registration_choice)],
    )

    # A honeypot: hidden from people (and from screen readers), filled in by form-filling
    # bots. A registration with it filled is answered as usual and creates nothing.
    website = StringField("Leave this empty")

    @property
    def is_bot(self) -> bool:
        return bool((self.website.data or "").strip())

    def fill(self) -> None:
        # (Choices set on the bound fields: WTForms warns about tuples given at declaration.)
        self.fill_organisations()
        self.email_choice.choices = [(c.value, c.label) for c in REGISTRATION_CHOICES.values()]
        self.email_choice_hints = {c.value: c.hint for c in REGISTRATION_CHOICES.values()}


class InvitationForm(RegisterForm):
    """Registration from an invitation: the address is the invitation's, not typed (and
    no honeypot: only the holder of the mailed link reaches this form)."""

    email = None
    website = None


class LoginForm(Form):
    email = EmailField("Email address", validators=[InputRequired("Enter your email address.")])
    password = PasswordField("Password", validators=[InputRequired("Enter your password.")])
    remember = BooleanField("Keep me signed in on this device")
    next = HiddenField()


class ResetRequestForm(Form):
    email = EmailField("Email address", validators=[rule(rules.check_email)])


class ResetForm(Form):
    password = PasswordField("New password", validators=[rule(rules.check_password)])
    confirm = PasswordField(
        "Repeat the new password",
        validators=[
            InputRequired("Repeat your password."),
            EqualTo("password", "The passwords do not match."),
        ],
    )


class ProfileForm(Form, OrganisationMixin):
    display_name = StringField("Your name", validators=[rule(rules.check_display_name)])
    organisation = SelectField("Organisation", validate_choice=False)
    organisation_other = StringField("Organisation name, if not listed")
    bio = TextAreaField("About you (Markdown)", validators=[rule(rules.check_bio)])
    timezone = SelectField(
        "Time zone",
        validators=[rule(rules.check_timezone)],
        validate_choice=False,
        default=default_timezone,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Set here, not in the declaration: WTForms 3.3 warns about (value, label) tuples
        # passed to the constructor (SelectChoice, their replacement, needs WTForms 3.3).
        self.timezone.choices = TIMEZONE_CHOICES


class EmailForm(Form):
    new_email = EmailField("New email address", validators=[rule(rules.check_email)])
    current_password = PasswordField(
        "Your current password",
        validators=[InputRequired("Enter your current password.")],
        # The settings page also holds PasswordForm's current_password: ids must differ.
        id="email_current_password",
    )


class PasswordForm(Form):
    current_password = PasswordField(
        "Current password", validators=[InputRequired("Enter your current password.")]
    )
    new_password = PasswordField("New password", validators=[rule(rules.check_password)])
    confirm = PasswordField(
        "Repeat the new password",
        validators=[
            InputRequired("Repeat your new password."),
            EqualTo("new_password", "The passwords do not match."),
        ],
    )


class EmailChoicesForm(Form):
    """Email choices: per category (a field `delivery_<category>` each, added below), the
    digest's frequency, day and hour, and the communities in it."""

    digest_frequency = RadioField("How often")
    digest_day = SelectField("Day, for a weekly digest")
    digest_hour = SelectField("Time")
    included = SelectMultipleField("Communities in my digest", validate_choice=False)
    resume = BooleanField("Start sending me email again")

    def fill(self, user, communities) -> None:
        """Show the member's current choices (on a fresh form) and their communities."""
        # (Choices set on the bound fields: WTForms warns about tuples given at declaration.)
        self.digest_frequency.choices = [
            ("weekly", "Weekly"), ("daily", "Daily"), ("off", "No digest")
        ]  # fmt: skip
        self.digest_day.choices = [(str(i), d) for i, d in enumerate(WEEKDAYS)]
        self.digest_hour.choices = [(str(h), f"{h:02d}:00") for h in range(24)]
        for name in CATEGORIES:
            getattr(self, f"delivery_{name}").choices = list(DELIVERY_LABELS.items())
        self.included.choices = [(str(c.id), c.name) for c, _ in communities]
        if self.is_submitted():
            return
        for name, value in deliveries_of(user).items():
            getattr(self, f"delivery_{name}").data = value
        self.digest_frequency.data = user.digest_frequency
        self.digest_day.data = str(user.digest_day)
        self.digest_hour.data = str(user.digest_hour)
        self.included.data = [str(c.id) for c, included in communities if included]


for _name, _category in CATEGORIES.items():
    setattr(
        EmailChoicesForm,
        f"delivery_{_name}",
        RadioField(_category.label),
    )


class AvatarForm(Form):
    """A profile picture to upload (cut to a square by community.media.actions)."""

    picture = FileField("New picture")
