"""The health pages: `/admin/health` (admins), its CSV downloads, the "Refresh now" button,
and the public summary `/health` (only while the admins have switched it on).

Every figure comes from the rollup (queries.py), so a page costs the same whatever the size
of the site; the range is a GET form of UTC days."""

import csv
import io
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required

from ..accounts.rules import require_admin
from ..auth import actor
from ..db import utcnow
from ..forms import ConfirmForm
from ..sitesettings import current_settings
from ..web import csv_cell, parse_day
from . import bp, charts, queries, rollup
from .queries import FIGURE_LABELS, FIGURES, Figures, Range

CSV_TABLES = {
    "weekly": "Figures per week and community",
    "communities": "Figures per community",
    "organisations": "Figures per week and organisation",
    "exchanges": "Exchanges between organisations per week",
    "pairs": "Pairs of organisations that talk most",
}
PUBLIC_FIGURES = ("active_members", "new_members", "threads", "posts", "chat_messages",
                  "resources_published", "event_attendance")  # fmt: skip


@dataclass
class Asked:
    values: dict[str, str]
    rng: Range | None = None
    errors: list[tuple[str, str]] = field(default_factory=list)  # (field id, message)


def _read_range() -> Asked:
    values = {name: request.args.get(name, "").strip()[:20] for name in ("from", "to")}
    asked = Asked(values)
    today = utcnow().date()
    default = queries.default_range(today)
    first, error = parse_day(values["from"])
    if error:
        asked.errors.append(("from", error))
    last, error = parse_day(values["to"])
    if error:
        asked.errors.append(("to", error))
    if asked.errors:
        return asked
    first = first or (default.first if last is None else last - timedelta(weeks=12) + timedelta(1))
    last = last or max(today, first)
    if first > last:
        asked.errors.append(("to", "The “to” date is before the “from” date."))
    elif (last - first).days + 1 > queries.MAX_DAYS:
        asked.errors.append(("to", "Choose a range of at most five years."))
    elif first < date(2000, 1, 1):
        asked.errors.append(("from", "Choose a “from” date in 2000 or later."))
    if not asked.errors:
        asked.rng = Range(first, last)
        values["from"], values["to"] = first.isoformat(), last.isoformat()
    return asked


# --- the tables and charts of a range -----------------------------------------------------


def _cells(fig: Figures, figure: str, week: int | None, community: int | None) -> int:
    if week is None and community is None:
        return fig.totals.get(figure, 0)
    if week is None:
        return fig.by_community.get((figure, community), 0)
    if community is None:
        return fig.network_weekly.get((figure, week), 0)
    return fig.weekly.get((figure, week, community), 0)


def _week_labels(fig: Figures) -> list[str]:
    return [fig.rng.week_label(i) for i in range(len(fig.rng.weeks))]


def _figure_charts(fig: Figures, keys) -> list[dict]:
    labels = _week_labels(fig)
    shown = [c for c in fig.communities if any(fig.by_community.get((k, c)) for k, _ in FIGURES)]
    sections = []
    for key in keys:
        label = FIGURE_LABELS[key]
        values = fig.week_values(key)
        section = {
            "key": key,
            "label": label,
            "chart": charts.weekly_bars(
                f"chart-{key}", f"{label} per week", labels, [(label.lower(), values)]
            ),  # fmt: skip
            "communities": [(c, fig.communities[c]) for c in shown],
            "rows": [
                (labels[i], values[i], [_cells(fig, key, i, c) for c in shown])
                for i in range(len(labels))
            ],
            "total": fig.totals.get(key, 0),
            "community_totals": [_cells(fig, key, None, c) for c in shown],
        }
        if key == "event_feedback":
            sums = fig.week_values("event_rating_sum")
            section["ratings"] = [
                fig.average_rating(values[i], sums[i]) for i in range(len(labels))
            ]
            section["rating"] = fig.average_rating(
                fig.totals.get("event_feedback", 0), fig.totals.get("event_rating_sum", 0)
            )
        if key == "active_members":
            section["note"] = (
                "Members who posted, replied, chatted, reacted, answered an event or gave "
                "feedback. A member active in several communities or weeks counts once in each, "
                "and once in the totals."
            )
        sections.append(section)
    return sections


def _exchange_charts(fig: Figures) -> dict:
    labels = _week_labels(fig)
    weeks = range(len(labels))
    replies = [fig.exchanges.get(("reply", i), 0) for i in weeks]
    chats = [fig.exchanges.get(("chat", i), 0) for i in weeks]
    names = fig.organisations
    pairs = [(f"{names[low]} and {names[high]}", r, c, r + c) for low, high, r, c in fig.pairs]
    return {
        "chart": charts.weekly_bars(
            "chart-exchanges",
            "Exchanges between organisations per week",
            labels,
            [("replies", replies), ("chat exchanges", chats)],
        ),  # fmt: skip
        "rows": [(labels[i], replies[i], chats[i]) for i in weeks],
        "totals": (sum(replies), sum(chats)),
        "pairs": pairs,
        "pairs_chart": charts.ranked_bars(
            "chart-pairs",
            "Pairs of organisations that talk most (replies and chat exchanges)",
            [(label, total) for label, _r, _c, total in pairs],
        ),  # fmt: skip
    }


