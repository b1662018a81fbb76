"""Server-rendered SVG charts: no script, no inline style, nothing from another host.

Colours and strokes come from CSS classes in alliance.css (section "checkins"); geometry
uses SVG presentation attributes. Every chart has a title and description for assistive
technology, and the templates put a text table beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils.html import escape, format_html
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
    return f"{v:.1f}".rstrip("0").rstrip(".")


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


def render(chart: Chart, *, chart_id: str) -> SafeString:
    xs = [x for s in chart.series for x, _ in s.points]
    if chart.band:
        xs += [x for x, _, _ in chart.band.points]
    x_min, x_max = (min(xs), max(xs)) if xs else (1.0, 2.0)
    if x_max == x_min:
        x_min, x_max = x_min - 1, x_max + 1
    span_y = (chart.y_max - chart.y_min) or 1.0
    plot = _Plot(chart, x_min, x_max, span_y, WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM)
    parts: list[str] = [
        format_html(
            '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-t {}-d" '
            'xmlns="http://www.w3.org/2000/svg" focusable="false">'
            '<title id="{}-t">{}</title><desc id="{}-d">{}</desc>',
            WIDTH,
            HEIGHT,
            chart_id,
            chart_id,
            chart_id,
            chart.title,
            chart_id,
            chart.description,
        )
    ]
    parts += _axes(plot, xs)
    parts += _band(plot)
    parts += _lines(plot)
    parts += _markers(plot)
    parts.append("</svg>")
    return mark_safe("".join(parts))


def _axes(plot: _Plot, xs: list[float]) -> list[str]:
    """The y grid with its ticks, the session numbers and the x axis label."""
    chart = plot.chart
    parts: list[str] = []
    ticks = list(chart.y_ticks) or _default_ticks(chart.y_min, chart.y_max)
    for t in ticks:
        y = plot.py(t)
        parts.append(
            format_html(
                '<line class="chart-grid" x1="{}" y1="{}" x2="{}" y2="{}"/>'
                '<text class="chart-tick" x="{}" y="{}" text-anchor="end">{}</text>',
                LEFT,
                f"{y:.1f}",
                WIDTH - RIGHT,
                f"{y:.1f}",
                LEFT - 6,
                f"{y + 4:.1f}",
                _fmt(t),
            )
        )
    sessions = sorted({int(x) for x in xs})
    step = max(1, len(sessions) // 10)
    for n in sessions[::step]:
        parts.append(
            format_html(
                '<text class="chart-tick" x="{}" y="{}" text-anchor="middle">{}</text>',
                f"{plot.px(n):.1f}",
                HEIGHT - BOTTOM + 16,
                n,
            )
        )
    parts.append(
        format_html(
            '<text class="chart-axis" x="{}" y="{}" text-anchor="middle">{}</text>',
            LEFT + plot.plot_w / 2,
            HEIGHT - 2,
            chart.x_label,
        )
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
        format_html(
            '<polygon class="chart-band" points="{}"><title>{}</title></polygon>',
            " ".join(upper + lower),
            band.label,
        )
    ]


def _lines(plot: _Plot) -> list[str]:
    """Each series as a line with a dot (and its value as a title) per session."""
    px, py = plot.px, plot.py
    parts: list[str] = []
    for s in plot.chart.series:
        if not s.points:
            continue
        coords = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in s.points)
        parts.append(
            format_html(
                '<polyline class="chart-line line-{}" points="{}" fill="none"/>', s.css, coords
            )
        )
        for x, y in s.points:
            parts.append(
                format_html(
                    '<circle class="chart-dot line-{}" cx="{}" cy="{}" r="3.5">'
                    "<title>{}: {} (session {})</title></circle>",
                    s.css,
                    f"{px(x):.1f}",
                    f"{py(y):.1f}",
                    s.label,
                    _fmt(y),
                    int(x),
                )
            )
    return parts


def _markers(plot: _Plot) -> list[str]:
    parts: list[str] = []
    for m in plot.chart.markers:
        cx, cy = plot.px(m.x), plot.py(m.y)
        parts.append(
            format_html(
                '<path class="chart-marker marker-{}" d="M {} {} l 7 -12 l 7 12 z">'
                "<title>{}</title></path>",
                m.css,
                f"{cx - 7:.1f}",
                f"{cy - 8:.1f}",
                m.title,
            )
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
