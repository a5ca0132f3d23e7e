"""`/unsubscribe/<token>`: one-click unsubscribe, without signing in."""

from flask import render_template

from ..auth import rate_limit
from ..db import atomic
from ..extensions import csrf, limiter
from . import bp, unsubscribe


@bp.get("/unsubscribe/<token>")
@limiter.limit(rate_limit("unsubscribe_ip"))
def unsubscribe_page(token: str):
    """What the link will stop, and one button."""
    user, scope = unsubscribe.resolve(token)
    return render_template(
        "digests/unsubscribe.html", user=user, what=unsubscribe.describe(scope), done=False
    )


# Exempt from CSRF by design: RFC 8058's one-click unsubscribe is a POST that a mail program
# sends from the List-Unsubscribe header, with no form and no token. The signed token in the
# address is what authorises it, and all it can do is stop mail.
@bp.post("/unsubscribe/<token>")
@csrf.exempt
@limiter.limit(rate_limit("unsubscribe_ip"))
def unsubscribe_now(token: str):
    with atomic():
        user, scope, changed = unsubscribe.apply(token)
        what = unsubscribe.describe(scope)
    return render_template(
        "digests/unsubscribe.html", user=user, what=what, done=True, changed=changed
    )
