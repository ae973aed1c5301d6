"""Charts as inline SVG, drawn on the server: no script, no CDN, readable on a phone.

The drawing is 360 units wide (about a phone's width, so text keeps its size
there) and scales to its container. Every chart is shown with its numbers in
a table next to it; the SVG is a picture of that table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

WIDTH = 360
LEFT, RIGHT, TOP, BOTTOM = 34, 8, 10, 22


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    css: str = "s1"


def _svg(height: int, label: str, body: str) -> SafeString:
    return format_html(
        '<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{label}" '
        'preserveAspectRatio="xMidYMid meet"><title>{label}</title>{body}</svg>',
        w=WIDTH,
        h=height,
        label=label,
        body=mark_safe(body),  # built below from escaped parts
    )


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    for step in (1, 2, 2.5, 5, 10):
        magnitude = 10 ** (len(str(int(value))) - 1)
        if step * magnitude >= value:
            return float(step * magnitude)
    return float(value)


def line_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    label: str,
    fmt: Callable[[float], str] = lambda v: f"{v:g}",
    maximum: float | None = None,
    height: int = 170,
) -> SafeString:
    """Lines over time; gaps (None) break the line."""
    values = [v for s in series for v in s.values if v is not None]
    top = maximum if maximum is not None else _nice_max(max(values, default=0))
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = height - TOP - BOTTOM
    n = max(1, len(labels) - 1)

    def x(i: int) -> float:
        return LEFT + plot_w * i / n

    def y(v: float) -> float:
        return TOP + plot_h * (1 - (v / top if top else 0))

    parts = []
    for fraction in (0, 0.5, 1):
        gy = TOP + plot_h * (1 - fraction)
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{gy:.1f}" y2="{gy:.1f}"/>'
            f'<text class="axis" x="{LEFT - 4}" y="{gy + 3:.1f}" text-anchor="end">'
            f"{escape(fmt(top * fraction))}</text>"
        )
    if labels:
        ticks = sorted({0, len(labels) // 2, len(labels) - 1})
        for i in ticks:
            anchor = "start" if i == 0 else ("end" if i == len(labels) - 1 else "middle")
            parts.append(
                f'<text class="axis" x="{x(i):.1f}" y="{height - 6}" text-anchor="{anchor}">'
                f"{escape(labels[i])}</text>"
            )
    for s in series:
        path, pen = [], "M"
        for i, v in enumerate(s.values):
            if v is None:
                pen = "M"
                continue
            path.append(f"{pen}{x(i):.1f},{y(v):.1f}")
            pen = "L"
        if path:
            parts.append(f'<path class="line {escape(s.css)}" d="{" ".join(path)}"/>')
    return _svg(height, label, "".join(parts))


def bars(
    rows: Sequence[tuple[str, float]],
    *,
    label: str,
    fmt: Callable[[float], str] = lambda v: f"{v:g}",
    maximum: float | None = None,
    css: str = "s1",
) -> SafeString:
    """Horizontal bars, each with its label above it and its value at its end."""
    top = maximum if maximum is not None else max((v for _l, v in rows), default=0) or 1
    row_h = 30
    height = max(row_h, row_h * len(rows)) + 4
    parts = []
    for i, (name, value) in enumerate(rows):
        y0 = i * row_h
        width = (WIDTH - 60) * (value / top if top else 0)
        parts.append(
            f'<text class="label" x="0" y="{y0 + 11}">{escape(name)}</text>'
            f'<rect class="bar {escape(css)}" x="0" y="{y0 + 15}" width="{max(width, 1):.1f}" '
            f'height="10" rx="2"/>'
            f'<text class="value" x="{width + 4:.1f}" y="{y0 + 24}">{escape(fmt(value))}</text>'
        )
    return _svg(height, label, "".join(parts))


def pareto(rows: Sequence[tuple[str, int, float]], *, label: str) -> SafeString:
    """Volumes as bars, largest first, and the cumulative share as a line (0 to 100 %)."""
    height = 190
    plot_w = WIDTH - LEFT - 36
    plot_h = height - TOP - BOTTOM
    top = _nice_max(max((v for _n, v, _c in rows), default=0))
    n = max(1, len(rows))
    step = plot_w / n
    parts = []
    for fraction in (0, 0.5, 1):
        gy = TOP + plot_h * (1 - fraction)
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{LEFT + plot_w}" y1="{gy:.1f}" y2="{gy:.1f}"/>'
            f'<text class="axis" x="{LEFT - 4}" y="{gy + 3:.1f}" text-anchor="end">'
            f"{top * fraction:g}</text>"
            f'<text class="axis" x="{LEFT + plot_w + 4}" y="{gy + 3:.1f}">{fraction:.0%}</text>'
        )
    points = []
    for i, (name, volume, cumulative) in enumerate(rows):
        bar_h = plot_h * volume / top
        x0 = LEFT + i * step
        parts.append(
            f'<rect class="bar s1" x="{x0 + step * 0.12:.1f}" y="{TOP + plot_h - bar_h:.1f}" '
            f'width="{step * 0.76:.1f}" height="{bar_h:.1f}"><title>{escape(name)}: {volume}'
            f"</title></rect>"
        )
        points.append(f"{x0 + step / 2:.1f},{TOP + plot_h * (1 - cumulative):.1f}")
        if n <= 12 or i % max(1, n // 8) == 0:
            parts.append(
                f'<text class="axis" x="{x0 + step / 2:.1f}" y="{height - 8}" '
                f'text-anchor="middle">{i + 1}</text>'
            )
    if points:
        parts.append(f'<polyline class="line s2" points="{" ".join(points)}"/>')
    return _svg(height, label, "".join(parts))


def sparkline(values: Sequence[int], *, label: str) -> SafeString:
    width, height = 80, 20
    top = max(values, default=0) or 1
    n = max(1, len(values) - 1)
    points = " ".join(
        f"{width * i / n:.1f},{height - 2 - (height - 4) * v / top:.1f}"
        for i, v in enumerate(values)
    )
    return format_html(
        '<svg class="spark" viewBox="0 0 {w} {h}" role="img" aria-label="{label}">'
        '<polyline class="line s1" points="{points}"/></svg>',
        w=width,
        h=height,
        label=label,
        points=points,
    )
