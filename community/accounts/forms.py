"""Account forms. Rules come from rules.py; the forms only add presence and confirmations."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import EqualTo, InputRequired

from ..forms import rule
from . import rules
from .actions import OTHER, organisation_choices


def _organisation_options() -> list[tuple[str, str]]:
    return (
        [("", "Choose your organisation")]
        + [(str(o.id), o.name) for o in organisation_choices()]
        + [(OTHER, "Other (type its name below)")]
    )


class OrganisationMixin:
    def fill_organisations(self) -> None:
        self.organisation.choices = _organisation_options()


class RegisterForm(FlaskForm, OrganisationMixin):
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


class LoginForm(FlaskForm):
    email = EmailField("Email address", validators=[InputRequired("Enter your email address.")])
    password = PasswordField("Password", validators=[InputRequired("Enter your password.")])
    remember = BooleanField("Keep me signed in on this device")
    next = HiddenField()


class ResetRequestForm(FlaskForm):
    email = EmailField("Email address", validators=[rule(rules.check_email)])


class ResetForm(FlaskForm):
    password = PasswordField("New password", validators=[rule(rules.check_password)])
    confirm = PasswordField(
        "Repeat the new password",
        validators=[
            InputRequired("Repeat your password."),
            EqualTo("password", "The passwords do not match."),
        ],
    )


class ProfileForm(FlaskForm, OrganisationMixin):
    display_name = StringField("Your name", validators=[rule(rules.check_display_name)])
    organisation = SelectField("Organisation", validate_choice=False)
    organisation_other = StringField("Organisation name, if not listed")
    bio = TextAreaField("About you (Markdown)", validators=[rule(rules.check_bio)])
    timezone = SelectField(
        "Time zone",
        choices=sorted(rules.TIMEZONES),
        validators=[rule(rules.check_timezone)],
        validate_choice=False,
    )


class EmailForm(FlaskForm):
    new_email = EmailField("New email address", validators=[rule(rules.check_email)])
    current_password = PasswordField(
        "Your current password", validators=[InputRequired("Enter your current password.")]
    )


class PasswordForm(FlaskForm):
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


class ConfirmForm(FlaskForm):
    """A form with nothing but its CSRF token: for buttons such as log out."""
