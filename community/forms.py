"""Form helpers shared by every domain's forms."""

from collections.abc import Callable

from flask_wtf import FlaskForm
from flask_wtf.csrf import _FlaskFormCSRF, generate_csrf
from markupsafe import Markup
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


class _Token:
    """A form's CSRF token, issued (into the session) only when the form is rendered: a page
    that builds a form it does not show (a thread's reply form, to a visitor) then writes no
    session and sets no cookie."""

    def __init__(self, issue: Callable[[], str]):
        self._issue = issue

    def __str__(self) -> str:
        return self._issue()

    __html__ = __str__


class _LazyCSRF(_FlaskFormCSRF):
    def generate_csrf_token(self, csrf_token_field):
        return _Token(lambda: super(_LazyCSRF, self).generate_csrf_token(csrf_token_field))


class Form(FlaskForm):
    """The base of every form: Flask-WTF's, with its token issued when it is shown."""

    class Meta:
        csrf_class = _LazyCSRF


def token_field() -> Markup:
    """A POST button's hidden CSRF field, as a ConfirmForm renders it (without its id, which
    would repeat): `csrf_field()` in templates, for buttons repeated on every item of a page
    (a thread's reactions: ~100 per page, where rendering a form for each was a seventh of
    the page's time)."""
    return Markup('<input name="csrf_token" type="hidden" value="{}">').format(generate_csrf())


class ConfirmForm(Form):
    """A form with nothing but its CSRF token: for POST buttons (log out, join, delete…)."""
