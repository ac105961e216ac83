"""Inline SVG charts for the run report: pure functions from plain data to an SVG string.

Every chart is a complete ``<svg>`` element with its own ``xmlns``, size, font and colours
set as attributes (no page CSS), so a figure saved or pasted on its own looks the same as in
the report. All text is XML-escaped here; coordinates are rounded to 0.1 px so the same data
always gives the same bytes.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from html import escape
from typing import NamedTuple

FONT = "Helvetica Neue, Helvetica, Arial, sans-serif"
INK = "#222222"
MUTED = "#666666"
GRID = "#DDDDDD"
ACCENT = "#332288"  # Paul Tol's muted indigo
WIDTH = 720


class Strip(NamedTuple):
    """One row of a strip plot: a label, the values, and the scale they live on."""

    label: str
    values: Sequence[float]
    lo: float
    hi: float


class Bar(NamedTuple):
    """One stacked bar: a label, one share per category (summing to 1), and its count."""

    label: str
    shares: Sequence[float]
    n: int


class ArcPoint(NamedTuple):
    """A mean over ``n`` observations (``value`` None when ``n`` is 0)."""

    value: float | None
    n: int


# --------------------------------------------------------------------------- primitives


def _f(x: float) -> str:
    """A coordinate: one decimal, no trailing ``.0``."""
    text = f"{x:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _tick(v: float) -> str:
    """A tick label: integers without decimals, else up to two."""
    return str(int(v)) if float(v).is_integer() else f"{v:.2f}".rstrip("0")


def _attrs(attrs: dict[str, str]) -> str:
    """Keyword attributes as SVG ones: ``font_size="10"`` -> `` font-size="10"``."""
    return "".join(f' {k.replace("_", "-")}="{v}"' for k, v in attrs.items())


def _text(x: float, y: float, s: str, anchor: str = "start", **attrs: str) -> str:
    return f'<text x="{_f(x)}" y="{_f(y)}" text-anchor="{anchor}"{_attrs(attrs)}>{escape(s)}</text>'


def _line(x1: float, y1: float, x2: float, y2: float, stroke: str = GRID, **attrs: str) -> str:
    return (
        f'<line x1="{_f(x1)}" y1="{_f(y1)}" x2="{_f(x2)}" y2="{_f(y2)}" '
        f'stroke="{stroke}"{_attrs(attrs)}/>'
    )


def _svg(width: float, height: float, title: str, body: Sequence[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_f(width)}" height="{_f(height)}" '
        f'viewBox="0 0 {_f(width)} {_f(height)}" role="img" font-family="{FONT}" '
        f'font-size="11" fill="{INK}"><title>{escape(title)}</title>'
        f'<rect width="100%" height="100%" fill="#FFFFFF"/>{"".join(body)}</svg>'
    )


def ticks(lo: float, hi: float) -> list[float]:
    """Axis ticks: every integer on a short integer scale, else five even steps."""
    if float(lo).is_integer() and float(hi).is_integer() and 0 <= hi - lo <= 10:
        return [float(v) for v in range(int(lo), int(hi) + 1)]
    return [lo + (hi - lo) * i / 4 for i in range(5)]


def ink_on(fill: str) -> str:
    """Black or white text, whichever reads better on the ``#RRGGBB`` fill."""
    r, g, b = (int(fill[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return INK if 0.299 * r + 0.587 * g + 0.114 * b > 0.55 else "#FFFFFF"


# --------------------------------------------------------------------------- strip plot


def strip_plot(rows: Sequence[Strip], title: str) -> str:
    """Small multiples, one row per dimension on its own scale: one dot per value (equal
    values stacked upwards), a vertical bar at the mean, and ``mean · n`` on the right."""
    left, right, row_h, top = 150, 118, 50, 6
    plot_w = WIDTH - left - right
    body: list[str] = []
    for r, row in enumerate(rows):
        base = top + r * row_h + row_h - 18  # the row's axis line
        span = (row.hi - row.lo) or 1.0

        def sx(v: float, row: Strip = row, span: float = span) -> float:
            return left + (min(max(v, row.lo), row.hi) - row.lo) / span * plot_w

        body.append(_text(left - 12, base - 6, row.label, "end", font_size="12"))
        body.append(_line(left, base, left + plot_w, base, MUTED))
        for t in ticks(row.lo, row.hi):
            body.append(_line(sx(t), base, sx(t), base + 4, MUTED))
            body.append(_text(sx(t), base + 14, _tick(t), "middle", font_size="10", fill=MUTED))
        if not row.values:
            body.append(_text(left + plot_w + 10, base - 6, "no scores", fill=MUTED))
            continue
        mean = sum(row.values) / len(row.values)
        body.append(_line(sx(mean), base - row_h + 24, sx(mean), base, "#CC6677", stroke_width="2"))
        stacks = Counter(round(v, 2) for v in row.values)
        step = min(6.0, (row_h - 26) / max(stacks.values()))
        for v, count in sorted(stacks.items()):
            for j in range(count):
                body.append(
                    f'<circle cx="{_f(sx(v))}" cy="{_f(base - 5 - j * step)}" r="3.5" '
                    f'fill="{ACCENT}" fill-opacity="0.55" stroke="{ACCENT}" stroke-width="0.6"/>'
                )
        note = f"mean {mean:.2f} · n {len(row.values)}"
        body.append(_text(left + plot_w + 10, base - 6, note, fill=MUTED))
    return _svg(WIDTH, top + len(rows) * row_h + 4, title, body)


# --------------------------------------------------------------------------- line chart


def arc_chart(
    sessions: Sequence[tuple[str, Sequence[ArcPoint]]],
    title: str,
    *,
    full_n: int,
) -> str:
    """Mean valence (-1 to 1) over consecutive client turns, in blocks (sessions) split by
    dashed dividers and labelled at the top; lines do not cross a divider. A marker is
    filled when its mean rests on ``full_n`` observations and hollow when on fewer."""
    left, right, top, bottom, height = 58, 16, 26, 44, 270
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    lo, hi = -1.0, 1.0
    slots = sum(max(1, len(points)) for _, points in sessions) or 1
    slot_w = plot_w / slots

    def sy(v: float) -> float:
        return top + (hi - v) / (hi - lo) * plot_h

    body: list[str] = []
    for t in (lo + (hi - lo) * i / 4 for i in range(5)):
        body.append(_line(left, sy(t), left + plot_w, sy(t), MUTED if t == 0 else GRID))
        body.append(_text(left - 8, sy(t) + 4, f"{t:+.1f}" if t else "0", "end", font_size="10"))
    body.append(
        _text(
            14,
            top + plot_h / 2,
            "mean valence",
            "middle",
            transform=f"rotate(-90 14 {_f(top + plot_h / 2)})",
        )
    )
    body.append(_text(left + plot_w / 2, height - 6, "client turn within session", "middle"))
    label_every = max(1, math.ceil(16 / slot_w))
    start = 0
    for b, (label, points) in enumerate(sessions):
        x0 = left + start * slot_w
        width = max(1, len(points)) * slot_w
        if b:
            body.append(_line(x0, top - 4, x0, top + plot_h, MUTED, stroke_dasharray="4 3"))
        body.append(_text(x0 + width / 2, top - 10, label, "middle", font_weight="bold"))
        xs = [x0 + (k + 0.5) * slot_w for k in range(len(points))]
        run: list[str] = []
        for x, p in [*zip(xs, points, strict=True), (0.0, ArcPoint(None, 0))]:
            if p.value is None:
                if len(run) > 1:
                    body.append(
                        f'<polyline points="{" ".join(run)}" fill="none" stroke="{ACCENT}" '
                        f'stroke-width="1.8"/>'
                    )
                run = []
                continue
            run.append(f"{_f(x)},{_f(sy(p.value))}")
        for k, (x, p) in enumerate(zip(xs, points, strict=True)):
            if k % label_every == 0:
                body.append(_text(x, top + plot_h + 14, str(k + 1), "middle", font_size="10"))
            if p.value is not None:
                fill = ACCENT if p.n >= full_n else "#FFFFFF"
                body.append(
                    f'<circle cx="{_f(x)}" cy="{_f(sy(p.value))}" r="3.2" fill="{fill}" '
                    f'stroke="{ACCENT}" stroke-width="1.4"/>'
                )
        start += max(1, len(points))
    body.append(_line(left, top + plot_h, left + plot_w, top + plot_h, MUTED))
    return _svg(WIDTH, height, title, body)


# --------------------------------------------------------------------------- stacked bars


def stacked_bars(
    bars: Sequence[Bar],
    categories: Sequence[str],
    colors: Sequence[str],
    title: str,
) -> str:
    """Horizontal 100% bars, one per row, segments in ``categories`` order with a share
    label where wide enough, ``n`` at the right end, and a legend of the categories seen."""
    left, right, bar_h, gap, top = 128, 74, 22, 10, 6
    plot_w = WIDTH - left - right
    body: list[str] = []
    for i, bar in enumerate(bars):
        y = top + i * (bar_h + gap)
        body.append(_text(left - 10, y + bar_h / 2 + 4, bar.label, "end", font_size="12"))
        x = float(left)
        for share, color in zip(bar.shares, colors, strict=True):
            if share <= 0:
                continue
            w = share * plot_w
            body.append(
                f'<rect x="{_f(x)}" y="{_f(y)}" width="{_f(w)}" height="{bar_h}" '
                f'fill="{color}" stroke="#FFFFFF" stroke-width="0.8"/>'
            )
            if share >= 0.07:
                pct = f"{share * 100:.0f}%"
                body.append(
                    _text(
                        x + w / 2,
                        y + bar_h / 2 + 4,
                        pct,
                        "middle",
                        font_size="10",
                        fill=ink_on(color),
                    )
                )
            x += w
        body.append(_text(left + plot_w + 8, y + bar_h / 2 + 4, f"n = {bar.n} turns", fill=MUTED))
    axis_y = top + len(bars) * (bar_h + gap) - gap + 6
    body.append(_line(left, axis_y, left + plot_w, axis_y, MUTED))
    for q in (0, 0.25, 0.5, 0.75, 1):
        x = left + q * plot_w
        body.append(_line(x, axis_y, x, axis_y + 4, MUTED))
        body.append(_text(x, axis_y + 15, f"{q * 100:.0f}%", "middle", font_size="10", fill=MUTED))
    seen = [i for i, _ in enumerate(categories) if any(b.shares[i] > 0 for b in bars)]
    col_w = (WIDTH - left) / 3
    for k, i in enumerate(seen):
        lx, ly = left + (k % 3) * col_w, axis_y + 34 + (k // 3) * 18
        body.append(
            f'<rect x="{_f(lx)}" y="{_f(ly - 9)}" width="10" height="10" fill="{colors[i]}"/>'
        )
        body.append(_text(lx + 14, ly, categories[i], font_size="11"))
    return _svg(WIDTH, axis_y + 44 + (max(len(seen), 1) - 1) // 3 * 18, title, body)


# --------------------------------------------------------------------------- interval plot


class Interval(NamedTuple):
    """One row of an interval plot: a label, a point estimate and its interval (all None
    when there is nothing to estimate), and a note printed on the right."""

    label: str
    value: float | None
    low: float | None
    high: float | None
    note: str


def interval_plot(rows: Sequence[Interval], title: str, lo: float = 0.0, hi: float = 1.0) -> str:
    """One row per label on a shared scale: the estimate as a dot, its interval as a bar."""
    left, right, row_h, top = 150, 150, 26, 8
    plot_w = WIDTH - left - right
    span = (hi - lo) or 1.0

    def sx(v: float) -> float:
        return left + (min(max(v, lo), hi) - lo) / span * plot_w

    axis = top + len(rows) * row_h + 4
    body: list[str] = [_line(left, axis, left + plot_w, axis, MUTED)]
    for t in ticks(lo, hi):
        body.append(_line(sx(t), top, sx(t), axis, GRID))
        body.append(_text(sx(t), axis + 14, _tick(t), "middle", font_size="10", fill=MUTED))
    for r, row in enumerate(rows):
        y = top + r * row_h + row_h / 2
        body.append(_text(left - 12, y + 4, row.label, "end", font_size="12"))
        body.append(_text(left + plot_w + 10, y + 4, row.note, fill=MUTED))
        if row.value is None:
            continue
        if row.low is not None and row.high is not None:
            body.append(_line(sx(row.low), y, sx(row.high), y, ACCENT, stroke_width="2"))
        body.append(f'<circle cx="{_f(sx(row.value))}" cy="{_f(y)}" r="4.5" fill="{ACCENT}"/>')
    return _svg(WIDTH, axis + 22, title, body)
