"""Site-wide web behaviour: error pages, security headers, template helpers, the CLI."""

import logging
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import Flask, jsonify, make_response, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from .config import default_timezone
from .errors import DomainError
from .ids import MAX_ID

log = logging.getLogger(__name__)

ERROR_TEXT = {
    400: ("Bad request", "Something in that request was not right. Please go back and try again."),
    403: ("Not allowed", "You do not have permission to do that."),
    404: ("Page not found", "We could not find that page. It may have moved or been removed."),
    405: ("Not allowed", "That page does not accept this kind of request."),
    409: ("Conflict", "That clashes with a change someone else has just made. Please try again."),
    413: ("Too large", "That upload is larger than this site accepts."),
    429: (
        "Too many requests",
        "You have tried that too often. Please wait a little and try again.",
    ),
    500: ("Something went wrong", "An error on our side stopped this page. It has been logged."),
    503: ("Back in a moment", "A service this page needs is reconnecting. Please try again soon."),
}

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "media-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class DatabaseIdConverter(IntegerConverter):
    """`<int:…>` in URLs, capped at the largest id the database's INTEGER columns hold:
    a larger number is a 404 here instead of an overflow error deep inside a query."""

    MAX = MAX_ID

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", self.MAX)
        super().__init__(map, *args, **kwargs)


def wants_json() -> bool:
    return request.path.startswith("/api/") or (request.accept_mimetypes.best == "application/json")


