"""Line and stacked-area charts as SVG strings, for the live demo.

A demo chart is redrawn on every step; matplotlib took 60 to 110 ms a chart to
lay out and render a PNG, five charts most of the time from a Step click to the
redrawn page. These charts are a few hundred SVG elements written directly
(about a millisecond each), drawn by the browser. Pure functions; coordinates in
SVG user units (the chart scales to its card's width).

Each series is one ``<path>`` with ``class`` (``series`` or ``area``),
``data-label`` and ``data-y`` (the values drawn, comma-separated) so that tests
and readers can check what a chart shows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import numpy as np

WIDTH, HEIGHT = 560, 330
#: Margins of the plotting area: left (y tick labels), right, top (titles and legend room), bottom (x tick labels).
LEFT, RIGHT, TOP, BOTTOM = 52, 10, 44, 24
PANEL_GAP = 10


@dataclass(frozen=True)
class Series:
    """One line or stacked area of a panel.

    ``style``: "policy" (solid, with dots), "baseline" (faint and dashed) or "area" (filled between ``base`` and
    ``y``: a layer of a stack). ``legend``: whether it has an entry in the panel's legend.
    """

    label: str
    x: np.ndarray
    y: np.ndarray
    colour: str
    style: str = "policy"
    base: np.ndarray | None = None
    legend: bool = True


@dataclass(frozen=True)
class Panel:
    """A plotting area with its title, series and, when it has nothing to draw, a note in its middle."""

    title: str
    series: tuple[Series, ...]
    note: str = ""


def nice_ticks(low: float, high: float, count: int = 5) -> np.ndarray:
    """About ``count`` round tick values (1, 2, 2.5 or 5 times a power of ten apart) covering [low, high]."""
    span = high - low if high > low else 1.0
    raw = span / count
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * magnitude >= raw * (1 - 1e-9))
    first = math.floor(low / step + 1e-9) * step
    last = math.ceil(high / step - 1e-9) * step
    return first + step * np.arange(round((last - first) / step) + 1)


def tick_label(value: float, step: float) -> str:
    """A tick value with as many decimals as its step needs, thousands separated."""
    decimals = max(0, -math.floor(math.log10(step) + 1e-9)) if step > 0 else 0
    return f"{value:,.{decimals}f}"


def y_range(panels: Sequence[Panel]) -> np.ndarray:
    """The y ticks shared by the panels: from 0 (or below, for negative values) to just above the largest value."""
    values = [np.asarray(s.y, dtype=float) for p in panels for s in p.series]
    finite = np.concatenate([v[np.isfinite(v)] for v in values]) if values else np.zeros(0)
    low = min(0.0, float(finite.min())) if len(finite) else 0.0
    high = float(finite.max()) if len(finite) else 1.0
    if high <= low:
        high = low + 1.0
    return nice_ticks(low, high)


def _path(xs: np.ndarray, ys: np.ndarray) -> str:
    """An SVG path through the points, broken where a value is missing."""
    parts, pen_down = [], False
    for x, y in zip(xs.tolist(), ys.tolist(), strict=True):
        if not (math.isfinite(x) and math.isfinite(y)):
            pen_down = False
            continue
        parts.append(f"{'L' if pen_down else 'M'}{x:.1f},{y:.1f}")
        pen_down = True
    return "".join(parts)


def _values(y: np.ndarray) -> str:
    return ",".join(f"{v:.6g}" for v in np.asarray(y, dtype=float).tolist())


def chart(title: str, panels: Sequence[Panel], horizon: tuple[int, int], y_label: str = "",
          width: int = WIDTH, height: int = HEIGHT) -> str:
    """Panels side by side under ``title``, sharing the y axis; x is the years of ``horizon``."""
    ticks = y_range(panels)
    y_low, y_high = float(ticks[0]), float(ticks[-1])
    step = float(ticks[1] - ticks[0]) if len(ticks) > 1 else 1.0
    inner_width = (width - LEFT - RIGHT - PANEL_GAP * (len(panels) - 1)) / len(panels)
    y_pixels = height - TOP - BOTTOM
    x_low, x_high = horizon
    x_ticks = nice_ticks(x_low, x_high, count=4)
    x_ticks = x_ticks[(x_ticks >= x_low) & (x_ticks <= x_high)]

    def to_y(values: np.ndarray) -> np.ndarray:
        return TOP + y_pixels * (y_high - np.asarray(values, dtype=float)) / (y_high - y_low)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
           f'class="talentflow-svgchart" style="font-family:sans-serif; max-width:100%">',
           f'<text x="{width / 2:.0f}" y="16" text-anchor="middle" font-size="14">{escape(title)}</text>']
    if y_label:
        out.append(f'<text transform="translate(12,{TOP + y_pixels / 2:.0f}) rotate(-90)" text-anchor="middle" '
                   f'font-size="10">{escape(y_label)}</text>')
    for tick in ticks.tolist():
        out.append(f'<text x="{LEFT - 4}" y="{float(to_y(tick)) + 3:.1f}" text-anchor="end" font-size="9">'
                   f'{tick_label(tick, step)}</text>')
    for i, panel in enumerate(panels):
        left = LEFT + i * (inner_width + PANEL_GAP)

        def to_x(years: np.ndarray, left: float = left) -> np.ndarray:
            return left + inner_width * (np.asarray(years, dtype=float) - x_low) / max(x_high - x_low, 1)

        out.append(f'<rect x="{left:.1f}" y="{TOP}" width="{inner_width:.1f}" height="{y_pixels}" fill="none" '
                   'stroke="#999" stroke-width="0.8"/>')
        for tick in ticks.tolist():
            y = float(to_y(tick))
            out.append(f'<line x1="{left:.1f}" x2="{left + inner_width:.1f}" y1="{y:.1f}" y2="{y:.1f}" '
                       'stroke="#ddd" stroke-width="0.6"/>')
        for year in x_ticks.tolist():
            x = float(to_x(year))
            out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{TOP}" y2="{TOP + y_pixels}" stroke="#eee" '
                       f'stroke-width="0.6"/><text x="{x:.1f}" y="{height - 8}" text-anchor="middle" '
                       f'font-size="9">{year:.0f}</text>')
        if panel.title:
            out.append(f'<text x="{left + inner_width / 2:.1f}" y="32" text-anchor="middle" font-size="11">'
                       f'{escape(panel.title)}</text>')
        for s in panel.series:
            out.append(_series_svg(s, to_x, to_y))
        if panel.note:
            out.append(f'<text x="{left + inner_width / 2:.1f}" y="{TOP + y_pixels / 2:.0f}" text-anchor="middle" '
                       f'font-size="11" fill="grey">{escape(panel.note)}</text>')
        out.append(_legend([s for s in panel.series if s.legend], left + 6, TOP + 6, inner_width))
    out.append("</svg>")
    return "".join(out)


def _series_svg(s: Series, to_x, to_y) -> str:
    label, values = escape(s.label), _values(s.y)
    if s.style == "area":
        xs = to_x(s.x)
        top, bottom = to_y(s.y), to_y(s.base if s.base is not None else np.zeros(len(s.y)))
        outline = _path(np.concatenate([xs, xs[::-1]]), np.concatenate([top, bottom[::-1]]))
        return (f'<path class="area" data-label="{label}" data-y="{values}" d="{outline}Z" fill="{s.colour}" '
                'fill-opacity="0.88" stroke="none"/>')
    xs, ys = to_x(s.x), to_y(s.y)
    d = _path(xs, ys)
    if s.style == "baseline":
        return (f'<path class="series baseline" data-label="{label}" data-y="{values}" d="{d}" fill="none" '
                f'stroke="{s.colour}" stroke-width="1.4" stroke-dasharray="5,3" stroke-opacity="0.5"/>')
    dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="1.8"/>' for x, y in zip(xs.tolist(), ys.tolist(), strict=True)
                   if math.isfinite(x) and math.isfinite(y))  # a year's value shows even before there is a line
    return (f'<path class="series policy" data-label="{label}" data-y="{values}" d="{d}" fill="none" '
            f'stroke="{s.colour}" stroke-width="2"/><g fill="{s.colour}">{dots}</g>')


def _legend(series: Sequence[Series], x: float, y: float, width: float) -> str:
    """Legend entries in rows of up to two, from the panel's top left corner."""
    columns = 2 if len(series) > 3 else 1
    column_width = min(width / 2, 120)
    parts = []
    for k, s in enumerate(series):
        left = x + (k % columns) * column_width
        top = y + (k // columns) * 12
        if s.style == "area":
            mark = f'<rect x="{left:.1f}" y="{top:.1f}" width="10" height="8" fill="{s.colour}"/>'
        else:
            dash = ' stroke-dasharray="4,2" stroke-opacity="0.6"' if s.style == "baseline" else ""
            mark = (f'<line x1="{left:.1f}" x2="{left + 12:.1f}" y1="{top + 4:.1f}" y2="{top + 4:.1f}" '
                    f'stroke="{s.colour}" stroke-width="2"{dash}/>')
        parts.append(f'{mark}<text x="{left + 15:.1f}" y="{top + 8:.1f}" font-size="9">{escape(s.label)}</text>')
    return "".join(parts)
