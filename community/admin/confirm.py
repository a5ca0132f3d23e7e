"""The admin pages' confirm buttons: one shape for every POST that needs nothing but its
CSRF token (approve, decline, resend, withdraw…)."""

from collections.abc import Callable

from flask import flash, redirect

from ..accounts.rules import require_admin
from ..auth import actor
from ..db import atomic
from ..errors import DomainError
from ..forms import ConfirmForm


def confirmed(act: Callable[[], dict], done: str, *, then: str, refused: str, bad_form: Callable):
    """Run `act()` (an admin's action) in one transaction; it returns the words `done` is
    formatted with, flashed before a redirect to `then`. A refusal (400) is flashed and
    redirects to `refused`; a form without its token shows `bad_form()` (a 400 page)."""
    require_admin(actor())
    if not ConfirmForm().validate_on_submit():
        return bad_form()
    try:
        with atomic():
            words = act()
    except DomainError as exc:
        if exc.status != 400:
            raise
        flash(exc.message, "error")
        return redirect(refused)
    flash(done.format(**words), "success")
    return redirect(then)