def error_page(status: int, message: str | None = None, title: str | None = None):
    default_title, default_message = ERROR_TEXT.get(status, ERROR_TEXT[500])
    title, message = title or default_title, message or default_message
    if wants_json():
        return make_response(jsonify(error=message), status)
    html = render_template("errors/error.html", status=status, title=title, message=message)
    return make_response(html, status)


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        return error_page(exc.status, exc.message)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return error_page(
            400,
            "This form had expired or came from another site. Please go back, reload the page "
            "and send it again.",
            title="Form expired",
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        response = error_page(exc.code or 500)
        # Keep what the exception says besides its body: `Allow` on a 405, `Retry-After`…
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_page(500)


def _security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


# How a moment is shown everywhere: "6 Dec 2026, 02:36 GMT", in the reader's zone, the zone
# named. static/js/time.js writes live-inserted times the same way, from the zone and the
# zone names that base.html puts on <html> (`reader_timezone`, `zone_names`).
TIME_FORMAT = "%-d %b %Y, %H:%M %Z"


def reader_timezone() -> str:
    """The zone times are shown in: the member's setting, else the site's default."""
    return getattr(current_user, "timezone", None) or default_timezone()


def to_local(value: datetime, tz_name: str | None = None) -> datetime:
    """A stored (naive UTC) time in the reader's time zone (in UTC for a time at the very
    ends of datetime, which has no local time east or west of it, rather than fail)."""
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value
    try:
        return aware.astimezone(ZoneInfo(tz_name or reader_timezone()))
    except OverflowError:
        return aware


def parse_day(value: str) -> tuple[date | None, str | None]:
    """A day typed in a filter ("2026-11-25"): (the day, None), (None, None) when empty, or
    (None, a message for the reader) when it is not a day."""
    if not value:
        return None, None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date(), None  # noqa: DTZ007 (a day, no time)
    except ValueError:
        return None, f"“{value[:20]}” is not a date like 2026-11-25."


def day_start(day: date | None, tz_name: str | None = None) -> datetime | None:
    """The stored time (naive UTC) at which `day` begins in the reader's time zone (None for
    no day, or the first or last day a datetime holds: no limit there)."""
    if day is None:
        return None
    try:
        zone = ZoneInfo(tz_name or reader_timezone())
    except (ValueError, KeyError):
        zone = ZoneInfo(default_timezone())
    try:
        return datetime.combine(day, time(), zone).astimezone(UTC).replace(tzinfo=None)
    except OverflowError:
        return None


def day_end(day: date | None, tz_name: str | None = None) -> datetime | None:
    """The stored time at which the reader's `day` is over: a "to" filter takes the whole day."""
    if day is None or day >= date.max:
        return None
    return day_start(day + timedelta(days=1), tz_name)


def zone_names(tz_name: str, year: int | None = None) -> dict[int, str]:
    """The names a zone goes by around `year` (default: this year), by UTC offset in minutes:
    {0: "GMT", 60: "BST"} for Europe/London. The browser has no tz database names of its own
    (Intl says "GMT+1" where Python says "BST"), so the page hands it these."""
    return _zone_names(tz_name, year or datetime.now(UTC).year)


@lru_cache(maxsize=256)
def _zone_names(tz_name: str, year: int) -> dict[int, str]:
    zone = ZoneInfo(tz_name)
    names = {}
    for y in (year - 1, year, year + 1):
        for month in range(1, 13):
            for day in (1, 15):
                moment = datetime(y, month, day, 12, tzinfo=UTC).astimezone(zone)
                names[int(moment.utcoffset().total_seconds() // 60)] = moment.tzname()
    return names


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: str) -> str:
    """A CSV cell a spreadsheet shows as text: one that could start a formula is quoted."""
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value


def plural(n: int, word: str, words: str | None = None) -> str:
    """ "1 reply", "5 replies": `words` for the plural when adding an s is wrong."""
    return f"{n:,} {word if n == 1 else (words or word + 's')}"


def filesize(size: int) -> str:
    """A byte count as people read it: 812 bytes, 45 KB, 1.2 MB."""
    if size < 1024:
        return f"{size} byte{'' if size == 1 else 's'}"
    for unit in ("KB", "MB", "GB"):
        size /= 1024
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if size >= 10 else f"{size:.1f} {unit}"
    raise AssertionError("unreachable")


def _localtime(value: datetime | None, fmt: str = TIME_FORMAT) -> str:
    return to_local(value).strftime(fmt) if value else ""


def _register_template_helpers(app: Flask) -> None:
    from flask_login import current_user

    from .accounts.rules import is_site_admin
    from .markup import safe
    from .sitesettings import contact_address, site_name

    app.jinja_env.filters["localtime"] = _localtime
    app.jinja_env.globals["reader_timezone"] = reader_timezone
    app.jinja_env.globals["zone_names"] = zone_names
    app.jinja_env.filters["user_html"] = safe
    app.jinja_env.filters["filesize"] = filesize
    app.jinja_env.globals["site_name"] = site_name  # called: an admin may rename the site
    app.jinja_env.globals["contact_address"] = contact_address
    # Whether the reader administers the site (the Admin link, the seed hint): the rule's
    # own word, not the role read in a template.
    app.jinja_env.globals["administers_site"] = lambda: is_site_admin(current_user)


def _register_cli(app: Flask) -> None:
    from .accounts.cli import members_cli, orgs_cli, users_cli
    from .benchseed import bench_cli
    from .chat.cli import chat_cli
    from .communities.cli import communities_cli
    from .digests.cli import digests_cli
    from .jobs import jobs_cli
    from .network_health.cli import health_cli
    from .seed import demo_cli, seed_command

    for group in (
        users_cli, members_cli, orgs_cli, communities_cli, jobs_cli, demo_cli, chat_cli,
        digests_cli, health_cli, bench_cli,
    ):  # fmt: skip
        app.cli.add_command(group)
    app.cli.add_command(seed_command)


def _refuse_nul_bytes():
    """No browser sends NUL in a URL or a form field, and PostgreSQL cannot store it in text:
    refuse such requests here, once, rather than fail deep inside a query."""
    values = [request.path, *request.args.keys(), *request.args.values()]
    if request.method == "POST" and request.mimetype in {
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    }:
        values += [*request.form.keys(), *request.form.values()]
    if any("\x00" in v for v in values):
        return error_page(400, "That request contained a character this site cannot accept.")
    return None


def init_app(app: Flask) -> None:
    app.before_request(_refuse_nul_bytes)
    _register_error_handlers(app)
    app.after_request(_security_headers)
    _register_template_helpers(app)
    _register_cli(app)