def _organisation_rows(fig: Figures) -> dict:
    orgs = sorted(
        {org for _m, org in fig.by_organisation},
        key=lambda o: (-fig.by_organisation.get(("active_members", o), 0), fig.organisations[o]),
    )
    rows = []
    for org in orgs:
        values = [fig.by_organisation.get((key, org), 0) for key, _label in FIGURES]
        rows.append((fig.organisations[org], values))
    top = [(name, values[0]) for name, values in rows[:10] if values[0]]
    return {
        "rows": rows,
        "chart": charts.ranked_bars(
            "chart-organisations", "Organisations with the most active members", top
        ),
    }


def _community_rows(fig: Figures) -> list:
    return [
        (name, [fig.by_community.get((key, c), 0) for key, _label in FIGURES])
        for c, name in fig.communities.items()
        if any(fig.by_community.get((key, c)) for key, _label in FIGURES)
    ]


# --- the admin page -----------------------------------------------------------------------


def _admin_page(asked: Asked, status: int = 200):
    state = rollup.state()
    context = {"asked": asked, "state": state, "refresh_form": ConfirmForm(formdata=None),
               "figures_list": FIGURES, "csv_tables": CSV_TABLES}  # fmt: skip
    if asked.rng is not None:
        fig = queries.figures(asked.rng)
        context.update(
            fig=fig,
            sections=_figure_charts(fig, [key for key, _label in FIGURES]),
            exchanges=_exchange_charts(fig),
            organisations=_organisation_rows(fig),
            communities=_community_rows(fig),
        )
    return render_template("network_health/admin.html", **context), status


@bp.get("/admin/health")
@login_required
def admin():
    require_admin(actor())
    asked = _read_range()
    return _admin_page(asked, 400 if asked.errors else 200)


@bp.post("/admin/health/refresh")
@login_required
def refresh():
    require_admin(actor())
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    result = rollup.refresh()  # its own transactions, one per chunk of days
    flash(f"The figures are up to date. {result.line()}", "success")
    chosen = {k: v for k in ("from", "to") if (v := request.form.get(k, "").strip()[:20])}
    return redirect(url_for("network_health.admin", **chosen))


@bp.get("/admin/health.csv")
@login_required
def admin_csv():
    require_admin(actor())
    asked = _read_range()
    table = request.args.get("table", "")
    if table not in CSV_TABLES:
        asked.errors.append(("table", "Choose one of the tables offered for download."))
    if asked.errors:
        return _admin_page(asked, 400)
    fig = queries.figures(asked.rng, pairs=1000, org_weeks=table == "organisations")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in _csv_rows(fig, table):
        writer.writerow([csv_cell(c) if isinstance(c, str) else c for c in row])
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="network-health-{table}-{asked.rng.first}-to-{asked.rng.last}.csv"'
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _figure_header() -> list[str]:
    return [label for _key, label in FIGURES] + ["Average event rating"]


def _figure_values(get) -> list:
    values = [get(key) for key, _label in FIGURES]
    count, total = get("event_feedback"), get("event_rating_sum")
    return values + [f"{total / count:.2f}" if count else ""]


def _csv_rows(fig: Figures, table: str):
    weeks = fig.rng.weeks
    if table == "weekly":
        yield ["Week from", "Community", *_figure_header()]
        for i in range(len(weeks)):
            start = max(weeks[i], fig.rng.first).isoformat()
            yield [start, "All communities",
                   *_figure_values(lambda k, i=i: _cells(fig, k, i, None))]  # fmt: skip
            for c, name in fig.communities.items():
                values = _figure_values(lambda k, i=i, c=c: fig.weekly.get((k, i, c), 0))
                if any(values[:-1]):
                    yield [start, name, *values]
    elif table == "communities":
        yield ["Community", *_figure_header()]
        yield ["All communities", *_figure_values(lambda k: fig.totals.get(k, 0))]
        for c, name in fig.communities.items():
            values = _figure_values(lambda k, c=c: fig.by_community.get((k, c), 0))
            if any(values[:-1]):
                yield [name, *values]
    elif table == "organisations":
        yield ["Week from", "Organisation", *_figure_header()]
        orgs = sorted({org for _m, _w, org in fig.org_weekly}, key=lambda o: fig.organisations[o])
        for i in range(len(weeks)):
            start = max(weeks[i], fig.rng.first).isoformat()
            for org in orgs:
                values = _figure_values(lambda k, i=i, o=org: fig.org_weekly.get((k, i, o), 0))
                if any(values[:-1]):
                    yield [start, fig.organisations[org], *values]
    elif table == "exchanges":
        yield ["Week from", "Replies between organisations", "Chat exchanges between organisations"]
        for i in range(len(weeks)):
            replies, chats = fig.exchanges.get(("reply", i), 0), fig.exchanges.get(("chat", i), 0)
            yield [max(weeks[i], fig.rng.first).isoformat(), replies, chats]
    else:  # pairs
        yield ["Organisation", "Other organisation", "Replies", "Chat exchanges", "Together"]
        for low, high, replies, chats in fig.pairs:
            yield [fig.organisations[low], fig.organisations[high], replies, chats, replies + chats]


# --- the public summary -------------------------------------------------------------------


@bp.get("/health")
def public():
    if not current_settings().health_public:
        abort(404)
    asked = _read_range()
    context = {"asked": asked, "state": rollup.state()}
    if asked.rng is not None:
        fig = queries.figures(asked.rng, public_communities_only=True)
        context.update(
            fig=fig,
            sections=_figure_charts(fig, PUBLIC_FIGURES),
            exchanges=_exchange_charts(fig),
            communities=_community_rows(fig),
            figures_list=FIGURES,
        )
    return render_template("network_health/public.html", **context), 400 if asked.errors else 200
