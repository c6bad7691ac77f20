"""Server-side SVG charts: the vital-signs chart of the session page and the day board, and any chart a PDF or an
outcome page needs next. Server-side so that the page and a PDF show the same picture, without a JavaScript chart
library (docs/architecture.md, "Charts").

Pure Python, no Django import, so every app (and clinic/pdf.py) can use it without reaching into another app. Every
text that reaches the SVG is escaped here; the caller marks the returned string safe (clinic.pdf.chart_for_pdf for a
PDF). Colours come from CSS classes (`chart-*` in static/css/charts.css, `board-*` in sessions' stylesheet), not
inline styles, so a strict Content-Security-Policy holds. Times are drawn in the zone passed in (the site's).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from html import escape

from clinic import clock

__all__ = ["BoardBlock", "Guide", "Marker", "Series", "day_board_svg", "time_chart_svg"]

_DAY_MINUTES = 24 * 60
# Time ticks for a session (minutes) up to an outcome chart over months (days and weeks, labelled with the date).
_TICK_MINUTES = (5, 10, 15, 30, 60, 120, _DAY_MINUTES, 2 * _DAY_MINUTES, 7 * _DAY_MINUTES, 14 * _DAY_MINUTES,
                 28 * _DAY_MINUTES)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Series:
    """A line: (time, value) points, drawn with `css_class`; `label` goes into the legend."""

    label: str
    points: tuple[tuple[datetime, float], ...]
    css_class: str


@dataclass(frozen=True, slots=True)
class Guide:
    """A horizontal line at `value` (a threshold), labelled."""

    value: float
    label: str
    css_class: str = "chart-guide"


@dataclass(frozen=True, slots=True)
class Marker:
    """A vertical line at a time (dosing started, dosing ended), labelled; `alert` points are ringed in red."""

    at: datetime
    label: str
    css_class: str = "chart-marker"


@dataclass(frozen=True, slots=True)
class BoardBlock:
    """A booking on the day board: lane index, time range, two lines of text, a link and a status class."""

    lane: int
    start: datetime
    end: datetime
    title: str
    subtitle: str
    href: str
    css_class: str


def _f(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _line(css_class: str, x1: float, x2: float, y1: float, y2: float) -> str:
    return f'<line class="{escape(css_class)}" x1="{_f(x1)}" x2="{_f(x2)}" y1="{_f(y1)}" y2="{_f(y2)}"/>'


def _text(css_class: str, x: float, y: float, text: str, anchor: str = "start") -> str:
    return f'<text class="{css_class}" x="{_f(x)}" y="{_f(y)}" text-anchor="{anchor}">{escape(text)}</text>'


def _circle(css_class: str, cx: float, cy: float, r: int) -> str:
    return f'<circle class="{escape(css_class)}" cx="{_f(cx)}" cy="{_f(cy)}" r="{r}"/>'


def _tick_every(span: timedelta, max_ticks: int) -> int:
    minutes = span / timedelta(minutes=1)
    return next((m for m in _TICK_MINUTES if minutes / m <= max_ticks), _TICK_MINUTES[-1])


def _tick_label(tick: datetime, every_min: int) -> str:
    """The time of day on an axis of minutes and hours, the date ("May 4") on an axis of days and weeks."""
    return clock.clock_words(tick, zone=False) if every_min < _DAY_MINUTES else clock.month_day(tick)


def _ticks(start: datetime, end: datetime, every_min: int, tz: tzinfo) -> list[datetime]:
    local = start.astimezone(tz)
    minute = (local.minute // every_min) * every_min if every_min < 60 else 0
    at = local.replace(minute=minute, second=0, microsecond=0)
    if every_min >= 60:
        at = at.replace(hour=(at.hour // (every_min // 60)) * (every_min // 60))
    ticks = []
    while at <= end:
        if at >= start:
            ticks.append(at)
        at += timedelta(minutes=every_min)
    return ticks


def time_chart_svg(
    series: Sequence[Series],
    *,
    start: datetime,
    end: datetime,
    y_min: float,
    y_max: float,
    tz: tzinfo,
    title: str,
    guides: Sequence[Guide] = (),
    markers: Sequence[Marker] = (),
    alert_points: Sequence[tuple[datetime, float]] = (),
    width: int = 720,
    height: int = 280,
    y_step: float | None = None,
    chart_id: str = "chart",
) -> str:
    """A line chart over time (e.g. systolic, diastolic and heart rate over an hour, or questionnaire scores over
    months: time ticks become dates when they are a day or more apart). Points outside [y_min, y_max] are drawn at
    the edge; the title is the chart's accessible name, its element's id is `chart_id`-title (give each chart of one
    document its own). `y_step` spaces the value grid (default 10, or 20 for a range over 100)."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)  # differences of same-zone times ignore DST
    if end <= start:
        end = start + timedelta(minutes=1)
    if y_max <= y_min:
        raise ValueError("y_max must be above y_min")
    left, right, top, bottom = 44, 24, 12, 52
    plot_w, plot_h = width - left - right, height - top - bottom
    span = (end - start).total_seconds()

    def x(at: datetime) -> float:
        return left + plot_w * (at - start).total_seconds() / span

    def y(value: float) -> float:
        clamped = min(max(value, y_min), y_max)
        return top + plot_h * (1 - (clamped - y_min) / (y_max - y_min))

    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-labelledby="{escape(chart_id)}-title" '
        f'xmlns="http://www.w3.org/2000/svg"><title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<rect class="chart-frame" x="{left}" y="{top}" width="{plot_w}" height="{plot_h}"/>',
    ]
    step = y_step or (20 if y_max - y_min > 100 else 10)
    value = (int(y_min // step) + 1) * step
    while value < y_max:
        parts.append(_line("chart-grid", left, left + plot_w, y(value), y(value)))
        parts.append(_text("chart-axis", left - 6, y(value) + 4, _f(value), "end"))
        value += step
    every_min = _tick_every(end - start, 8)
    for tick in _ticks(start, end, every_min, tz):
        parts.append(_line("chart-grid", x(tick), x(tick), top, top + plot_h))
        parts.append(_text("chart-axis", x(tick), top + plot_h + 16, _tick_label(tick, every_min), "middle"))
    for guide in guides:
        parts.append(_line(guide.css_class, left, left + plot_w, y(guide.value), y(guide.value)))
        parts.append(_text("chart-guide-label", left + plot_w - 4, y(guide.value) - 4, guide.label, "end"))
    for marker in markers:
        if start <= marker.at <= end:
            parts.append(_line(marker.css_class, x(marker.at), x(marker.at), top, top + plot_h))
            parts.append(_text("chart-marker-label", x(marker.at) + 4, top + 12, marker.label))
    for line in series:
        coords = " ".join(f"{_f(x(at))},{_f(y(v))}" for at, v in line.points)
        if len(line.points) > 1:
            parts.append(f'<polyline class="{escape(line.css_class)}" fill="none" points="{coords}"/>')
        for at, v in line.points:
            parts.append(_circle(f"{line.css_class} chart-point", x(at), y(v), 3))
    for at, v in alert_points:
        parts.append(_circle("chart-alert", x(at), y(v), 7))
    legend_x = left
    for line in series:
        ly = height - 14
        parts.append(_line(line.css_class, legend_x, legend_x + 18, ly, ly))
        parts.append(_text("chart-legend", legend_x + 24, ly + 4, line.label))
        legend_x += 34 + 8 * len(line.label)
    parts.append("</svg>")
    return "".join(parts)


def day_board_svg(
    lanes: Sequence[str],
    blocks: Sequence[BoardBlock],
    *,
    day_start: datetime,
    day_end: datetime,
    tz: tzinfo,
    title: str,
    now: datetime | None = None,
    lane_width: int = 200,
    px_per_min: float = 1.1,
) -> str:
    """The day board: one column per lane (chair), blocks placed by time and linked, hour lines, a "now" line.
    Blocks are clipped to [day_start, day_end]."""
    day_start, day_end = day_start.astimezone(UTC), day_end.astimezone(UTC)  # see time_chart_svg
    axis, header = 52, 28
    minutes = (day_end - day_start) / timedelta(minutes=1)
    width = axis + lane_width * max(len(lanes), 1)
    height = header + int(minutes * px_per_min) + 8

    def y(at: datetime) -> float:
        clamped = min(max(at, day_start), day_end)
        return header + (clamped - day_start) / timedelta(minutes=1) * px_per_min

    parts = [
        f'<svg class="board" viewBox="0 0 {width} {height}" role="img" aria-labelledby="board-title" '
        f'xmlns="http://www.w3.org/2000/svg"><title id="board-title">{escape(title)}</title>',
    ]
    lane_h = height - header
    for index, lane in enumerate(lanes):
        lx = axis + index * lane_width
        parts.append(f'<rect class="board-lane" x="{lx}" y="{header}" width="{lane_width}" height="{lane_h}"/>')
        parts.append(_text("board-lane-label", lx + lane_width / 2, header - 9, lane, "middle"))
    for tick in _ticks(day_start, day_end, 60, tz):
        parts.append(_line("board-hour", axis - 4, width, y(tick), y(tick)))
        parts.append(_text("board-axis", axis - 8, y(tick) + 4, clock.clock_words(tick, zone=False), "end"))
    for index, block in enumerate(blocks):
        if block.end <= day_start or block.start >= day_end or not 0 <= block.lane < len(lanes):
            continue
        bx = axis + block.lane * lane_width + 4
        by, bh = y(block.start), max(y(block.end) - y(block.start), 14)
        label = escape(f"{block.title}, {block.subtitle}")
        box = f'x="{bx}" y="{_f(by + 1)}" width="{lane_width - 8}" height="{_f(bh - 2)}"'
        parts.append(
            f'<clipPath id="board-clip-{index}"><rect {box}/></clipPath>'  # long names stay inside their block
            f'<a href="{escape(block.href)}" aria-label="{label}">'
            f'<g class="board-block {escape(block.css_class)}" clip-path="url(#board-clip-{index})">'
            f'<rect {box} rx="4"/>' + _text("board-block-title", bx + 6, by + 15, block.title)
        )
        if bh >= 32:
            parts.append(_text("board-block-sub", bx + 6, by + 30, block.subtitle))
        parts.append("</g></a>")
    if now is not None and day_start <= now <= day_end:
        parts.append(_line("board-now", axis - 4, width, y(now), y(now)))
    parts.append("</svg>")
    return "".join(parts)
