"""Administration pages (admins only)."""

from flask import render_template
from flask_login import login_required

from ..auth import actor
from ..communities.queries import communities_for, moderators_by_community
from ..moderation.queries import recent_audit
from . import bp
from .actions import require_admin

AUDIT_ROWS = 50


@bp.get("/admin")
@login_required
def index():
    user = actor()
    require_admin(user)
    communities = communities_for(user, archived=True)
    return render_template(
        "admin/index.html",
        communities=communities,
        moderators=moderators_by_community([c.id for c, _ in communities], everyone=True),
        audit=recent_audit(AUDIT_ROWS),
    )
