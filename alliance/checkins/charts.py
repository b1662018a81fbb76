"""Server-rendered SVG charts: no script, no inline style, nothing from another host.

Colours and strokes come from CSS classes in alliance.css (section "checkins"); geometry
uses SVG presentation attributes. Every chart has a title and description for assistive
technology, and the templates put a text table beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.template.defaultfilters import floatformat
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 520, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 30


@dataclass(frozen=True)
class Series:
    label: str
    css: str  # e.g. "goal", "task", "bond", "score"
    points: Sequence[tuple[float, float]]


@dataclass(frozen=True)
class Marker:
    x: float
    y: float
    css: str
    title: str


@dataclass(frozen=True)
class Band:
    label: str
    points: Sequence[tuple[float, float, float]]  # (x, lower, upper)


@dataclass(frozen=True)
class Chart:
    title: str
    description: str
    y_min: float
    y_max: float
    series: Sequence[Series]
    x_label: str = "Session"
    band: Band | None = None
    markers: Sequence[Marker] = field(default_factory=tuple)
    y_ticks: Sequence[float] = ()


def _fmt(v: float) -> str:
    # A label people read, in their locale like the table beside the chart ("4,5" in Spanish).
    return str(floatformat(v, -1))


@dataclass(frozen=True)
class _Plot:
    """Where a chart's values fall in the SVG: x (the session) and y in pixels."""

    chart: Chart
    x_min: float
    x_max: float
    span_y: float
    plot_w: int
    plot_h: int

    def px(self, x: float) -> float:
        return LEFT + (x - self.x_min) / (self.x_max - self.x_min) * self.plot_w

    def py(self, y: float) -> float:
        return TOP + (1 - (y - self.chart.y_min) / self.span_y) * self.plot_h


def _text(value: str) -> str:
    """Text for the SVG, escaped (numbers formatted here need no escaping: charts are drawn
    per point, and `format_html`'s escaping of every number was most of a chart's cost)."""
    return str(conditional_escape(value))


def render(chart: Chart, *, chart_id: str) -> SafeString:
    xs = [x for s in chart.series for x, _ in s.points]
    if chart.band:
        xs += [x for x, _, _ in chart.band.points]
    x_min, x_max = (min(xs), max(xs)) if xs else (1.0, 2.0)
    if x_max == x_min:
        x_min, x_max = x_min - 1, x_max + 1
    span_y = (chart.y_max - chart.y_min) or 1.0
    plot = _Plot(chart, x_min, x_max, span_y, WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM)
    cid = _text(chart_id)
    parts: list[str] = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{cid}-t {cid}-d" '
        'xmlns="http://www.w3.org/2000/svg" focusable="false">'
        f'<title id="{cid}-t">{_text(chart.title)}</title>'
        f'<desc id="{cid}-d">{_text(chart.description)}</desc>'
    ]
    parts += _axes(plot, xs)
    parts += _band(plot)
    parts += _lines(plot)
    parts += _markers(plot)
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every text in it is escaped above


def _axes(plot: _Plot, xs: list[float]) -> list[str]:
    """The y grid with its ticks, the session numbers and the x axis label."""
    chart = plot.chart
    parts: list[str] = []
    ticks = list(chart.y_ticks) or _default_ticks(chart.y_min, chart.y_max)
    for t in ticks:
        y = plot.py(t)
        parts.append(
            f'<line class="chart-grid" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" '
            f'y2="{y:.1f}"/><text class="chart-tick" x="{LEFT - 6}" y="{y + 4:.1f}" '
            f'text-anchor="end">{_fmt(t)}</text>'
        )
    sessions = sorted({int(x) for x in xs})
    step = max(1, len(sessions) // 10)
    for n in sessions[::step]:
        parts.append(
            f'<text class="chart-tick" x="{plot.px(n):.1f}" y="{HEIGHT - BOTTOM + 16}" '
            f'text-anchor="middle">{n}</text>'
        )
    parts.append(
        f'<text class="chart-axis" x="{LEFT + plot.plot_w / 2}" y="{HEIGHT - 2}" '
        f'text-anchor="middle">{_text(chart.x_label)}</text>'
    )
    return parts


def _band(plot: _Plot) -> list[str]:
    band = plot.chart.band
    if not (band and band.points):
        return []
    px, py = plot.px, plot.py
    upper = [f"{px(x):.1f},{py(u):.1f}" for x, _, u in band.points]
    lower = [f"{px(x):.1f},{py(lo):.1f}" for x, lo, _ in reversed(band.points)]
    return [
        f'<polygon class="chart-band" points="{" ".join(upper + lower)}">'
        f"<title>{_text(band.label)}</title></polygon>"
    ]


def _lines(plot: _Plot) -> list[str]:
    """Each series as a line with a dot (and its value as a title) per session."""
    px, py = plot.px, plot.py
    parts: list[str] = []
    for s in plot.chart.series:
        if not s.points:
            continue
        css, label = _text(s.css), _text(s.label)
        coords = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in s.points)
        parts.append(f'<polyline class="chart-line line-{css}" points="{coords}" fill="none"/>')
        for x, y in s.points:
            parts.append(
                f'<circle class="chart-dot line-{css}" cx="{px(x):.1f}" cy="{py(y):.1f}" '
                f'r="3.5"><title>{label}: {_fmt(y)} (session {int(x)})</title></circle>'
            )
    return parts


def _markers(plot: _Plot) -> list[str]:
    parts: list[str] = []
    for m in plot.chart.markers:
        cx, cy = plot.px(m.x), plot.py(m.y)
        parts.append(
            f'<path class="chart-marker marker-{_text(m.css)}" '
            f'd="M {cx - 7:.1f} {cy - 8:.1f} l 7 -12 l 7 12 z"><title>{_text(m.title)}</title>'
            "</path>"
        )
    return parts


def sparkline(values: Sequence[float], *, label: str) -> SafeString:
    """A tiny trend line (0–1 scale) for the caseload; the label says it in words."""
    w, h = 90, 22
    if not values:
        return mark_safe("")
    n = len(values)
    pts = " ".join(
        f"{(i / max(1, n - 1)) * (w - 4) + 2:.1f},{(1 - max(0.0, min(1.0, v))) * (h - 4) + 2:.1f}"
        for i, v in enumerate(values)
    )
    return format_html(
        '<svg class="sparkline" viewBox="0 0 {} {}" width="{}" height="{}" role="img" '
        'aria-label="{}" xmlns="http://www.w3.org/2000/svg"><polyline points="{}" fill="none"/>'
        "</svg>",
        w,
        h,
        w,
        h,
        escape(label),
        pts,
    )


def _default_ticks(low: float, high: float) -> list[float]:
    """Bottom, middle and top; the middle a whole number when the ends are (a score of
    10.5 on a 0–21 scale reads as a score nobody can have)."""
    middle = (low + high) / 2
    if float(low).is_integer() and float(high).is_integer() and high - low >= 2:
        middle = float(round(middle))
    return [low, middle, high]
