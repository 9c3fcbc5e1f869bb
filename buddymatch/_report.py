"""Self-contained HTML reports: one file that opens offline and makes no network requests.

Programme leads read these on laptops in community centres, forward them by e-mail and open
them years later, so a report carries everything inline: CSS in a ``<style>`` element,
pictures as inline SVG drawn here from the numbers (no charting library, no map tiles, no
fonts to fetch), and a Content-Security-Policy that forbids loading anything at all. All
text goes through :func:`html.escape`, because ids, places and reasons come from
spreadsheets and may hold ``<``, ``&`` or quotes.

Building blocks, reused by the what-if and monitor reports:

- :func:`svg_bar_chart` — horizontal bars, one series or several side by side;
- :func:`svg_histogram` — a distribution, optionally stacked by group (e.g. travel mode);
- :func:`svg_map` — points and lines plotted from lat/lon, with a legend and a scale bar;
- :func:`html_table`, :func:`figure`, :func:`headline`, :func:`section`,
  :func:`html_page` — escaped tables, captioned figures, headline figures, the page.

Personal names appear only when a caller asks for them (``names=True``); everything else
identifies people by roster id.
"""

from __future__ import annotations

import html
import math
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from buddymatch._profiles import Local, Newcomer, area_of
from buddymatch._result import MatchResult
from buddymatch._vocab import MODE_WORDS

__all__ = [
    "MAP_KINDS",
    "MAX_MAP_LINES",
    "MAX_MAP_POINTS",
    "MAX_TABLE_ROWS",
    "MODE_LABELS",
    "PALETTE",
    "REASON_LABELS",
    "figure",
    "headline",
    "html_page",
    "html_table",
    "match_report",
    "section",
    "svg_bar_chart",
    "svg_histogram",
    "svg_map",
    "write_match_report",
]

# Okabe–Ito: distinguishable with the common colour-vision deficiencies and in greyscale
# together with the distinct marker shapes.
PALETTE: dict[str, str] = {
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "black": "#000000",
    "grey": "#8C8C8C",
}
_SERIES_COLOURS = (
    PALETTE["blue"],
    PALETTE["orange"],
    PALETTE["green"],
    PALETTE["purple"],
    PALETTE["sky"],
    PALETTE["vermillion"],
    PALETTE["yellow"],
    PALETTE["grey"],
)

# Above these sizes the map draws a fixed (seeded) sample and says so: a browser slows down
# with tens of thousands of SVG elements and the picture is no clearer for them.
MAX_MAP_LINES = 5000
MAX_MAP_POINTS = 20000
# Tables longer than this show their first rows; the full lists are in matches.csv.
MAX_TABLE_ROWS = 2000

REASON_LABELS: dict[str, str] = {
    "no_language": "no language at the minimum level",
    "reach": "no local within reach",
    "language": "no shared language within reach",
    "time": "no free time in common",
    "transport_runs": "transport does not run when both are free",
    "gender": "gender preference",
    "forbidden": "only forbidden pairs",
    "not_worth": "no pair scores above 0",
    "taken": "workable locals all taken",
}

MODE_LABELS: dict[str, str] = dict(MODE_WORDS)

_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"

_CSS = """
:root { --ink: #1d1d1f; --muted: #5b5b60; --line: #d9d9de; --bg: #ffffff; --panel: #f6f6f3; }
* { box-sizing: border-box; }
body { font-family: FONT; color: var(--ink); background: var(--bg); margin: 0;
       line-height: 1.45; }
main { max-width: 1000px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 1.7rem; margin: 0 0 4px; }
h2 { font-size: 1.25rem; margin: 36px 0 10px; border-bottom: 2px solid var(--line);
     padding-bottom: 4px; }
p.lead { color: var(--muted); margin: 0 0 16px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr));
         gap: 10px; margin: 16px 0; padding: 0; list-style: none; }
.cards li { background: var(--panel); border-radius: 8px; padding: 10px 14px;
            border-left: 5px solid var(--accent, #0072B2); }
.cards .value { font-size: 1.55rem; font-weight: 650; display: block; }
.cards .label { color: var(--muted); font-size: .9rem; }
figure { margin: 14px 0 22px; }
figure svg { display: block; max-width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: .9rem; margin-top: 6px; }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr));
         gap: 8px 24px; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; margin: 8px 0 16px; }
caption { text-align: left; color: var(--muted); padding-bottom: 4px; }
th, td { padding: 5px 8px; border-bottom: 1px solid var(--line); text-align: left;
         vertical-align: top; }
th { background: var(--panel); font-weight: 600; position: sticky; top: 0; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
details { margin: 8px 0 16px; }
summary { cursor: pointer; font-weight: 600; padding: 4px 0; }
ul.notes { color: var(--muted); }
footer { color: var(--muted); font-size: .85rem; margin-top: 40px; }
@media print { figure, table { break-inside: avoid; } th { position: static; } }
""".replace("FONT", _FONT)

# Nothing may be fetched: the browser enforces what the tests check.
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'"

Number = float | int
Cell = str | int | float | None


def _e(text: object) -> str:
    """Escape any value for HTML or SVG text and attributes (quotes included)."""
    return html.escape(str(text), quote=True)


