"""Administration pages (admins only)."""

from flask import render_template
from flask_login import login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..auth import actor
from ..communities.queries import communities_for
from ..extensions import db
from . import bp
from .actions import require_admin
from .models import AuditLog

AUDIT_ROWS = 50


@bp.get("/admin")
@login_required
def index():
    user = actor()
    require_admin(user)
    recent = db.session.scalars(
        select(AuditLog)
        .options(joinedload(AuditLog.actor))
        .order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
        .limit(AUDIT_ROWS)
    )
    return render_template(
        "admin/index.html", communities=communities_for(user), audit=list(recent)
    )
