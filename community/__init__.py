"""Commons: the application factory.

Importing this package must stay cheap: gunicorn.conf.py imports `community.config` in the
gunicorn master, before the gevent worker monkey-patches the standard library, and everything
imported there is inherited, unpatched, by the worker (Flask alone imports `ssl`). So Flask,
the extensions and the blueprints are imported inside `create_app`, not at the top.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from . import config as settings

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: dict | None = None) -> Flask:
    """Build the app: defaults, then the environment, then `config` (tests pass theirs)."""
    from flask import Flask
    from werkzeug.middleware.proxy_fix import ProxyFix

    config = config or {}
    values = {**settings.DEFAULTS, **settings.load(), **config}
    instance_dir = Path(values["INSTANCE_DIR"])
    if (
        "INSTANCE_DIR" in config
        and "UPLOAD_DIR" not in config
        and not settings.environment().get("UPLOAD_DIR")
    ):
        # Files follow an instance given here (tests, parallel instances), as they follow one
        # given by the environment.
        values["UPLOAD_DIR"] = str(instance_dir / "uploads")
    app = Flask(
        __name__,
        instance_path=str(instance_dir),
        template_folder=str(settings.PROJECT_ROOT / "templates"),
        static_folder=str(settings.PROJECT_ROOT / "static"),
    )
    app.config.update(values)
    instance_dir.mkdir(parents=True, exist_ok=True)
    _configure_secret_key(app)
    _configure_logging(app)
    _configure_cookies(app, values)

    _init_extensions(app)
    _register_blueprints(app)
    _register_jobs(app)
    _connect_receivers(app)

    from . import web

    web.init_app(app)
    if app.config["TRUSTED_PROXIES"]:
        # Outermost, after Socket.IO has wrapped `wsgi_app` with its own middleware: Socket.IO
        # requests then see the client's address and scheme too, not only Flask's routes.
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    return app


def _configure_secret_key(app: Flask) -> None:
    if app.config.get("SECRET_KEY"):
        return
    if app.config["SCALED_OUT"]:
        raise settings.ConfigError(
            "SECRET_KEY must be set when DATABASE_URL or REDIS_URL is: every process must "
            "share one key. Generate one with: python -c 'import secrets; "
            "print(secrets.token_urlsafe(48))'"
        )
    app.config["SECRET_KEY"] = settings.instance_secret_key(Path(app.instance_path))


def _configure_logging(app: Flask) -> None:
    level = app.config["LOG_LEVEL"]
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("community").setLevel(level)
    # Socket.IO adds a bare handler of its own to a logger whose level is unset, which prints
    # each of its messages twice (once more through the root handler): give them a level.
    for name in ("engineio.server", "socketio.server"):
        if logging.getLogger(name).level == logging.NOTSET:
            logging.getLogger(name).setLevel(logging.ERROR)


def _configure_cookies(app: Flask, values: dict) -> None:
    # Flask's own defaults already hold SESSION_COOKIE_SECURE = False, so `setdefault` would
    # never switch it on: decide from SITE_URL unless the settings name the value themselves.
    secure = app.config["SITE_URL"].startswith("https://")
    for name in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        app.config[name] = values.get(name, secure)


def deployment_id(app: Flask) -> str:
    """A short name for this site, the same in all its processes (which share SECRET_KEY):
    it keeps its Redis channels and keys apart from another site's on the same server."""
    import hashlib

    return hashlib.sha256(app.config["SECRET_KEY"].encode()).hexdigest()[:12]


def socketio_async_mode(app: Flask) -> str:
    """Match Socket.IO to the server: gevent when a gevent worker has patched the stdlib."""
    if app.config.get("SOCKETIO_ASYNC_MODE"):
        return app.config["SOCKETIO_ASYNC_MODE"]
    try:
        from gevent import monkey
    except ImportError:
        return "threading"
    return "gevent" if monkey.is_module_patched("socket") else "threading"


