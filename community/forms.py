"""Form helpers shared by every domain's forms."""

from collections.abc import Callable

from flask_wtf import FlaskForm
from wtforms import ValidationError

from .errors import DomainError, Invalid


def rule(check: Callable[[str], object]) -> Callable:
    """A WTForms validator that applies a domain rule, so each rule is written once."""

    def validator(form, field):
        try:
            check(field.data)
        except Invalid as exc:
            raise ValidationError(exc.message) from exc

    return validator


def attach_error(form, exc: DomainError) -> None:
    """Show an action's error on the form: on its field when it names one, else on top."""
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = (
            [*field.errors, exc.message] if isinstance(field.errors, list) else [exc.message]
        )
    else:
        form.form_errors.append(exc.message)


class ConfirmForm(FlaskForm):
    """A form with nothing but its CSRF token: for POST buttons (log out, join, delete…)."""
