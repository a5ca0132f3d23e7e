"""`/healthz`: is the database (and Redis, when configured) answering?"""

import logging

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from .extensions import db, limiter

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


def _database_ok() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception:
        log.exception("health check: database unreachable")
        return False
    finally:
        db.session.rollback()


def _redis_status() -> str:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return "disabled"
    import redis

    try:
        # Closed at once: a load balancer asks every few seconds.
        with redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2) as client:
            client.ping()
        return "ok"
    except redis.RedisError:
        log.exception("health check: redis unreachable")
        return "error"


@bp.get("/healthz")
@limiter.exempt
def healthz():
    database = "ok" if _database_ok() else "error"
    redis_status = _redis_status()
    healthy = database == "ok" and redis_status in {"ok", "disabled"}
    body = {"status": "ok" if healthy else "error", "database": database, "redis": redis_status}
    return jsonify(body), 200 if healthy else 503