def _init_extensions(app: Flask) -> None:
    # (No global named `db` in this module: importing the community.db submodule would
    # replace it.)
    from . import extensions as ext
    from .db import configure_sqlite

    ext.db.init_app(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            configure_sqlite(ext.db.engine)
    ext.migrate.init_app(app, ext.db, directory=str(settings.PROJECT_ROOT / "migrations"))
    ext.csrf.init_app(app)
    # Socket.IO handlers register on import; imported before `socketio.init_app`, they are
    # kept by the extension and given to every app's server, not only to the first one.
    from . import sockets  # noqa: F401
    from .chat import sockets as chat_sockets  # noqa: F401
    from .moderation import sockets as moderation_sockets  # noqa: F401
    from .notifications import sockets as notification_sockets  # noqa: F401
    from .threads import sockets as thread_sockets  # noqa: F401

    redis_url = app.config.get("REDIS_URL")
    app.config.setdefault("RATELIMIT_STORAGE_URI", redis_url or "memory://")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", f"commons-{deployment_id(app)}")
    ext.limiter.init_app(app)
    ext.login_manager.init_app(app)
    ext.socketio.init_app(
        app,
        async_mode=socketio_async_mode(app),
        message_queue=redis_url,
        # Given every time (None without Redis): the extension keeps the options of the
        # previous app it was bound to, its queue among them.
        client_manager=_message_queue(app, redis_url),
        # None: only the site's own origin may connect (checked against the Host header).
        cors_allowed_origins=app.config.get("SOCKETIO_CORS_ORIGINS"),
        manage_session=False,  # handlers read the Flask session cookie, never write it
    )


def _message_queue(app: Flask, redis_url: str | None):
    """Redis as Socket.IO's message queue, telling this process's clients to catch up after
    an outage (community/queue.py); None in the one-process mode."""
    if not redis_url:
        return None
    from .queue import ResyncingRedisManager
    from .sockets import after_queue_reconnect

    return ResyncingRedisManager(
        redis_url,
        # Redis channels are shared by everything using the server: name this site's.
        channel=f"commons-{deployment_id(app)}-socketio",
        on_reconnect=lambda: after_queue_reconnect(app),
    )


def _register_blueprints(app: Flask) -> None:
    from . import sitesettings  # noqa: F401  (its table, known to the app and migrations)
    from .accounts import bp as accounts_bp
    from .admin import bp as admin_bp
    from .announcements import bp as announcements_bp
    from .chat import bp as chat_bp
    from .communities import bp as communities_bp
    from .digests import bp as digests_bp
    from .events import bp as events_bp
    from .health import bp as health_bp
    from .media import bp as media_bp
    from .moderation.flag_views import bp as flags_bp
    from .moderation.views import bp as moderation_bp
    from .network_health import bp as network_health_bp
    from .notifications import bp as notifications_bp
    from .pages import bp as pages_bp
    from .resources import bp as resources_bp
    from .search import bp as search_bp
    from .threads import bp as threads_bp
    from .web import DatabaseIdConverter

    # Before any route is added: routes look their converters up as they are registered.
    app.url_map.converters["int"] = DatabaseIdConverter
    blueprints = (
        health_bp, accounts_bp, communities_bp, threads_bp, resources_bp, media_bp, chat_bp,
        notifications_bp, search_bp, admin_bp, events_bp, digests_bp, moderation_bp,
        flags_bp, pages_bp, announcements_bp, network_health_bp,
    )  # fmt: skip
    for bp in blueprints:
        app.register_blueprint(bp)


def _register_jobs(app: Flask) -> None:
    """Each part registers its periodic jobs (community/jobs.py runs them; it imports no
    domain): the mail queue, then the file sweep with the files each domain refers to."""
    from . import dbstats, filesweep, mail
    from .accounts import bounces
    from .accounts import jobs as accounts_jobs
    from .announcements import jobs as announcements_jobs
    from .digests import jobs as digests_jobs
    from .events import jobs as events_jobs
    from .media import jobs as media_jobs
    from .network_health import jobs as network_health_jobs
    from .resources import jobs as resources_jobs

    mail.register_jobs(app)
    bounces.connect(app)
    filesweep.register_jobs(app)
    for domain in (accounts_jobs, media_jobs, resources_jobs, events_jobs, digests_jobs,
                   network_health_jobs):  # fmt: skip
        domain.register(app)
    announcements_jobs.register(app)
    dbstats.register(app)


def _connect_receivers(app: Flask) -> None:
    """Each domain subscribes to the signals it reacts to (community/signals.py), for this
    app; within a signal, receivers run in this order."""
    from .accounts import receivers as accounts_receivers
    from .chat import receivers as chat_receivers
    from .communities import rooms as communities_receivers
    from .events import receivers as events_receivers
    from .moderation import receivers as moderation_receivers
    from .network_health import receivers as network_health_receivers
    from .resources import receivers as resources_receivers
    from .threads import receivers as threads_receivers

    for domain in (
        communities_receivers, threads_receivers, resources_receivers, chat_receivers,
        events_receivers, moderation_receivers, accounts_receivers, network_health_receivers,
    ):  # fmt: skip
        domain.connect(app)
