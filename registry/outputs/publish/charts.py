"""Geometry for the small server-side SVG charts (no JavaScript, no chart plugin).

Functions here turn numbers into coordinates only; the templates draw the
SVG from them, so every label goes through Jinja's autoescaping like any
other source text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Tick:
    pos: float
    label: str


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    title: str


@dataclass(frozen=True)
class Marker:
    x: float
    label: str
    #: SVG text-anchor: labels near the right edge run leftwards so they stay inside.
    anchor: str = "start"


@dataclass(frozen=True)
class Frame:
    width: int
    height: int
    left: int
    top: int
    right: int
    bottom: int

    @property
    def inner_width(self) -> int:
        return self.width - self.left - self.right

    @property
    def inner_height(self) -> int:
        return self.height - self.top - self.bottom

    @property
    def x_axis_y(self) -> int:
        return self.height - self.bottom


@dataclass(frozen=True)
class LineChart:
    frame: Frame
    points: tuple[Point, ...]
    path: str
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    markers: tuple[Marker, ...]
    x_label: str
    y_label: str


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: int
    title: str


@dataclass(frozen=True)
class BarChart:
    frame: Frame
    bars: tuple[Bar, ...]
    value_ticks: tuple[Tick, ...] = field(default_factory=tuple)
    x_label: str = ""
    y_label: str = ""


def nice_step(span: float, target_ticks: int = 5) -> float:
    """A 1-2-5 step giving about target_ticks ticks over span."""
    if span <= 0:
        return 1.0
    raw = span / target_ticks
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * power:
            return m * power
    return 10 * power


def _ticks(lo: float, hi: float, target: int = 5) -> list[float]:
    """Ticks at a 1-2-5 step from at or below lo to at or above hi."""
    step = nice_step(hi - lo, target)
    first, last = math.floor(lo / step), math.ceil(hi / step)
    return [round(i * step, 10) for i in range(first, last + 1)]


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 10 or v == int(v) else f"{v:g}"


def _marker(x: float, label: str, frame: Frame) -> Marker:
    right_side = x > frame.left + frame.inner_width * 0.6
    return Marker(x, label, "end" if right_side else "start")


def line_chart(
    series: list[tuple[float, float, str]],
    markers: list[tuple[float, str]] = (),
    *,
    x_label: str = "day",
    y_label: str = "",
    width: int = 640,
    height: int = 240,
) -> LineChart | None:
    """Points (x, y, title) joined in x order, with vertical markers (x, label); None without points."""
    if not series:
        return None
    frame = Frame(width, height, left=64, top=28, right=20, bottom=44)
    xs = [x for x, _, _ in series] + [x for x, _ in markers]
    x_lo, x_hi = min(xs), max(xs)
    if x_lo == x_hi:
        x_lo, x_hi = x_lo - 5, x_hi + 5
    x_ticks_v = _ticks(x_lo, x_hi)
    x_lo, x_hi = min(x_lo, x_ticks_v[0]), max(x_hi, x_ticks_v[-1])
    y_hi = max(y for _, y, _ in series) or 1.0
    y_ticks_v = _ticks(0, y_hi)
    y_hi = y_ticks_v[-1] if y_ticks_v[-1] > 0 else 1.0

    def sx(x: float) -> float:
        return round(frame.left + (x - x_lo) / (x_hi - x_lo) * frame.inner_width, 1)

    def sy(y: float) -> float:
        return round(frame.top + frame.inner_height - y / y_hi * frame.inner_height, 1)

    points = tuple(Point(sx(x), sy(y), title) for x, y, title in sorted(series, key=lambda p: p[0]))
    path = " ".join(f"{p.x},{p.y}" for p in points)
    return LineChart(
        frame=frame,
        points=points,
        path=path,
        x_ticks=tuple(Tick(sx(v), _fmt(v)) for v in x_ticks_v),
        y_ticks=tuple(Tick(sy(v), _fmt(v)) for v in y_ticks_v),
        markers=tuple(_marker(sx(x), label, frame) for x, label in markers),
        x_label=x_label,
        y_label=y_label,
    )


def horizontal_bars(items: list[tuple[str, int]], *, width: int = 640, bar_height: int = 22) -> BarChart | None:
    """One bar per (label, count), longest first as given; None when empty."""
    if not items:
        return None
    frame = Frame(width, len(items) * (bar_height + 8) + 36, left=230, top=8, right=40, bottom=28)
    top = max(c for _, c in items) or 1
    ticks = [t for t in _ticks(0, top) if t == int(t)]
    top = max(top, ticks[-1])
    bars = []
    for i, (label, count) in enumerate(items):
        w = round(count / top * frame.inner_width, 1)
        bars.append(Bar(frame.left, frame.top + i * (bar_height + 8), w, bar_height, label, count, f"{label}: {count}"))
    value_ticks = tuple(Tick(round(frame.left + t / top * frame.inner_width, 1), _fmt(t)) for t in ticks)
    return BarChart(frame, tuple(bars), value_ticks, x_label="cases")


def histogram(values: list[tuple[int, int]], *, bin_days: int = 7, width: int = 640, height: int = 220) -> BarChart | None:
    """Vertical bars of how many values fall in each bin of bin_days (1-7, 8-14, ...); `values` are
    (value, number of cases with it)."""
    if not values:
        return None
    frame = Frame(width, height, left=48, top=12, right=16, bottom=48)
    lo = min(0, min((v - 1) // bin_days for v, _ in values))
    hi = max((v - 1) // bin_days for v, _ in values)
    bins = list(range(lo, hi + 1))
    counts = {b: 0 for b in bins}
    for v, n in values:
        counts[(v - 1) // bin_days] += n
    top = max(counts.values())
    ticks = [t for t in _ticks(0, top) if t == int(t)]
    top = max(top, ticks[-1])
    slot = frame.inner_width / len(bins)
    bars = []
    for i, b in enumerate(bins):
        h = round(counts[b] / top * frame.inner_height, 1)
        first, last = b * bin_days + 1, (b + 1) * bin_days
        label = f"{first}-{last}"
        bars.append(Bar(round(frame.left + i * slot + 2, 1), round(frame.x_axis_y - h, 1), round(slot - 4, 1), h,
                        label, counts[b], f"day {first} to {last}: {counts[b]} case(s)"))
    value_ticks = tuple(Tick(round(frame.x_axis_y - t / top * frame.inner_height, 1), _fmt(t)) for t in ticks)
    return BarChart(frame, tuple(bars), value_ticks, x_label="latency (days from first dose, first-dose day = 1)",
                    y_label="cases")
