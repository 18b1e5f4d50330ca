"""Small server-side SVG charts for the PDF exports (no JavaScript, no external assets)."""

from __future__ import annotations

import base64
from html import escape

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 14, 40
BAR_COLOUR = "#2f5bea"
AXIS_COLOUR = "#667085"


def _frame(inner: str, max_value: float) -> str:
    plot_h = HEIGHT - TOP - BOTTOM
    ticks = []
    for step in range(5):
        value = max_value * step / 4
        y = TOP + plot_h - plot_h * step / 4
        ticks.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#e4e7ec" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" font-size="10" text-anchor="end" '
            f'fill="{AXIS_COLOUR}">{value:.0f}</text>'
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="DejaVu Sans, sans-serif">'
        + "".join(ticks)
        + inner
        + "</svg>"
    )


def bar_chart(labels: list[str], values: list[float | None]) -> str:
    numbers = [float(value or 0) for value in values]
    max_value = max(numbers + [1.0])
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(numbers), 1)
    parts = []
    for index, (label, value) in enumerate(zip(labels, numbers, strict=True)):
        height = plot_h * value / max_value
        x = LEFT + index * slot + slot * 0.15
        y = TOP + plot_h - height
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{height:.1f}" '
            f'fill="{BAR_COLOUR}"/>'
            f'<text x="{x + slot * 0.35:.1f}" y="{HEIGHT - BOTTOM + 14}" font-size="9" '
            f'text-anchor="middle" fill="{AXIS_COLOUR}">{escape(str(label))[:10]}</text>'
        )
    return _frame("".join(parts), max_value)


def line_chart(labels: list[str], values: list[float | None], max_value: float = 100) -> str:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    count = max(len(values), 1)
    step = plot_w / max(count - 1, 1)
    points = [
        (LEFT + index * step, TOP + plot_h - plot_h * float(value) / max_value)
        for index, value in enumerate(values)
        if value is not None
    ]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    every = max(1, count // 8)
    labels_svg = "".join(
        f'<text x="{LEFT + index * step:.1f}" y="{HEIGHT - BOTTOM + 14}" font-size="9" '
        f'text-anchor="middle" fill="{AXIS_COLOUR}">{escape(str(label))}</text>'
        for index, label in enumerate(labels)
        if index % every == 0
    )
    line = (
        f'<polyline points="{path}" fill="none" stroke="{BAR_COLOUR}" stroke-width="2"/>'
        if points
        else ""
    )
    return _frame(line + labels_svg, max_value)


def data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