def _num(value: float, digits: int = 1) -> str:
    """A number as a person would write it: 1,234 or 12.5 (no trailing .0)."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.{digits}f}".rstrip("0").rstrip(".")


def _pct(part: float, whole: float) -> str:
    return f"{part / whole:.0%}" if whole else "–"


def _nice_step(span: float, target: int = 5) -> float:
    """A round tick step (1, 2 or 5 × 10^k) giving about ``target`` ticks over ``span``."""
    if span <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / target
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * mag:
            return float(m * mag)
    return float(10 * mag)


def _ticks(top: float, target: int = 5, integer: bool = False) -> list[float]:
    step = _nice_step(top, target)
    if integer:
        step = max(1.0, round(step))
    n = math.ceil(top / step - 1e-9)
    return [i * step for i in range(n + 1)]


def _svg_open(width: int, height: int, title: str, desc: str = "") -> str:
    """Start an inline SVG that screen readers announce as one image with a title."""
    d = f"<desc>{_e(desc)}</desc>" if desc else ""
    return (
        f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{_e(title)}" font-family="{_e(_FONT)}" font-size="12">'
        f"<title>{_e(title)}</title>{d}"
    )


def _truncate(label: str, chars: int) -> str:
    return label if len(label) <= chars else label[: max(1, chars - 1)] + "…"


def _legend(
    entries: Sequence[tuple[str, str]], x: float, y: float, max_width: float = 1e9
) -> tuple[str, float]:
    """Coloured squares with labels, wrapped at ``max_width``; returns markup and last y."""
    out = []
    x0 = x
    for label, colour in entries:
        w = 15 + 7.0 * len(label) + 16
        if x > x0 and x + w - x0 > max_width:
            x, y = x0, y + 18
        out.append(
            f'<rect x="{x:.1f}" y="{y - 9:.1f}" width="11" height="11" fill="{colour}"/>'
            f'<text x="{x + 15:.1f}" y="{y:.1f}">{_e(label)}</text>'
        )
        x += w
    return "".join(out), y


def svg_bar_chart(
    labels: Sequence[str],
    values: Sequence[Number] | Mapping[str, Sequence[Number]],
    *,
    title: str,
    unit: str = "",
    colours: Sequence[str] | None = None,
    width: int = 640,
    max_bars: int = 40,
) -> str:
    """Horizontal bar chart as an inline SVG string.

    ``values`` is one number per label, or a mapping from series name to one number per
    label (bars side by side, with a legend) — e.g. newcomers, capacity and matched per
    area. Horizontal bars keep long area names and reasons readable. Labels beyond
    ``max_bars`` are left out, and the chart says so.
    """
    series: dict[str, npt.NDArray[np.float64]]
    if isinstance(values, Mapping):
        series = {str(k): np.asarray(v, dtype=float) for k, v in values.items()}
    else:
        series = {"": np.asarray(values, dtype=float)}
    for name, arr in series.items():
        if arr.shape != (len(labels),):
            raise ValueError(f"series {name!r} has {arr.size} values for {len(labels)} labels")
    colours = list(colours or _SERIES_COLOURS)
    shown = min(len(labels), max_bars)
    omitted = len(labels) - shown
    k = len(series)
    bar_h = 16 if k == 1 else 11
    group_h = bar_h * k + (10 if k == 1 else 12)
    label_chars = min(36, max((len(str(label)) for label in labels[:shown]), default=4))
    left = 14 + 6.6 * label_chars
    right = 60
    top = 30 if k == 1 else 50
    bottom = 34 + (16 if omitted else 0)
    height = int(top + group_h * max(shown, 1) + bottom)
    plot_w = width - left - right
    out = [_svg_open(width, height, title)]
    out.append(f'<text x="0" y="16" font-size="14" font-weight="600">{_e(title)}</text>')
    if k > 1:
        out.append(
            _legend([(n, colours[i % len(colours)]) for i, n in enumerate(series)], 0, 38)[0]
        )
    data = np.stack([a[:shown] for a in series.values()]) if shown else np.zeros((k, 0))
    finite = data[np.isfinite(data)]
    vmax = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    ticks = _ticks(vmax, 6, integer=bool(np.all(np.mod(finite, 1) == 0)))
    scale = plot_w / ticks[-1]
    base_y = top + group_h * max(shown, 1)
    for t in ticks:
        x = left + t * scale
        out.append(
            f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{base_y:.1f}" '
            f'stroke="#e3e3e8"/><text x="{x:.1f}" y="{base_y + 15:.1f}" text-anchor="middle" '
            f'fill="#5b5b60">{_e(_num(t))}</text>'
        )
    if unit:
        out.append(
            f'<text x="{left + plot_w / 2:.1f}" y="{base_y + 30:.1f}" text-anchor="middle" '
            f'fill="#5b5b60">{_e(unit)}</text>'
        )
    if shown == 0:
        out.append(f'<text x="{left:.1f}" y="{top + 14}" fill="#5b5b60">nothing to show</text>')
    for i in range(shown):
        y0 = top + group_h * i + 5
        label = str(labels[i])
        out.append(
            f'<text x="{left - 8:.1f}" y="{y0 + bar_h * k / 2 + 4:.1f}" text-anchor="end">'
            f"<title>{_e(label)}</title>{_e(_truncate(label, 36))}</text>"
        )
        for j, (name, arr) in enumerate(series.items()):
            v = float(arr[i])
            if not math.isfinite(v):
                continue
            w = max(0.0, v) * scale
            y = y0 + j * bar_h
            tip = f"{label}{' – ' + name if name else ''}: {_num(v, 2)}{' ' + unit if unit else ''}"
            out.append(
                f'<rect x="{left:.1f}" y="{y:.1f}" width="{w:.1f}" height="{bar_h - 2}" '
                f'fill="{colours[j % len(colours)]}"><title>{_e(tip)}</title></rect>'
                f'<text x="{left + w + 4:.1f}" y="{y + bar_h - 5:.1f}" font-size="11">'
                f"{_e(_num(v, 2))}</text>"
            )
    out.append(
        f'<line x1="{left:.1f}" y1="{top - 4}" x2="{left:.1f}" y2="{base_y:.1f}" stroke="#333"/>'
    )
    if omitted:
        out.append(
            f'<text x="0" y="{height - 4}" fill="#5b5b60">{_e(f"{omitted:,} more not shown")}'
            "</text>"
        )
    out.append("</svg>")
    return "".join(out)


def svg_histogram(
    values: Sequence[Number] | npt.NDArray[np.float64],
    *,
    bins: int | Sequence[float] = 20,
    title: str,
    unit: str = "",
    groups: Sequence[str] | None = None,
    group_colours: Mapping[str, str] | None = None,
    width: int = 460,
    height: int = 260,
) -> str:
    """Histogram as an inline SVG string; with ``groups`` the bars are stacked per group.

    Binning is numpy's (``bins`` as for :func:`numpy.histogram`); missing values (NaN) are
    left out and counted in the description. Stacking by a group such as travel mode shows
    at a glance which part of the distribution each group makes up.
    """
    arr = np.asarray(values, dtype=float)
    keep = np.isfinite(arr)
    data = arr[keep]
    missing = int(arr.size - data.size)
    group_arr: npt.NDArray[np.str_] | None = None
    if groups is not None:
        if len(groups) != arr.size:
            raise ValueError("groups must have one entry per value")
        group_arr = np.asarray([str(g) for g in groups], dtype=str)[keep]
    left, right, top, bottom = 44, 14, 30, 44
    names: list[str] = []
    if group_arr is not None and group_arr.size:
        uniq, first = np.unique(group_arr, return_counts=True)
        names = [str(u) for u in uniq[np.argsort(-first, kind="stable")]]
        legend_rows = (
            1 + int(_legend([(g, "") for g in names], 0, 0, width - left - right)[1]) // 18
        )
        top = 36 + 18 * legend_rows
    plot_w, plot_h = width - left - right, height - top - bottom
    out = [
        _svg_open(
            width,
            height,
            title,
            f"{data.size} values" + (f", {missing} without a value" if missing else ""),
        )
    ]
    out.append(f'<text x="0" y="16" font-size="14" font-weight="600">{_e(title)}</text>')
    if data.size == 0:
        out.append(
            f'<text x="{left}" y="{top + plot_h / 2:.1f}" fill="#5b5b60">nothing to show</text>'
            "</svg>"
        )
        return "".join(out)
    edges = np.histogram_bin_edges(data, bins=bins)
    if edges.size < 2:
        raise ValueError("bins must give at least one bin")
    colours = dict(group_colours or {})
    if group_arr is not None and names:
        counts = np.stack([np.histogram(data[group_arr == g], bins=edges)[0] for g in names])
        for i, g in enumerate(names):
            colours.setdefault(g, _SERIES_COLOURS[i % len(_SERIES_COLOURS)])
    else:
        counts = np.histogram(data, bins=edges)[0][None, :]
        names = [""]
        colours.setdefault("", PALETTE["blue"])
    stacked = np.cumsum(counts, axis=0)
    ymax = float(stacked[-1].max()) or 1.0
    yticks = _ticks(ymax, 4, integer=True)
    ys = plot_h / yticks[-1]
    lo, hi = float(edges[0]), float(edges[-1])
    xs = plot_w / (hi - lo) if hi > lo else 1.0
    for t in yticks:
        y = top + plot_h - t * ys
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#e3e3e8"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#5b5b60">'
            f"{_e(_num(t))}</text>"
        )
    for gi, g in enumerate(names):
        below = stacked[gi - 1] if gi else np.zeros_like(stacked[0])
        for b in np.flatnonzero(counts[gi]):
            x0 = left + (float(edges[b]) - lo) * xs
            x1 = left + (float(edges[b + 1]) - lo) * xs
            y1 = top + plot_h - float(below[b]) * ys
            h = float(counts[gi][b]) * ys
            tip = (
                f"{_num(float(edges[b]), 2)}–{_num(float(edges[b + 1]), 2)}"
                f"{' ' + unit if unit else ''}: {int(counts[gi][b])}{' ' + g if g else ''}"
            )
            out.append(
                f'<rect x="{x0 + 0.5:.1f}" y="{y1 - h:.1f}" width="{max(x1 - x0 - 1, 0.5):.1f}" '
                f'height="{h:.1f}" fill="{colours[g]}"><title>{_e(tip)}</title></rect>'
            )
    xstep = _nice_step(hi - lo, 6)
    t = math.ceil(lo / xstep) * xstep
    while t <= hi + 1e-9:
        x = left + (t - lo) * xs
        out.append(
            f'<line x1="{x:.1f}" y1="{top + plot_h}" x2="{x:.1f}" y2="{top + plot_h + 4}" '
            f'stroke="#333"/><text x="{x:.1f}" y="{top + plot_h + 17}" text-anchor="middle" '
            f'fill="#5b5b60">{_e(_num(round(t, 6), 2))}</text>'
        )
        t += xstep
    out.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        f'stroke="#333"/>'
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle" '
        f'fill="#5b5b60">{_e(unit)}</text>'
        f'<text transform="translate(11 {top + plot_h / 2:.1f}) rotate(-90)" '
        f'text-anchor="middle" fill="#5b5b60">count</text>'
    )
    if names != [""]:
        out.append(_legend([(g, colours[g]) for g in names], left, 38, plot_w)[0])
    out.append("</svg>")
    return "".join(out)


@dataclass(frozen=True)
class _Marker:
    label: str
    colour: str
    shape: str  # circle, square, triangle, diamond


# Kinds the match report uses; other kinds get the next free colour and shape.
MAP_KINDS: dict[str, _Marker] = {
    "local": _Marker("local volunteer", PALETTE["blue"], "square"),
    "matched": _Marker("matched newcomer", PALETTE["green"], "circle"),
    "waiting": _Marker("waiting newcomer", PALETTE["vermillion"], "triangle"),
}
_EXTRA_MARKERS = (
    (PALETTE["purple"], "diamond"),
    (PALETTE["orange"], "circle"),
    (PALETTE["sky"], "square"),
    (PALETTE["black"], "triangle"),
)


def _shape(shape: str, x: float, y: float, r: float, colour: str, tip: str) -> str:
    """One map marker; the outline keeps overlapping markers apart."""
    t = f"<title>{_e(tip)}</title>" if tip else ""
    style = f'fill="{colour}" stroke="#fff" stroke-width="0.8"'
    if shape == "square":
        s = r * 1.7
        return (
            f'<rect x="{x - s / 2:.1f}" y="{y - s / 2:.1f}" width="{s:.1f}" height="{s:.1f}" '
            f"{style}>{t}</rect>"
        )
    if shape == "triangle":
        h = r * 1.25
        return (
            f'<path d="M{x:.1f} {y - h * 1.15:.1f}L{x + h:.1f} {y + h * 0.65:.1f}'
            f'L{x - h:.1f} {y + h * 0.65:.1f}Z" {style}>{t}</path>'
        )
    if shape == "diamond":
        h = r * 1.3
        return (
            f'<path d="M{x:.1f} {y - h:.1f}L{x + h:.1f} {y:.1f}L{x:.1f} {y + h:.1f}'
            f'L{x - h:.1f} {y:.1f}Z" {style}>{t}</path>'
        )
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" {style}>{t}</circle>'


def _sample(n: int, cap: int) -> npt.NDArray[np.intp]:
    """Indices of a fixed, sorted sample of ``cap`` out of ``n`` (all when n <= cap)."""
    if n <= cap:
        return np.arange(n)
    return np.sort(np.random.default_rng(0).choice(n, size=cap, replace=False))


def _nice_floor(value: float) -> float:
    """The largest 1, 2 or 5 × 10^k not above ``value``: a scale bar that fits its space."""
    if value <= 0 or not math.isfinite(value):
        return 1.0
    mag = 10 ** math.floor(math.log10(value))
    return float(max(m for m in (1, 2, 5, 10) if m * mag <= value * (1 + 1e-9)) * mag)


def svg_map(
    points: Sequence[tuple[float, float, str, str]],
    lines: Sequence[tuple[tuple[float, float], tuple[float, float]]] = (),
    *,
    title: str,
    area_labels: Sequence[tuple[float, float, str]] = (),
    width: int = 960,
    max_points: int = MAX_MAP_POINTS,
    max_lines: int = MAX_MAP_LINES,
) -> str:
    """A map drawn from coordinates alone, as an inline SVG string (no tiles, no network).

    ``points`` are ``(lat, lon, kind, label)``: ``kind`` picks the marker (``local``,
    ``matched`` and ``waiting`` are predefined; others get the next free colour and
    shape), ``label`` becomes the marker's tooltip (use ids, not names). ``lines`` join two
    ``(lat, lon)`` positions (pairs). ``area_labels`` are ``(lat, lon, text)`` drawn on top,
    skipping any that would overlap a larger one. The projection is equirectangular with
    longitudes shrunk by cos(mean latitude), so distances look right at Dutch latitudes;
    the region is fitted to the box with padding, with a legend and a km scale bar. Above
    ``max_points``/``max_lines`` a fixed sample is drawn and the map says so.
    """
    pts_lat = np.asarray([p[0] for p in points], dtype=float)
    pts_lon = np.asarray([p[1] for p in points], dtype=float)
    line_arr = np.asarray(lines, dtype=float).reshape(-1, 2, 2)
    all_lat = np.concatenate([pts_lat, line_arr[:, :, 0].ravel()])
    all_lon = np.concatenate([pts_lon, line_arr[:, :, 1].ravel()])
    ok = np.isfinite(all_lat) & np.isfinite(all_lon)
    legend_w = 215
    if not ok.any():
        height = 200
        return (
            _svg_open(width, height, title)
            + f'<rect width="{width}" height="{height}" fill="#f6f6f3"/>'
            + f'<text x="16" y="24" font-size="14" font-weight="600">{_e(title)}</text>'
            + '<text x="16" y="60" fill="#5b5b60">no one to plot</text></svg>'
        )
    lat0 = float(np.mean(all_lat[ok]))
    kx = math.cos(math.radians(lat0))
    lat_min, lat_max = float(all_lat[ok].min()), float(all_lat[ok].max())
    lon_min, lon_max = float(all_lon[ok].min()), float(all_lon[ok].max())
    span_x = max((lon_max - lon_min) * kx, 0.01)
    span_y = max(lat_max - lat_min, 0.01)
    pad, head = 28, 34
    inner_w = width - 2 * pad - legend_w
    height = int(min(max(inner_w * span_y / span_x, 340), 760)) + 2 * pad + head
    inner_h = height - 2 * pad - head
    s = min(inner_w / span_x, inner_h / span_y)
    cx, cy = (lon_min + lon_max) / 2, (lat_min + lat_max) / 2
    ox, oy = pad + inner_w / 2, head + pad + inner_h / 2

    def proj(
        lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64]
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        return ox + (lon - cx) * kx * s, oy - (lat - cy) * s

    out = [
        _svg_open(
            width,
            height,
            title,
            f"{len(points)} people and {len(lines)} lines plotted from their coordinates",
        )
    ]
    out.append(
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>'
        f'<rect x="{pad / 2}" y="{head + pad / 2}" width="{inner_w + pad:.1f}" '
        f'height="{inner_h + pad:.1f}" rx="6" fill="#f3f5f4" stroke="#d9d9de"/>'
        f'<text x="{pad / 2}" y="20" font-size="14" font-weight="600">{_e(title)}</text>'
    )
    notes: list[str] = []
    n_lines = len(line_arr)
    if n_lines:
        idx = _sample(n_lines, max_lines)
        if idx.size < n_lines:
            notes.append(f"lines: a fixed sample of {idx.size:,} of {n_lines:,}")
        sel = line_arr[idx]
        x1, y1 = proj(sel[:, 0, 0], sel[:, 0, 1])
        x2, y2 = proj(sel[:, 1, 0], sel[:, 1, 1])
        good = np.isfinite(x1) & np.isfinite(y1) & np.isfinite(x2) & np.isfinite(y2)
        d = "".join(
            f"M{a:.1f} {b:.1f}L{c:.1f} {e:.1f}"
            for a, b, c, e in zip(x1[good], y1[good], x2[good], y2[good], strict=True)
        )
        out.append(
            f'<path d="{d}" stroke="#4d4d4d" stroke-opacity="{0.55 if idx.size < 1000 else 0.3}" '
            f'stroke-width="{1.1 if idx.size < 1000 else 0.6}" '
            f'fill="none"><title>pairs</title></path>'
        )
    kinds: dict[str, _Marker] = {}
    for p in points:
        if p[2] not in kinds:
            kinds[p[2]] = MAP_KINDS.get(p[2]) or _Marker(
                p[2], *_EXTRA_MARKERS[len([k for k in kinds if k not in MAP_KINDS]) % 4]
            )
    n_pts = len(points)
    idx = _sample(n_pts, max_points)
    if idx.size < n_pts:
        notes.append(f"markers: a fixed sample of {idx.size:,} of {n_pts:,}")
    px, py = proj(pts_lat[idx], pts_lon[idx])
    r = 4.2 if idx.size < 400 else 3.2 if idx.size < 3000 else 2.0
    # Draw kinds in the legend's order so that the last (e.g. waiting) stays on top.
    order = list(kinds)
    kind_of = np.asarray([order.index(points[i][2]) for i in idx], dtype=int)
    for k, kind in enumerate(order):
        m = kinds[kind]
        out.append(f'<g aria-label="{_e(m.label)}">')
        for j in np.flatnonzero((kind_of == k) & np.isfinite(px) & np.isfinite(py)):
            out.append(_shape(m.shape, float(px[j]), float(py[j]), r, m.colour, points[idx[j]][3]))
        out.append("</g>")
    # Area labels, biggest first, skipping overlaps.
    placed: list[tuple[float, float, float, float]] = []
    if area_labels:
        la = np.asarray([a[0] for a in area_labels], dtype=float)
        lo = np.asarray([a[1] for a in area_labels], dtype=float)
        ax, ay = proj(la, lo)
        for i, (_, _, text) in enumerate(area_labels):
            if not (math.isfinite(ax[i]) and math.isfinite(ay[i])):
                continue
            w, h = 7.4 * len(text) + 4, 16.0
            box = (float(ax[i]) - w / 2, float(ay[i]) - h / 2, w, h)
            if any(
                box[0] < b[0] + b[2]
                and b[0] < box[0] + w
                and box[1] < b[1] + b[3]
                and b[1] < box[1] + h
                for b in placed
            ):
                continue
            placed.append(box)
            out.append(
                f'<text x="{ax[i]:.1f}" y="{ay[i] + 4:.1f}" text-anchor="middle" font-size="13" '
                f'font-weight="600" fill="#1d1d1f" stroke="#ffffff" stroke-width="3.5" '
                f'stroke-linejoin="round" paint-order="stroke">{_e(text)}</text>'
            )
    # Legend with counts.
    lx = width - legend_w + 6
    ly = head + pad / 2 + 8
    counts = Counter(p[2] for p in points)
    out.append(
        f'<g aria-label="legend"><text x="{lx}" y="{ly + 6}" font-weight="600">Legend</text>'
    )
    ly += 26
    for kind in order:
        m = kinds[kind]
        out.append(_shape(m.shape, lx + 7, ly - 4, 5.0, m.colour, ""))
        out.append(f'<text x="{lx + 20}" y="{ly}">{_e(m.label)} ({counts[kind]:,})</text>')
        ly += 22
    if n_lines:
        out.append(
            f'<line x1="{lx}" y1="{ly - 4}" x2="{lx + 14}" y2="{ly - 4}" stroke="#4d4d4d" '
            f'stroke-width="1.5"/><text x="{lx + 20}" y="{ly}">pair ({n_lines:,})</text>'
        )
        ly += 22
    out.append("</g>")
    # Scale bar in the legend column: degrees of latitude are ~111.32 km everywhere.
    km_per_px = 111.32 / s
    km = _nice_floor((legend_w - 60) * km_per_px)
    bar = km / km_per_px
    ly += 8
    out.append(
        f'<g aria-label="scale"><rect x="{lx}" y="{ly - 5}" width="{bar:.1f}" height="5" '
        f'fill="#1d1d1f"/><text x="{lx + bar + 6:.1f}" y="{ly + 1}">{_e(_num(km, 2))} km</text>'
        "</g>"
    )
    ly += 14
    for i, note in enumerate(notes):
        out.append(
            f'<text x="{lx}" y="{ly + 10 + 16 * i}" font-size="10.5" fill="#5b5b60">'
            f"{_e(note)}</text>"
        )
    out.append("</svg>")
    return "".join(out)


def html_table(
    header: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    *,
    caption: str | None = None,
    numeric: Sequence[int] = (),
    max_rows: int | None = MAX_TABLE_ROWS,
) -> str:
    """An HTML table with ``<th scope="col">`` headers and every cell escaped.

    ``numeric`` lists the column indexes to right-align. Only the first ``max_rows`` rows
    are written (a line says how many are left out) so a huge result stays openable.
    """
    num = set(numeric)

    def cell(tag: str, j: int, value: Cell) -> str:
        cls = ' class="num"' if j in num else ""
        scope = ' scope="col"' if tag == "th" else ""
        text = "" if value is None else value if isinstance(value, str) else _num(value, 3)
        return f"<{tag}{cls}{scope}>{_e(text)}</{tag}>"

    shown = rows if max_rows is None else rows[:max_rows]
    parts = ["<table>"]
    if caption:
        parts.append(f"<caption>{_e(caption)}</caption>")
    parts.append("<thead><tr>" + "".join(cell("th", j, h) for j, h in enumerate(header)))
    parts.append("</tr></thead><tbody>")
    for row in shown:
        parts.append("<tr>" + "".join(cell("td", j, v) for j, v in enumerate(row)) + "</tr>")
    parts.append("</tbody></table>")
    if len(shown) < len(rows):
        parts.append(f"<p>{_e(f'First {len(shown):,} of {len(rows):,} rows shown.')}</p>")
    return "".join(parts)


def figure(svg: str, caption: str) -> str:
    """Wrap an SVG in a ``<figure>`` with an escaped caption (``svg`` is trusted markup)."""
    return f"<figure>{svg}<figcaption>{_e(caption)}</figcaption></figure>"


def headline(items: Sequence[tuple[str, str]], accents: Sequence[str] = ()) -> str:
    """Headline figures as cards: ``(value, label)`` pairs, e.g. ``("84", "matched")``."""
    cards = []
    for i, (value, label) in enumerate(items):
        style = f' style="--accent: {accents[i]}"' if i < len(accents) else ""
        cards.append(
            f'<li{style}><span class="value">{_e(value)}</span>'
            f'<span class="label">{_e(label)}</span></li>'
        )
    return f'<ul class="cards">{"".join(cards)}</ul>'


def section(heading: str, *parts: str, intro: str = "") -> str:
    """A ``<section>`` with an escaped ``<h2>`` and optional intro; ``parts`` are markup."""
    p = f"<p>{_e(intro)}</p>" if intro else ""
    return f"<section><h2>{_e(heading)}</h2>{p}{''.join(parts)}</section>"


def html_page(title: str, sections: Sequence[str], *, lead: str = "", footer: str = "") -> str:
    """A complete HTML document: inline CSS, a CSP forbidding every fetch, ``lang="en"``.

    ``sections`` are markup (from the helpers above); ``title``, ``lead`` and ``footer`` are
    plain text and get escaped.
    """
    lead_html = f'<p class="lead">{_e(lead)}</p>' if lead else ""
    foot = f"<footer>{_e(footer)}</footer>" if footer else ""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_e(_CSP)}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n"
        f"<h1>{_e(title)}</h1>{lead_html}\n" + "\n".join(sections) + f"\n{foot}\n</main>\n"
        "</body>\n</html>\n"
    )


def match_report(
    result: MatchResult,
    newcomers: Sequence[Newcomer],
    locals_: Sequence[Local],
    *,
    names: bool = False,
    title: str = "Buddy matching report",
    by: str = "municipality",
) -> str:
    """The report of one matching run as a self-contained HTML page.

    Shows headline figures, a map of pairs and waiting newcomers, score and travel-time
    distributions, why newcomers wait, supply against demand per area (``by``:
    ``municipality``, ``place`` or ``pc4``), and the pairs and waiting newcomers as tables.
    Personal names are shown only with ``names=True``; otherwise people are roster ids.
    """
    if by not in ("municipality", "place", "pc4"):
        raise ValueError("by must be 'municipality', 'place' or 'pc4'")
    nc = {n.id: n for n in newcomers}
    lc = {loc.id: loc for loc in locals_}
    pairs, waiting = result.pairs, result.unmatched
    matched_ids = {p.newcomer_id for p in pairs}
    waiting_codes = {u.newcomer_id: u.code for u in waiting}
    n_new = result.n_newcomers or len(newcomers)
    capacity = sum(loc.capacity for loc in locals_)

    # Headline figures.
    travel = np.asarray(
        [np.nan if p.travel_min is None else p.travel_min for p in pairs], dtype=float
    )
    has_travel = bool(np.isfinite(travel).any())
    cards = [
        (f"{len(pairs):,} of {n_new:,}", f"newcomers matched ({_pct(len(pairs), n_new)})"),
        (f"{len(waiting):,}", "newcomers waiting"),
        (f"{len(locals_):,}", f"local volunteers (room for {capacity:,})"),
    ]
    accents = [PALETTE["green"], PALETTE["vermillion"], PALETTE["blue"]]
    expected = result.expected_met_twice
    if expected is not None:
        cards.append((f"{expected:,.1f}", "pairs expected to meet twice"))
        accents.append(PALETTE["purple"])
    if has_travel:
        cards.append((f"{np.nanmedian(travel):.0f} min", "median travel, one way"))
        accents.append(PALETTE["sky"])
    cards.append((result.solver, f"solver ({result.status})"))
    accents.append(PALETTE["grey"])
    overview = [headline(cards, accents)]
    remarks = list(result.warnings) + list(result.notes)
    if remarks:
        overview.append(
            '<ul class="notes">' + "".join(f"<li>{_e(r)}</li>" for r in remarks) + "</ul>"
        )
    sections = [section("Overview", *overview)]

    # Map.
    points: list[tuple[float, float, str, str]] = [
        (loc.lat, loc.lon, "local", loc.id) for loc in sorted(locals_, key=lambda p: p.id)
    ]
    for n in sorted(newcomers, key=lambda p: p.id):
        if n.id in matched_ids:
            points.append((n.lat, n.lon, "matched", n.id))
        elif n.id in waiting_codes:
            code = waiting_codes[n.id]
            points.append((n.lat, n.lon, "waiting", f"{n.id}: {REASON_LABELS.get(code, code)}"))
    lines = [
        ((nc[p.newcomer_id].lat, nc[p.newcomer_id].lon), (lc[p.local_id].lat, lc[p.local_id].lon))
        for p in pairs
        if p.newcomer_id in nc and p.local_id in lc
    ]
    everyone: list[Newcomer | Local] = [*newcomers, *locals_]
    # Municipality names; inside a single municipality (a city) its places say more.
    label_by = "municipality"
    if len({area_of(p, "municipality") for p in everyone}) < 2:
        label_by = "place"
    area_names = np.asarray([area_of(p, label_by) for p in everyone], dtype=str)
    area_labels: list[tuple[float, float, str]] = []
    if everyone:
        uniq, inv, counts = np.unique(area_names, return_inverse=True, return_counts=True)
        lat_mean = np.bincount(inv, weights=[p.lat for p in everyone]) / counts
        lon_mean = np.bincount(inv, weights=[p.lon for p in everyone]) / counts
        for i in np.argsort(-counts, kind="stable"):
            area_labels.append((float(lat_mean[i]), float(lon_mean[i]), str(uniq[i])))
    sampled = []
    if len(lines) > MAX_MAP_LINES:
        sampled.append(f"a fixed sample of {MAX_MAP_LINES:,} of the {len(lines):,} pairs is drawn")
    if len(points) > MAX_MAP_POINTS:
        sampled.append(
            f"a fixed sample of {MAX_MAP_POINTS:,} of the {len(points):,} people is drawn"
        )
    map_caption = (
        "Where people live, from their coordinates (postcode areas are placed at their "
        f"centre). Lines join the pairs; {label_by} names sit at the centre of their people. "
        "Hover a marker for its roster id."
    ) + ("" if not sampled else " For speed, " + " and ".join(sampled) + ".")
    sections.append(
        section(
            "Map",
            figure(
                svg_map(
                    points, lines, title="Pairs and waiting newcomers", area_labels=area_labels
                ),
                map_caption,
            ),
        )
    )

    # Distributions.
    scores = np.asarray([p.score for p in pairs], dtype=float)
    score_unit = "probability of meeting twice" if expected is not None else "score"
    modes = [MODE_LABELS.get(p.travel_mode or "", p.travel_mode or "unknown") for p in pairs]
    mode_colours = {
        "on foot": PALETTE["green"],
        "bike": PALETTE["blue"],
        "e-bike": PALETTE["sky"],
        "public transport": PALETTE["orange"],
        "car": PALETTE["purple"],
        "village car": "#444444",
        "neighbourhood bus": PALETTE["vermillion"],
    }
    # Five-minute bins from 0: "within 15 minutes" reads straight off the picture.
    tmax = float(np.nanmax(travel)) if has_travel else 0.0
    travel_edges = (np.arange(math.floor(tmax / 5) + 2) * 5.0).tolist()
    mean_travel = f"{np.nanmean(travel):.0f}" if has_travel else "–"
    worst_travel = f"{np.nanmax(travel):.0f}" if has_travel else "–"
    dist = [
        figure(
            svg_histogram(
                scores, bins=min(20, max(5, len(pairs) // 5)), title="Pair scores", unit=score_unit
            ),
            f"Scores of the {len(pairs):,} pairs (higher is a better fit).",
        ),
        figure(
            svg_histogram(
                travel,
                bins=travel_edges,
                title="Travel time per pair",
                unit="minutes one way",
                groups=modes,
                group_colours=mode_colours,
            ),
            f"One-way travel time by the quicker direction and mode, stacked by mode; mean "
            f"{mean_travel} min, longest {worst_travel} min.",
        ),
    ]
    sections.append(section("Scores and travel", f'<div class="grid2">{"".join(dist)}</div>'))

    # Why newcomers wait.
    reasons = Counter(u.code for u in waiting)
    ranked = reasons.most_common()
    sections.append(
        section(
            "Why newcomers are waiting",
            figure(
                svg_bar_chart(
                    [REASON_LABELS.get(c, c) for c, _ in ranked],
                    [n for _, n in ranked],
                    title="Waiting newcomers by reason",
                    unit="newcomers",
                    colours=[PALETTE["vermillion"]],
                    width=900,
                ),
                "The first hard rule that leaves a newcomer without any local; "
                "“workable locals all taken” means a local was possible but is paired with "
                "others so that more newcomers are matched overall.",
            )
            if ranked
            else "<p>Nobody is waiting.</p>",
        )
    )

    # Supply and demand per area.
    area_rows = _area_rows(result, newcomers, locals_, by)
    label = {"municipality": "municipality", "place": "place", "pc4": "postcode area"}[by]
    chart_rows = area_rows[:30]
    sections.append(
        section(
            f"Supply and demand per {label}",
            figure(
                svg_bar_chart(
                    [r[0] for r in chart_rows],
                    {
                        "newcomers": [r[1] for r in chart_rows],
                        "room with locals": [r[3] for r in chart_rows],
                        "matched": [r[4] for r in chart_rows],
                    },
                    title=f"Newcomers, room with locals and matches per {label}",
                    unit="people",
                    colours=[PALETTE["orange"], PALETTE["blue"], PALETTE["green"]],
                    width=900,
                ),
                f"Demand (newcomers living there) against supply (the number of newcomers the "
                f"locals living there can take) and the newcomers matched, per {label}"
                + (
                    f"; the {len(chart_rows)} largest of {len(area_rows)} shown."
                    if len(area_rows) > 30
                    else "."
                )
                + " Newcomers may be matched with locals from another area.",
            ),
            html_table(
                [label, "newcomers", "locals", "room", "matched", "share matched", "waiting"],
                [[a, n, loc, cap, m, _pct(m, n), n - m] for a, n, loc, cap, m in area_rows],
                numeric=(1, 2, 3, 4, 5, 6),
                caption=f"Per {label}: room is the sum of the locals' capacities.",
            ),
        )
    )

    # Tables.
    pair_header = ["newcomer", "local", "score", "language", "travel (min)", "mode", "who travels"]
    if names:
        pair_header[1:1] = ["newcomer name"]
        pair_header[3:3] = ["local name"]
    pair_rows: list[list[Cell]] = []
    for p in sorted(pairs, key=lambda q: (q.newcomer_id, q.local_id)):
        row: list[Cell] = [
            p.newcomer_id,
            p.local_id,
            f"{p.score:.3f}",
            f"{p.language or ''} {p.language_level or ''}".strip(),
            None if p.travel_min is None else f"{p.travel_min:.0f}",
            MODE_LABELS.get(p.travel_mode or "", p.travel_mode),
            p.who_travels,
        ]
        if names:
            row[1:1] = [_name(nc.get(p.newcomer_id))]
            row[3:3] = [_name(lc.get(p.local_id))]
        pair_rows.append(row)
    num_cols = (4, 6) if names else (2, 4)
    wait_header = ["newcomer", label, "cause", "reason"]
    if names:
        wait_header[1:1] = ["name"]
    wait_rows: list[list[Cell]] = []
    for u in sorted(waiting, key=lambda q: q.newcomer_id):
        person = nc.get(u.newcomer_id)
        wrow: list[Cell] = [
            u.newcomer_id,
            area_of(person, by) if person else "",
            REASON_LABELS.get(u.code, u.code),
            u.reason,
        ]
        if names:
            wrow[1:1] = [_name(person)]
        wait_rows.append(wrow)
    sections.append(
        section(
            "Pairs",
            f"<details><summary>{_e(f'All {len(pairs):,} pairs')}</summary>"
            + html_table(pair_header, pair_rows, numeric=num_cols)
            + "</details>",
        )
    )
    sections.append(
        section(
            "Waiting newcomers",
            html_table(wait_header, wait_rows) if wait_rows else "<p>Nobody is waiting.</p>",
        )
    )
    privacy = (
        "Names are shown because this report was made with names switched on: handle it as "
        "personal data."
        if names
        else "People are shown by roster id only; no names or other personal details."
    )
    return html_page(
        title,
        sections,
        lead=result.summary(),
        footer=f"Made by buddymatch. {privacy} This file works offline and loads nothing.",
    )


def _name(person: Newcomer | Local | None) -> str:
    return (person.name or "") if person is not None else ""


def _area_rows(
    result: MatchResult, newcomers: Sequence[Newcomer], locals_: Sequence[Local], by: str
) -> list[tuple[str, int, int, int, int]]:
    """Per area: (area, newcomers, locals, room, matched), most newcomers first."""
    matched = {p.newcomer_id for p in result.pairs}
    n_area = np.asarray([area_of(n, by) for n in newcomers], dtype=str)
    l_area = np.asarray([area_of(loc, by) for loc in locals_], dtype=str)
    areas = np.unique(np.concatenate([n_area, l_area]))
    if areas.size == 0:
        return []
    ni = np.searchsorted(areas, n_area)
    li = np.searchsorted(areas, l_area)
    k = areas.size
    n_count = np.bincount(ni, minlength=k)
    is_matched = np.asarray([n.id in matched for n in newcomers], dtype=float)
    m_count = np.bincount(ni, weights=is_matched, minlength=k).astype(int)
    l_count = np.bincount(li, minlength=k)
    room = np.bincount(li, weights=[loc.capacity for loc in locals_], minlength=k).astype(int)
    order = np.lexsort((areas, -l_count, -n_count))
    return [
        (str(areas[i]), int(n_count[i]), int(l_count[i]), int(room[i]), int(m_count[i]))
        for i in order
    ]


def write_match_report(
    path: str | os.PathLike[str],
    result: MatchResult,
    newcomers: Sequence[Newcomer],
    locals_: Sequence[Local],
    *,
    names: bool = False,
    title: str = "Buddy matching report",
    by: str = "municipality",
) -> Path:
    """Write :func:`match_report` to ``path`` (UTF-8) and return the path."""
    out = Path(path)
    out.write_text(
        match_report(result, newcomers, locals_, names=names, title=title, by=by),
        encoding="utf-8",
    )
    return out
