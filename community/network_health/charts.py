"""Charts as geometry: plain numbers that templates/network_health/_charts.html draws as
inline SVG (no JavaScript, scaled by its viewBox). Each chart has a title and a description
for assistive technology; its figures are always in the table beside it too."""

import math
from dataclasses import dataclass, field

# Dark enough on white for text and for bars next to each other (WCAG contrast > 4.5:1).
SERIES_COLOURS = ("#1d4f73", "#a0461d")
INK = "#1f2328"
GRID = "#c9cfd6"

WIDTH = 640
HEIGHT = 260
LEFT, RIGHT, TOP, BOTTOM = 52, 12, 16, 44


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int | float
    label: str  # what the bar is (for its own <title>)
    colour: str


@dataclass
class Tick:
    y: float
    label: str


@dataclass
class XLabel:
    x: float
    label: str


@dataclass
class Chart:
    id: str
    title: str
    description: str
    width: int
    height: int
    bars: list[Bar] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    x_labels: list[XLabel] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)  # (colour, name)
    plot_left: float = LEFT
    plot_right: float = WIDTH - RIGHT
    baseline: float = HEIGHT - BOTTOM
    horizontal: bool = False
    row_labels: list[XLabel] = field(default_factory=list)  # horizontal: y and text
    value_labels: list[tuple[float, float, str]] = field(default_factory=list)  # x, y, text
    empty: bool = False


def _nice_max(value: float) -> float:
    """A round number at or above `value` for the top of the axis."""
    if value <= 0:
        return 1
    exponent = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exponent:
            return step * exponent
    return 10 * exponent


def _format(value: float) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def weekly_bars(
    chart_id: str,
    title: str,
    labels: list[str],
    series: list[tuple[str, list[int | float]]],
    *,
    unit: str = "",
) -> Chart:
    """Vertical bars, one group per week (`labels`), one bar per series in a group."""
    values = [v for _name, vs in series for v in vs]
    top = _nice_max(max(values, default=0))
    chart = Chart(
        id=chart_id,
        title=title,
        description=_describe(title, labels, series, unit),
        width=WIDTH,
        height=HEIGHT,
        empty=not any(values),
    )
    plot_height = chart.baseline - TOP
    for i in range(5):
        value = top * i / 4
        chart.ticks.append(Tick(chart.baseline - plot_height * i / 4, _format(value)))
    groups = max(len(labels), 1)
    slot = (chart.plot_right - chart.plot_left) / groups
    bar_width = slot * 0.8 / max(len(series), 1)
    every = max(1, math.ceil(groups / 12))  # at most a dozen labels under the axis
    for g, label in enumerate(labels):
        left = chart.plot_left + g * slot + slot * 0.1
        for s, (name, vs) in enumerate(series):
            value = vs[g]
            height = plot_height * value / top
            chart.bars.append(
                Bar(
                    x=round(left + s * bar_width, 2),
                    y=round(chart.baseline - height, 2),
                    width=round(bar_width, 2),
                    height=round(height, 2),
                    value=value,
                    label=f"{label}: {_format(value)} {name}".strip(),
                    colour=SERIES_COLOURS[s % len(SERIES_COLOURS)],
                )
            )
        if g % every == 0:
            chart.x_labels.append(XLabel(round(chart.plot_left + g * slot + slot / 2, 2), label))
    if len(series) > 1:
        chart.legend = [
            (SERIES_COLOURS[s % len(SERIES_COLOURS)], name) for s, (name, _vs) in enumerate(series)
        ]
    return chart


def ranked_bars(chart_id: str, title: str, rows: list[tuple[str, int | float]]) -> Chart:
    """Horizontal bars, one per row (label, value), in the order given (largest first)."""
    row_height = 26
    label_width = 230
    height = TOP + row_height * max(len(rows), 1) + 8
    top = _nice_max(max((v for _label, v in rows), default=0))
    chart = Chart(
        id=chart_id,
        title=title,
        description=title
        + ": "
        + ("; ".join(f"{label} {_format(v)}" for label, v in rows) or "nothing in this range."),
        width=WIDTH,
        height=height,
        horizontal=True,
        plot_left=label_width,
        plot_right=WIDTH - 70,
        empty=not rows,
    )
    span = chart.plot_right - chart.plot_left
    for i, (label, value) in enumerate(rows):
        y = TOP + i * row_height
        length = span * value / top
        chart.bars.append(
            Bar(x=chart.plot_left, y=y + 4, width=round(length, 2), height=row_height - 8,
                value=value, label=f"{label}: {_format(value)}", colour=SERIES_COLOURS[0])
        )  # fmt: skip
        short = label if len(label) <= 32 else label[:31] + "…"
        chart.row_labels.append(XLabel(y + row_height / 2 + 4, short))
        chart.value_labels.append(
            (round(chart.plot_left + length + 6, 2), y + row_height / 2 + 4, _format(value))
        )
    return chart


def _describe(title: str, labels: list[str], series, unit: str) -> str:
    if not labels:
        return f"{title}: no weeks in this range."
    parts = []
    for name, values in series:
        total = sum(values)
        peak = max(range(len(values)), key=lambda i: values[i])
        parts.append(
            f"{name + ': ' if len(series) > 1 else ''}{_format(total)}{unit} in all, "
            f"most in the week of {labels[peak]} ({_format(values[peak])})"
        )
    return f"{title}, week by week from {labels[0]} to {labels[-1]}. " + "; ".join(parts) + "."
