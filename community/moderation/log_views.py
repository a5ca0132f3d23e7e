"""`/mod/log`: the audit log, worded for people and filtered by the query string (community,
person, kind, dates in the reader's time zone); `/mod/log.csv`: the same entries as a
spreadsheet. Read-only: there is no route that changes an entry."""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from flask import Response, render_template, request, stream_with_context
from flask_login import login_required

from ..auth import actor
from ..db import utcnow
from ..ids import as_id
from ..web import csv_cell, day_end, day_start, parse_day
from . import wording
from .log import (
    SITE_WIDE,
    LogFilters,
    every_entry,
    log_page,
    log_scope,
    people_in_scope,
    people_named,
)
from .queries import AuditEntry
from .views import _communities_in_scope, bp

FILTERS = ("community", "actor", "kind", "from", "to")


@dataclass
class _Request:
    """The filters as typed (kept in the form), the communities offered, and what is wrong."""

    values: dict[str, str]
    scope: frozenset[int] | None  # log.log_scope: None for an admin, who reads every entry
    communities: list
    filters: LogFilters | None = None
    errors: list[tuple[str, str]] = field(default_factory=list)  # (field id, message)


def _arg(name: str) -> str:
    return request.args.get(name, "").strip()[:80]


def _read_request() -> _Request:
    user = actor()
    scope = log_scope(user)
    asked = _Request({name: _arg(name) for name in FILTERS}, scope, _communities_in_scope(user))
    values, errors = asked.values, asked.errors
    community_id, site_wide = _community(asked)
    actor_ids = people_named(values["actor"]) if values["actor"] else None
    if actor_ids == ():
        errors.append(("actor", f"No member is called “{values['actor']}”."))
    kind = wording.kinds().get(values["kind"]) if values["kind"] else None
    if values["kind"] and kind is None:
        errors.append(("kind", "Choose a kind of action from the list."))
    day_from, day_to = _days(values, errors)
    if not errors:
        asked.filters = LogFilters(
            scope, community_id=community_id, site_wide=site_wide, actor_ids=actor_ids,
            actions=kind.actions if kind else None,
            since=day_start(day_from), until=day_end(day_to),  # the whole of the last day
        )  # fmt: skip
    return asked


def _community(asked: _Request) -> tuple[int | None, bool]:
    """(the community chosen, whether site-wide entries were): only those in scope."""
    value = asked.values["community"]
    if value == SITE_WIDE and asked.scope is None:
        return None, True
    if not value:
        return None, False
    community_id = as_id(value)
    if community_id not in {c.id for c in asked.communities}:
        asked.errors.append(("community", "That community is not one whose log you can read."))
    return community_id, False


def _days(values: dict[str, str], errors: list) -> tuple[date | None, date | None]:
    day_from, error = parse_day(values["from"])
    errors += [("from", error)] if error else []
    day_to, error = parse_day(values["to"])
    errors += [("to", error)] if error else []
    if day_from and day_to and day_from > day_to:
        errors.append(("to", "The “to” date is before the “from” date."))
    return day_from, day_to


def _page(asked: _Request, page=None, status: int = 200):
    chosen = {name: value for name, value in asked.values.items() if value}
    return render_template(
        "moderation/log.html",
        asked=asked,
        page=page,
        chosen=chosen,
        site_wide=SITE_WIDE,
        kinds=wording.kinds(),
        people=people_in_scope(asked.scope),
    ), status


@bp.get("/log")
@login_required
def log():
    asked = _read_request()
    if asked.errors:
        return _page(asked, status=400)
    return _page(asked, log_page(asked.filters, after=request.args.get("after") or None))


# --- the CSV -------------------------------------------------------------------------------

CSV_HEADER = ("When (UTC)", "Who", "Action", "Target", "Community", "Reason or detail", "Text")


def _reason_or_detail(entry: AuditEntry) -> str:
    """The reason given, then the rest of the detail: "Spam.; flags: 3"."""
    details = dict(entry.details)
    reason = details.pop("reason", "")
    rest = [f"{key.replace('_', ' ')}: {value}" for key, value in details.items()]
    return "; ".join([reason, *rest] if reason else rest)


def _csv_row(entry: AuditEntry) -> list[str]:
    when = entry.created_at.replace(microsecond=0).isoformat() + "Z"
    cells = (entry.actor, entry.action, entry.target, entry.community or "",
             _reason_or_detail(entry), entry.text)  # fmt: skip
    return [when, *(csv_cell(cell) for cell in cells)]


def _csv_lines(filters: LogFilters) -> Iterator[str]:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for entry in every_entry(filters):
        writer.writerow(_csv_row(entry))
        if out.tell() > 16_384:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


@bp.get("/log.csv")
@login_required
def log_csv():
    asked = _read_request()  # refused, or wrong filters, before a byte of the file is sent
    if asked.errors:
        return _page(asked, status=400)
    response = Response(stream_with_context(_csv_lines(asked.filters)), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="audit-log-{utcnow():%Y-%m-%d}.csv"'
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
