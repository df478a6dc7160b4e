"""Server-rendered charts: SVG for web pages, PNG for DOCX/PDF drafts.

The dashboard's three kinds (bars over time, horizontal bars, the timeline) and the empty
chart are drawn twice from one layout: directly as SVG for pages (kalkan.analysis.chart_svg,
milliseconds) and by matplotlib as PNG for documents. What follows on matplotlib is about
the PNG, and the SVG of the estimation page's two charts.

    chart = bars_over_time(["2024-01", "2024-02"], {"Нападение": [3, None]}, "Инциденты",
                           suppressed_note="Менее 5 — скрыто", no_data="Нет данных")
    chart.svg   # bytes: inline into a page (or serve as image/svg+xml)
    chart.png   # bytes: Figure(caption, chart.png) in a documents.Draft

Why it is built the way it is:

* No pyplot. `matplotlib.figure.Figure` is created directly and rendered by `savefig` into
  a BytesIO, so there is no global "current figure" shared between requests in a worker, no
  `matplotlib.use`, and nothing is written to disk (a seized server must not hold drafts).
* Every word on a chart (title, category names, the "suppressed" note, the "no data" text)
  comes from the caller, already in the page's language; this module adds only numbers.
  Text goes through `_plain` so a `$` in a name is never read as mathtext.
* Fonts: matplotlib's default DejaVu Sans covers Cyrillic with the Kyrgyz and Kazakh
  letters; the SVG draws text as paths (`svg.fonttype = path`, matplotlib's default), so
  it shows the same on a phone without any installed font.
* The SVG is post-processed so it can be inlined into a page under the app's CSP
  (`style-src 'self'`, no inline styles): matplotlib's `style="..."` attributes become
  SVG presentation attributes, the `<style>` element, XML prolog, DOCTYPE (which names an
  external DTD) and RDF metadata are dropped, and ids get a per-chart prefix so two charts
  on one page cannot share a clip path or glyph by accident. Ids are numbered in order of
  appearance, so the same input gives the same bytes (matplotlib salts its ids with a
  random uuid unless a global rcParam is set, which we avoid touching).
* Small counts are suppressed upstream (privacy: a cell of 1 or 2 can identify someone).
  A suppressed value is passed as None and drawn as a small hatched marker, never as a
  number, with the caller's note in the legend, so a reader can tell "hidden" from "zero".
"""

from __future__ import annotations

import hashlib
import html
import json
import math
import re
import struct
import textwrap
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property
from io import BytesIO
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from kalkan.analysis import chart_svg

# Okabe & Ito (2008), "Color Universal Design": distinguishable with the common forms of
# colour blindness. Ordered so the first few are also distinct in greyscale print.
PALETTE = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#56B4E9",  # sky blue
    "#CC79A7",  # reddish purple
    "#F0E442",  # yellow
    "#000000",  # black
)
# Beyond eight categories the colours repeat with a texture so categories stay apart;
# callers should still group into at most eight (plus "other") for readability.
_CYCLE_HATCHES = ("", "..", "xx", "\\\\")

SUPPRESSED_HATCH = "////"
SUPPRESSED_EDGE = "#555555"
TEXT_COLOR = "#222222"
GRID_COLOR = "#DDDDDD"
TIMELINE_BAR_COLOR = "#A6C8E0"

# Legislation stages. Colour *and* line style differ, so a stage can be told apart in
# greyscale print and with colour blindness. The codes are the law_stages vocabulary's
# (kalkan/records/vocab/law_stages.csv); the three readings share one style, and free text
# is normalised by `_kind`.
MILESTONE_STYLES: dict[str, dict[str, Any]] = {
    "introduced": {"color": "#0072B2", "linestyle": (0, (5, 3)), "linewidth": 1.6},
    "reading": {"color": "#009E73", "linestyle": (0, (1, 2)), "linewidth": 2.0},
    "passed": {"color": "#D55E00", "linestyle": (0, (6, 2, 1, 2)), "linewidth": 1.6},
    "signed": {"color": "#CC79A7", "linestyle": "solid", "linewidth": 1.4},
    "in_force": {"color": "#000000", "linestyle": "solid", "linewidth": 2.6},
    "withdrawn": {"color": "#777777", "linestyle": (0, (6, 2, 1, 2, 1, 2)), "linewidth": 1.4},
    "vetoed": {"color": "#E69F00", "linestyle": (0, (3, 1, 1, 1)), "linewidth": 1.8},
    "challenged": {"color": "#56B4E9", "linestyle": (0, (8, 3)), "linewidth": 1.6},
}
MILESTONE_KINDS = tuple(MILESTONE_STYLES)
_OTHER_MILESTONE = {"color": "#555555", "linestyle": (0, (2, 2)), "linewidth": 1.2}

DEFAULT_WIDTH_IN = 5.6
DEFAULT_HEIGHT_IN = 3.6
EMPTY_HEIGHT_IN = 2.0  # a sentence, not a blank canvas
# 5.6 in keeps 10 pt text legible when a phone shows the SVG ~360 px wide; 220 dpi gives
# 1232 px, sharp when a document stretches it to the 6.7 in text width of A4.
PNG_DPI = 220
FONT_SIZE = 10
TITLE_SIZE = 12.5
# Roughly how many characters of 10 pt DejaVu Sans fit in one inch; used to wrap labels
# and thin out tick labels, so a chart shown 360 px wide on a phone stays legible.
_CHARS_PER_INCH = 11.5
_TITLE_CHARS_PER_INCH = 8.0  # the title is larger and bold


class Chart:
    """One chart, rendered lazily: a page needs only `svg`, a document only `png`.

    The PNG is matplotlib's rendering of `figure`. The SVG of the dashboard's three charts is
    drawn directly (`drawn_svg`, kalkan.analysis.chart_svg: milliseconds, where matplotlib
    takes a fifth of a second a chart), the others' is matplotlib's; `figure` is made only
    when something asks for it."""

    def __init__(self, figure: Figure | Callable[[], Figure], title: str, dpi: int = PNG_DPI,
                 *, drawn_svg: Callable[[], str] | None = None) -> None:
        self._figure = figure
        self._drawn_svg = drawn_svg
        self.title = title
        self.dpi = dpi

    @cached_property
    def figure(self) -> Figure:
        return self._figure if isinstance(self._figure, Figure) else self._figure()

    @property
    def size_px(self) -> tuple[int, int]:
        """The PNG's width and height in pixels, read from its header (Agg truncates
        inches × dpi, so computing it could be one pixel off). Renders the PNG if needed."""
        width, height = struct.unpack(">II", self.png[16:24])
        return width, height

    @cached_property
    def png(self) -> bytes:
        buffer = BytesIO()
        # No "Software" text chunk: nothing names the tool, and the bytes are reproducible.
        self.figure.savefig(buffer, format="png", dpi=self.dpi, metadata={"Software": None})
        return buffer.getvalue()

    @cached_property
    def svg(self) -> bytes:
        if self._drawn_svg is not None:
            return self._drawn_svg().encode("utf-8")
        buffer = BytesIO()
        metadata: dict[str, Any] = {"Date": None, "Creator": None, "Format": None, "Type": None}
        self.figure.savefig(buffer, format="svg", metadata=metadata)
        return _clean_svg(buffer.getvalue().decode("utf-8"), self.title).encode("utf-8")


# Drawn SVGs by what they were drawn from (see `svg_of`); a dashboard page holds five.
DRAWN_KEPT = 64
_drawn: OrderedDict[str, bytes] = OrderedDict()
_drawn_lock = threading.Lock()


def svg_of(draw: Callable[..., Chart], *args: Any, **kwargs: Any) -> bytes:
    """`draw(*args, **kwargs).svg`, drawn once for the same input. A chart is a function of
    its input alone (the same input gives the same bytes), drawing it is most of what a
    dashboard costs, and most changes to the records leave a given chart's numbers as they
    were: a change elsewhere, or a consent that no bar shows, redraws nothing. Kept in
    memory only; what is kept are counts and the labels of vocabularies and laws."""
    return _kept("svg", draw, args, kwargs)


def png_of(draw: Callable[..., Chart], *args: Any, **kwargs: Any) -> bytes:
    """`draw(*args, **kwargs).png`, drawn once for the same input (as `svg_of`): a draft's
    charts for each format downloaded, and again after a review."""
    return _kept("png", draw, args, kwargs)


def _kept(form: str, draw: Callable[..., Chart], args: tuple[Any, ...],
          kwargs: dict[str, Any]) -> bytes:
    # The input as text (a lazily translated string as its text, not its repr, which names
    # a memory address another string may reuse); mappings keep their order, as the legend.
    key = hashlib.sha256(json.dumps([form, draw.__name__, args, sorted(kwargs.items())],
                                    default=str, ensure_ascii=False).encode()).hexdigest()
    with _drawn_lock:
        if key in _drawn:
            _drawn.move_to_end(key)
            return _drawn[key]
    chart = draw(*args, **kwargs)
    drawn: bytes = chart.svg if form == "svg" else chart.png
    with _drawn_lock:
        _drawn[key] = drawn
        while len(_drawn) > DRAWN_KEPT:
            _drawn.popitem(last=False)
    return drawn


@dataclass(frozen=True)
class _Layout:
    width: float
    height: float


# -- the three charts ------------------------------------------------------------------


def bars_over_time(
    periods: Sequence[str],
    series: Mapping[str, Sequence[int | None]],
    title: str,
    *,
    suppressed_note: str = "",
    no_data: str = "",
    width: float = DEFAULT_WIDTH_IN,
    height: float | None = None,
    dpi: int = PNG_DPI,
) -> Chart:
    """Stacked bars per period (month or year), one colour per category.

    `series` maps a category (act type group, perpetrator type, region, victim group) to one
    value per period; None is a suppressed cell. Categories stack in the order given.
    """
    _check_lengths(len(periods), {name: len(values) for name, values in series.items()})
    cells = [value for values in series.values() for value in values]
    if not periods or not series or not _has_data(cells):
        return _empty(title, no_data, width, height or EMPTY_HEIGHT_IN, dpi)

    legend_labels = [_plain(name) for name in series]
    has_suppressed = any(value is None for value in cells)
    legend_entries = len(series) + (1 if has_suppressed and suppressed_note else 0)
    columns = _legend_columns(legend_labels, width)
    legend_rows = math.ceil(legend_entries / columns)
    layout = _Layout(width, height or DEFAULT_HEIGHT_IN + 0.22 * max(0, legend_rows - 2))
    return Chart(
        lambda: _bars_over_time_figure(periods, series, title, layout, columns,
                                       suppressed_note, has_suppressed),
        title, dpi, drawn_svg=lambda: _bars_over_time_svg(
            periods, series, title, layout, columns, suppressed_note, has_suppressed))


def _bars_over_time_figure(periods: Sequence[str], series: Mapping[str, Sequence[int | None]],
                           title: str, layout: _Layout, columns: int, suppressed_note: str,
                           has_suppressed: bool) -> Figure:
    legend_labels = [_plain(name) for name in series]
    figure, axes = _figure(layout, title)

    totals = [sum(values[i] or 0 for values in series.values()) for i in range(len(periods))]
    marker = _marker_size(max(totals, default=0))
    x = list(range(len(periods)))
    bottoms = [0.0] * len(periods)
    handles: list[Any] = []
    for index, values in enumerate(series.values()):
        color = PALETTE[index % len(PALETTE)]
        texture = _CYCLE_HATCHES[(index // len(PALETTE)) % len(_CYCLE_HATCHES)]
        heights = [float(v) if v is not None else 0.0 for v in values]
        axes.bar(x, heights, bottom=bottoms, width=0.78, color=color, hatch=texture or None,
                 edgecolor="white", linewidth=0.6)
        suppressed = [i for i, v in enumerate(values) if v is None]
        if suppressed:
            # Drawn on top of this category's own segment, hatched in its colour: the
            # reader sees which category was hidden, and that it was hidden, not zero.
            axes.bar([x[i] for i in suppressed], [marker] * len(suppressed),
                     bottom=[bottoms[i] + heights[i] for i in suppressed], width=0.78,
                     facecolor="white", edgecolor=color, hatch=SUPPRESSED_HATCH, linewidth=0.8)
        for i in x:
            bottoms[i] += heights[i] + (marker if values[i] is None else 0.0)
        handles.append(Patch(facecolor=color, hatch=texture or None, edgecolor="white",
                             label=_legend_label(legend_labels[index])))
    if has_suppressed and suppressed_note:
        handles.append(_suppressed_handle(suppressed_note))

    _categorical_x(axes, periods, layout.width)
    _value_axis(axes.yaxis)
    axes.set_ylim(0, max(bottoms) * 1.08 or 1)
    figure.legend(handles=handles, loc="outside lower center", ncols=columns,
                  fontsize=FONT_SIZE - 0.5, frameon=False)
    return figure


def horizontal_bars(
    labels: Sequence[str],
    values: Sequence[int | None],
    title: str,
    *,
    suppressed_note: str = "",
    no_data: str = "",
    color: str = PALETTE[0],
    width: float = DEFAULT_WIDTH_IN,
    height: float | None = None,
    dpi: int = PNG_DPI,
) -> Chart:
    """One bar per label, top to bottom in the order given ("by region", "by perpetrator
    type"), with the count written at the end of each bar; None is a suppressed value."""
    _check_lengths(len(labels), {"values": len(values)})
    if not labels or not _has_data(list(values)):
        return _empty(title, no_data, width, height or EMPTY_HEIGHT_IN, dpi)

    # Long names wrap onto two or three lines rather than squeezing the bars off the page.
    wrapped = [_wrap(label, 28) for label in labels]
    lines = sum(label.count("\n") + 1 for label in wrapped)
    has_suppressed = any(value is None for value in values)
    extra = 0.35 if has_suppressed and suppressed_note else 0.0
    layout = _Layout(width, height or max(2.4, 1.0 + 0.2 * lines + 0.18 * len(labels) + extra))
    return Chart(
        lambda: _horizontal_bars_figure(wrapped, values, title, layout, suppressed_note, color),
        title, dpi, drawn_svg=lambda: _horizontal_bars_svg(
            wrapped, values, title, layout, suppressed_note, color))


def _horizontal_bars_figure(wrapped: Sequence[str], values: Sequence[int | None], title: str,
                            layout: _Layout, suppressed_note: str, color: str) -> Figure:
    has_suppressed = any(value is None for value in values)
    figure, axes = _figure(layout, title)

    largest = max((v for v in values if v is not None), default=0)
    marker = _marker_size(largest)
    y = list(range(len(wrapped)))
    numbers = [float(v) if v is not None else 0.0 for v in values]
    axes.barh(y, numbers, height=0.7, color=color)
    suppressed = [i for i, v in enumerate(values) if v is None]
    if suppressed:
        axes.barh([y[i] for i in suppressed], [marker] * len(suppressed), height=0.7,
                  facecolor="white", edgecolor=SUPPRESSED_EDGE, hatch=SUPPRESSED_HATCH,
                  linewidth=0.8)
    for i, value in enumerate(values):
        if value is not None:
            axes.annotate(str(value), xy=(value, i), xytext=(3, 0), textcoords="offset points",
                          va="center", ha="left", fontsize=FONT_SIZE - 0.5, color=TEXT_COLOR)
    axes.set_yticks(y, labels=[_plain(label) for label in wrapped], fontsize=FONT_SIZE - 0.5)
    axes.invert_yaxis()  # the first label on top, as it reads
    axes.set_xlim(0, max(largest, marker) * 1.15 or 1)
    _values_across(axes)
    if has_suppressed and suppressed_note:
        figure.legend(handles=[_suppressed_handle(suppressed_note)], loc="outside lower center",
                      fontsize=FONT_SIZE - 0.5, frameon=False)
    return figure


def timeline(
    periods: Sequence[str],
    counts: Sequence[int | None],
    milestones: Sequence[tuple[str, str, str]],
    title: str,
    *,
    suppressed_note: str = "",
    no_data: str = "",
    width: float = DEFAULT_WIDTH_IN,
    height: float | None = None,
    dpi: int = PNG_DPI,
) -> Chart:
    """Incidents per period as bars, with legislation stages laid over them.

    A milestone is (when, label, kind): `when` is one of `periods` or an ISO date
    ("2024-03-15", "2024-03", "2024"); `kind` is one of MILESTONE_KINDS (spaces, hyphens and
    "first reading" style prefixes are accepted). Each milestone is a vertical line in its
    kind's style with a number on top; the legend below lists "number label". A milestone
    before or after the periods is drawn at that edge with an arrow (◂ 1, 1 ▸) instead of
    widening the axis. Periods must be "YYYY", "YYYY-MM", "YYYY-Qn" or "YYYY-MM-DD" for
    dated milestones to be placed; otherwise `when` must equal a period exactly (a `when`
    that cannot be placed is a ValueError). A milestone with an empty `when` (date unknown)
    is left out. A date known only to the year or month sits at its start.
    """
    _check_lengths(len(periods), {"counts": len(counts)})
    # A stage whose date is unknown ("" from the tracker) has no place on a time axis.
    milestones = [milestone for milestone in milestones if milestone[0].strip()]
    if not periods or (not _has_data(list(counts)) and not milestones):
        return _empty(title, no_data, width, height or EMPTY_HEIGHT_IN, dpi)

    placed = [_milestone_x(milestone[0], periods) for milestone in milestones]
    has_suppressed = any(value is None for value in counts)
    wrapped = [_wrap(milestone[1], int(width * _CHARS_PER_INCH) - 8) for milestone in milestones]
    legend_lines = sum(label.count("\n") + 1 for label in wrapped)
    legend_lines += 1 if has_suppressed and suppressed_note else 0
    layout = _Layout(width, height or DEFAULT_HEIGHT_IN + 0.2 * legend_lines)
    return Chart(
        lambda: _timeline_figure(periods, counts, milestones, placed, wrapped, title, layout,
                                 suppressed_note),
        title, dpi, drawn_svg=lambda: _timeline_svg(
            periods, counts, milestones, placed, wrapped, title, layout, suppressed_note))


def _timeline_figure(periods: Sequence[str], counts: Sequence[int | None],
                     milestones: Sequence[tuple[str, str, str]],
                     placed: Sequence[tuple[float, str]], wrapped: Sequence[str], title: str,
                     layout: _Layout, suppressed_note: str) -> Figure:
    has_suppressed = any(value is None for value in counts)
    figure, axes = _figure(layout, title)

    x = list(range(len(periods)))
    numbers = [float(v) if v is not None else 0.0 for v in counts]
    axes.bar(x, numbers, width=0.78, color=TIMELINE_BAR_COLOR)
    largest = max(numbers, default=0.0)
    marker = _marker_size(largest)
    suppressed = [i for i, v in enumerate(counts) if v is None]
    if suppressed:
        axes.bar([x[i] for i in suppressed], [marker] * len(suppressed), width=0.78,
                 facecolor="white", edgecolor=SUPPRESSED_EDGE, hatch=SUPPRESSED_HATCH,
                 linewidth=0.8)
    axes.set_ylim(0, max(largest, marker) * 1.05 or 1)
    axes.set_xlim(-0.6, len(periods) - 0.4)

    handles: list[Any] = []
    stacked: list[float] = []
    for number, ((position, side), (_when, _label, kind), text) in enumerate(
        zip(placed, milestones, wrapped, strict=True), start=1
    ):
        style = MILESTONE_STYLES.get(_kind(kind), _OTHER_MILESTONE)
        axes.axvline(position, **style, zorder=3)
        # Milestones close together get their numbers staggered upwards, not overprinted.
        level = sum(1 for other in stacked if abs(other - position) < 0.9)
        stacked.append(position)
        tag = {"before": f"◂ {number}", "after": f"{number} ▸"}.get(side, str(number))
        # Numbers sit just above the plot, clear of the bars and the axis labels.
        axes.annotate(tag, xy=(position, 1.0), xycoords=("data", "axes fraction"),
                      xytext=(0, 3 + 15 * level), textcoords="offset points",
                      ha="center", va="bottom", fontsize=FONT_SIZE - 1, color=TEXT_COLOR,
                      annotation_clip=False, zorder=4,
                      bbox={"boxstyle": "round,pad=0.2", "facecolor": "white",
                            "edgecolor": style["color"], "linewidth": 0.8})
        handles.append(Line2D([], [], **style, label=_legend_label(f"{number}  {_plain(text)}")))
    if has_suppressed and suppressed_note:
        handles.append(_suppressed_handle(suppressed_note))

    _categorical_x(axes, periods, layout.width)
    _value_axis(axes.yaxis)
    if handles:
        figure.legend(handles=handles, loc="outside lower left", ncols=1,
                      fontsize=FONT_SIZE - 0.5, frameon=False, handlelength=3.2)
    return figure


# -- drawing helpers -------------------------------------------------------------------


def _figure(layout: _Layout, title: str) -> tuple[Figure, Axes]:
    # Constrained layout makes room for a wrapped title and an outside legend; it is
    # deterministic, so the same input still gives the same bytes.
    figure = Figure(figsize=(layout.width, layout.height), layout="constrained")
    axes = figure.add_subplot()
    if title:
        figure.suptitle(_plain(_wrap(title, int(layout.width * _TITLE_CHARS_PER_INCH))),
                        fontsize=TITLE_SIZE, fontweight="bold", color=TEXT_COLOR)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.set_axisbelow(True)
    axes.yaxis.grid(True, color=GRID_COLOR, linewidth=0.8)
    axes.tick_params(labelsize=FONT_SIZE - 0.5, colors=TEXT_COLOR)
    return figure, axes


def _empty(title: str, no_data: str, width: float, height: float, dpi: int) -> Chart:
    """A chart with nothing to plot says so in words the caller chose."""
    return Chart(lambda: _empty_figure(title, no_data, width, height), title, dpi,
                 drawn_svg=lambda: _empty_svg(title, no_data, width, height))


def _empty_figure(title: str, no_data: str, width: float, height: float) -> Figure:
    figure = Figure(figsize=(width, height), layout="constrained")
    if title:
        figure.suptitle(_plain(_wrap(title, int(width * _TITLE_CHARS_PER_INCH))),
                        fontsize=TITLE_SIZE, fontweight="bold", color=TEXT_COLOR)
    axes = figure.add_subplot()
    axes.set_axis_off()
    axes.text(0.5, 0.5, _plain(_wrap(no_data, int(width * _CHARS_PER_INCH * 0.7))),
              ha="center", va="center", fontsize=FONT_SIZE + 1, color="#555555",
              transform=axes.transAxes)
    return figure


def _categorical_x(axes: Axes, periods: Sequence[str], width: float) -> None:
    """One tick per period, but labels only as often as they fit side by side unrotated
    (rotated labels are hard to read on a phone)."""
    longest = max((len(p) for p in periods), default=1)
    fit = max(2, int(width * 0.85 * _CHARS_PER_INCH / (longest + 2)))
    step = math.ceil(len(periods) / fit)
    labels = [_plain(p) if i % step == 0 else "" for i, p in enumerate(periods)]
    axes.set_xticks(list(range(len(periods))), labels=labels)
    axes.tick_params(axis="x", length=3)


def _value_axis(axis: Any) -> None:
    # Counts are whole numbers: no "2.5 incidents" ticks.
    axis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))


def _values_across(axes: Axes) -> None:
    """Values along x, categories down y: the grid follows the values."""
    _value_axis(axes.xaxis)
    axes.xaxis.grid(True, color=GRID_COLOR, linewidth=0.8)
    axes.yaxis.grid(False)
    axes.tick_params(axis="y", length=0)


def _suppressed_handle(note: str) -> Patch:
    return Patch(facecolor="white", edgecolor=SUPPRESSED_EDGE, hatch=SUPPRESSED_HATCH,
                 label=_legend_label(_plain(note)))


def _marker_size(largest: float) -> float:
    """Height of a suppressed-cell marker: visible, but too small to read as a count."""
    return max(largest, 1.0) * 0.04 if largest > 0 else 1.0


def _legend_columns(labels: Sequence[str], width: float) -> int:
    longest = max((len(label) for label in labels), default=1) + 4
    return max(1, min(len(labels), int(width * _CHARS_PER_INCH / longest), 4))


def _legend_label(text: str) -> str:
    # Matplotlib's legend skips labels starting with "_" (its "hide me" convention).
    return " " + text if text.startswith("_") else text


def _plain(text: str) -> str:
    """Text drawn literally: an even number of "$" would otherwise switch to mathtext."""
    return text.replace("$", r"\$")


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, max(width, 8), break_long_words=True)) or text


def _has_data(values: Sequence[int | None]) -> bool:
    """Something to draw: a positive count, or a suppressed one (which is not "nothing")."""
    return any(value is None or value > 0 for value in values)


def _check_lengths(expected: int, lengths: dict[str, int]) -> None:
    for name, length in lengths.items():
        if length != expected:
            raise ValueError(f"{name!r} has {length} values for {expected} periods or labels")


# -- the same charts drawn directly as SVG (kalkan.analysis.chart_svg) -----------------
# The layout follows the matplotlib figure's: title on top, the legend below, ticks as
# MaxNLocator places them; sizes in points (72 to the inch).

_TICK_SIZE = FONT_SIZE - 0.5
_LEGEND_ROW = 13.0


def _svg_title(canvas: chart_svg.Canvas, title: str, width: float) -> float:
    """The wrapped, bold title; returns where what is below it may begin."""
    if not title:
        return 10.0
    lines = _wrap(title, int(width * _TITLE_CHARS_PER_INCH)).split("\n")
    last = canvas.lines(canvas.width / 2, 6 + TITLE_SIZE, lines, size=TITLE_SIZE, bold=True,
                        anchor="middle", colour=TEXT_COLOR)
    return last + 10


def _svg_ticks(top: float, length: float) -> list[float]:
    """Whole-number ticks from 0 to top, as many as fit the axis's length."""
    locator = MaxNLocator(nbins=max(2, min(8, int(length / 34))), integer=True, min_n_ticks=1)
    return [float(t) for t in locator.tick_values(0, top) if 0 <= t <= top * (1 + 1e-9)]


def _tick_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _svg_box(canvas: chart_svg.Canvas, x: float, y: float, width: float, height: float,
             style: dict[str, str]) -> None:
    canvas.rect(x, y, width, height, fill=style["fill"], stroke=style.get("stroke", ""),
                stroke_width=0.8 if style.get("stroke") else 0.0, hatch=style.get("hatch", ""),
                hatch_colour=style.get("hatch_colour", ""))


def _svg_dashes(style: dict[str, Any]) -> tuple[float, ...]:
    """matplotlib's (offset, (on, off, …)) dash pattern, scaled by the width as it does."""
    pattern = style["linestyle"]
    if pattern == "solid":
        return ()
    return tuple(d * style["linewidth"] for d in pattern[1])


def _svg_legend_boxes(canvas: chart_svg.Canvas, entries: list[tuple[str, dict[str, str]]],
                      columns: int, top: float) -> None:
    """Swatches and labels in rows of `columns`, centred under the plot."""
    column_width = (canvas.width - 20) / columns
    for number, (label, style) in enumerate(entries):
        row, column = divmod(number, columns)
        x = 10 + column * column_width
        y = top + row * _LEGEND_ROW
        _svg_box(canvas, x + 4, y + 1.5, 14, 7, style)
        canvas.text(x + 23, y + 8.5, label, size=_TICK_SIZE, colour=TEXT_COLOR)


def _svg_value_axis(canvas: chart_svg.Canvas, left: float, top: float, right: float,
                    bottom: float, largest: float) -> Callable[[float], float]:
    """Horizontal grid lines with their counts on the left, and the two axis lines; returns
    where a count falls (y)."""
    def y_of(value: float) -> float:
        return bottom - value / largest * (bottom - top)

    for tick in _svg_ticks(largest, bottom - top):
        canvas.line(left, y_of(tick), right, y_of(tick), stroke=GRID_COLOR)
        canvas.line(left - 3.5, y_of(tick), left, y_of(tick), stroke=TEXT_COLOR)
        canvas.text(left - 5.5, y_of(tick) + _TICK_SIZE * 0.35, _tick_text(tick),
                    size=_TICK_SIZE, anchor="end", colour=TEXT_COLOR)
    return y_of


def _svg_spines(canvas: chart_svg.Canvas, left: float, top: float, right: float,
                bottom: float) -> None:
    canvas.line(left, top, left, bottom, stroke=TEXT_COLOR)
    canvas.line(left, bottom, right, bottom, stroke=TEXT_COLOR)


def _svg_periods(canvas: chart_svg.Canvas, periods: Sequence[str], x_of: Callable[[float], float],
                 bottom: float, width: float) -> None:
    """The period under each bar, as often as the labels fit side by side (as
    `_categorical_x`)."""
    longest = max((len(p) for p in periods), default=1)
    fit = max(2, int(width * 0.85 * _CHARS_PER_INCH / (longest + 2)))
    step = math.ceil(len(periods) / fit)
    for i, period in enumerate(periods):
        canvas.line(x_of(i), bottom, x_of(i), bottom + 3, stroke=TEXT_COLOR)
        if i % step == 0:
            canvas.text(x_of(i), bottom + 4 + _TICK_SIZE, period, size=_TICK_SIZE,
                        anchor="middle", colour=TEXT_COLOR)


def _value_width(ticks: list[float]) -> float:
    return max((chart_svg.text_width(_tick_text(t), _TICK_SIZE) for t in ticks), default=8.0)


def _bars_over_time_svg(periods: Sequence[str], series: Mapping[str, Sequence[int | None]],
                        title: str, layout: _Layout, columns: int, suppressed_note: str,
                        has_suppressed: bool) -> str:
    canvas = chart_svg.Canvas(layout.width * 72, layout.height * 72)
    top = _svg_title(canvas, title, layout.width)
    entries = []
    for index, name in enumerate(series):
        texture = _CYCLE_HATCHES[(index // len(PALETTE)) % len(_CYCLE_HATCHES)]
        entries.append((name, {"fill": PALETTE[index % len(PALETTE)], "hatch": texture,
                               "hatch_colour": "#ffffff"}))
    if has_suppressed and suppressed_note:
        entries.append((suppressed_note, {"fill": "#ffffff", "stroke": SUPPRESSED_EDGE,
                                          "hatch": SUPPRESSED_HATCH}))
    legend_top = canvas.height - 6 - math.ceil(len(entries) / columns) * _LEGEND_ROW
    bottom = legend_top - 8 - _TICK_SIZE - 6
    totals = [sum(values[i] or 0 for values in series.values()) for i in range(len(periods))]
    marker = _marker_size(max(totals, default=0))
    stacked = [sum((v if v is not None else marker) for v in (values[i] for values in
                                                              series.values()))
               for i in range(len(periods))]
    largest = max(stacked) * 1.08 or 1.0
    left = 12 + _value_width(_svg_ticks(largest, bottom - top))
    right = canvas.width - 12
    y_of = _svg_value_axis(canvas, left, top, right, bottom, largest)
    slot = (right - left) / len(periods)

    def x_of(i: float) -> float:
        return left + (i + 0.5) * slot

    bar = 0.78 * slot
    bottoms = [0.0] * len(periods)
    for index, values in enumerate(series.values()):
        colour = PALETTE[index % len(PALETTE)]
        texture = _CYCLE_HATCHES[(index // len(PALETTE)) % len(_CYCLE_HATCHES)]
        for i, value in enumerate(values):
            height = float(value) if value is not None else 0.0
            low, high = y_of(bottoms[i]), y_of(bottoms[i] + height)
            canvas.rect(x_of(i) - bar / 2, high, bar, low - high, fill=colour, stroke="#ffffff",
                        stroke_width=0.6, hatch=texture, hatch_colour="#ffffff")
            if value is None:
                # On top of this category's segment, hatched in its colour: hidden, not zero.
                top_of = y_of(bottoms[i] + marker)
                canvas.rect(x_of(i) - bar / 2, top_of, bar, low - top_of, fill="#ffffff",
                            stroke=colour, stroke_width=0.8, hatch=SUPPRESSED_HATCH,
                            hatch_colour=colour)
            bottoms[i] += height + (marker if value is None else 0.0)
    _svg_spines(canvas, left, top, right, bottom)
    _svg_periods(canvas, periods, x_of, bottom, layout.width)
    _svg_legend_boxes(canvas, entries, columns, legend_top)
    return canvas.svg(title)


def _horizontal_bars_svg(wrapped: Sequence[str], values: Sequence[int | None], title: str,
                         layout: _Layout, suppressed_note: str, color: str) -> str:
    canvas = chart_svg.Canvas(layout.width * 72, layout.height * 72)
    top = _svg_title(canvas, title, layout.width)
    has_suppressed = any(value is None for value in values)
    legend = has_suppressed and bool(suppressed_note)
    legend_top = canvas.height - 6 - (_LEGEND_ROW if legend else 0)
    bottom = legend_top - 8 - _TICK_SIZE - 6
    largest = max((v for v in values if v is not None), default=0)
    marker = _marker_size(largest)
    most = max(largest, marker) * 1.15 or 1.0
    label_width = max(chart_svg.text_width(line, _TICK_SIZE)
                      for label in wrapped for line in label.split("\n"))
    left = min(12 + label_width, canvas.width * 0.45)
    counts_room = max((chart_svg.text_width(str(v), _TICK_SIZE) for v in values
                       if v is not None), default=0.0)
    right = canvas.width - 12 - max(0.0, counts_room - 0.13 * (canvas.width - left))

    def x_of(value: float) -> float:
        return left + value / most * (right - left)

    ticks = _svg_ticks(most, right - left)
    for tick in ticks:
        canvas.line(x_of(tick), top, x_of(tick), bottom, stroke=GRID_COLOR)
        canvas.line(x_of(tick), bottom, x_of(tick), bottom + 3, stroke=TEXT_COLOR)
        canvas.text(x_of(tick), bottom + 4 + _TICK_SIZE, _tick_text(tick), size=_TICK_SIZE,
                    anchor="middle", colour=TEXT_COLOR)
    slot = (bottom - top) / len(wrapped)
    for i, (label, value) in enumerate(zip(wrapped, values, strict=True)):
        middle = top + (i + 0.5) * slot
        bar = 0.7 * slot
        if value is None:
            canvas.rect(left, middle - bar / 2, x_of(marker) - left, bar, fill="#ffffff",
                        stroke=SUPPRESSED_EDGE, stroke_width=0.8, hatch=SUPPRESSED_HATCH)
        else:
            canvas.rect(left, middle - bar / 2, x_of(value) - left, bar, fill=color)
            canvas.text(x_of(value) + 3, middle + _TICK_SIZE * 0.35, str(value),
                        size=_TICK_SIZE, colour=TEXT_COLOR)
        lines = label.split("\n")
        first = middle + _TICK_SIZE * 0.35 - (len(lines) - 1) * _TICK_SIZE * 1.25 / 2
        canvas.lines(left - 5, first, lines, size=_TICK_SIZE, anchor="end", colour=TEXT_COLOR)
    _svg_spines(canvas, left, top, right, bottom)
    if legend:
        entry = (suppressed_note, {"fill": "#ffffff", "stroke": SUPPRESSED_EDGE,
                                   "hatch": SUPPRESSED_HATCH})
        _svg_legend_boxes(canvas, [entry], 1, legend_top)
    return canvas.svg(title)


def _timeline_svg(periods: Sequence[str], counts: Sequence[int | None],
                  milestones: Sequence[tuple[str, str, str]],
                  placed: Sequence[tuple[float, str]], wrapped: Sequence[str], title: str,
                  layout: _Layout, suppressed_note: str) -> str:
    canvas = chart_svg.Canvas(layout.width * 72, layout.height * 72)
    title_bottom = _svg_title(canvas, title, layout.width)
    levels: list[int] = []
    for position, _side in placed:
        levels.append(sum(1 for (other, _s) in placed[:len(levels)]
                          if abs(other - position) < 0.9))
    top = title_bottom + (15 * max(levels) + 16 if levels else 0)
    has_suppressed = any(value is None for value in counts)
    entries: list[tuple[list[str], dict[str, Any] | None]] = []
    for number, ((_when, _label, kind), text) in enumerate(zip(milestones, wrapped,
                                                               strict=True), start=1):
        lines = text.split("\n")
        entries.append(([f"{number}  {lines[0]}", *lines[1:]],
                        MILESTONE_STYLES.get(_kind(kind), _OTHER_MILESTONE)))
    if has_suppressed and suppressed_note:
        entries.append(([suppressed_note], None))
    legend_height = sum(len(lines) for lines, _style in entries) * 12.5
    legend_top = canvas.height - 6 - legend_height
    bottom = legend_top - 8 - _TICK_SIZE - 6
    numbers = [float(v) if v is not None else 0.0 for v in counts]
    marker = _marker_size(max(numbers, default=0.0))
    largest = max(max(numbers, default=0.0), marker) * 1.05 or 1.0
    left = 12 + _value_width(_svg_ticks(largest, bottom - top))
    right = canvas.width - 12
    y_of = _svg_value_axis(canvas, left, top, right, bottom, largest)
    span = len(periods) + 0.2  # from -0.6 to n - 0.4, as the figure's limits

    def x_of(position: float) -> float:
        return left + (position + 0.6) / span * (right - left)

    bar = 0.78 * (right - left) / span
    for i, value in enumerate(counts):
        if value is None:
            canvas.rect(x_of(i) - bar / 2, y_of(marker), bar, y_of(0) - y_of(marker),
                        fill="#ffffff", stroke=SUPPRESSED_EDGE, stroke_width=0.8,
                        hatch=SUPPRESSED_HATCH)
        else:
            canvas.rect(x_of(i) - bar / 2, y_of(value), bar, y_of(0) - y_of(value),
                        fill=TIMELINE_BAR_COLOR)
    for number, ((position, side), (_when, _label, kind), level) in enumerate(
            zip(placed, milestones, levels, strict=True), start=1):
        style = MILESTONE_STYLES.get(_kind(kind), _OTHER_MILESTONE)
        x = x_of(position)
        canvas.line(x, top, x, bottom, stroke=style["color"], width=style["linewidth"],
                    dashes=_svg_dashes(style))
        tag = {"before": f"◂ {number}", "after": f"{number} ▸"}.get(side, str(number))
        size = FONT_SIZE - 1
        baseline = top - 6 - 15 * level
        width = chart_svg.text_width(tag, size)
        canvas.rect(x - width / 2 - 2, baseline - size * 0.85, width + 4, size * 1.15,
                    fill="#ffffff", stroke=style["color"], stroke_width=0.8, rounded=2)
        canvas.text(x, baseline, tag, size=size, anchor="middle", colour=TEXT_COLOR)
    _svg_spines(canvas, left, top, right, bottom)
    _svg_periods(canvas, periods, lambda i: x_of(i), bottom, layout.width)
    y = legend_top
    for lines, line_style in entries:
        middle = y + 5.5
        if line_style is None:
            _svg_box(canvas, 14, middle - 3.5, 20, 7, {"fill": "#ffffff",
                                                       "stroke": SUPPRESSED_EDGE,
                                                       "hatch": SUPPRESSED_HATCH})
        else:
            canvas.line(12, middle, 44, middle, stroke=line_style["color"],
                        width=line_style["linewidth"], dashes=_svg_dashes(line_style))
        canvas.lines(50, y + 9, lines, size=_TICK_SIZE, colour=TEXT_COLOR, leading=1.3)
        y += len(lines) * 12.5
    return canvas.svg(title)


def _empty_svg(title: str, no_data: str, width: float, height: float) -> str:
    canvas = chart_svg.Canvas(width * 72, height * 72)
    top = _svg_title(canvas, title, width)
    lines = _wrap(no_data, int(width * _CHARS_PER_INCH * 0.7)).split("\n")
    size = FONT_SIZE + 1
    first = (top + canvas.height) / 2 - (len(lines) - 1) * size * 1.25 / 2 + size * 0.35
    canvas.lines(canvas.width / 2, first, lines, size=size, anchor="middle", colour="#555555")
    return canvas.svg(title)


# -- milestones on a period axis -------------------------------------------------------

_PERIOD = re.compile(r"^(\d{4})(?:-(?:(\d{2})(?:-(\d{2}))?|Q([1-4])))?$")


def _period_span(text: str) -> tuple[date, date] | None:
    """The days a period label covers, [start, end), or None if it is not a date."""
    match = _PERIOD.match(text.strip())
    if not match:
        return None
    year = int(match[1])
    try:
        if match[3]:
            start = date(year, int(match[2]), int(match[3]))
            return start, start + timedelta(days=1)
        if match[2]:
            month = int(match[2])
            return date(year, month, 1), _month_start(year, month + 1)
        if match[4]:
            month = 3 * (int(match[4]) - 1) + 1
            return date(year, month, 1), _month_start(year, month + 3)
    except ValueError:
        return None
    return date(year, 1, 1), date(year + 1, 1, 1)


def _month_start(year: int, month: int) -> date:
    return date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def _milestone_x(when: str, periods: Sequence[str]) -> tuple[float, str]:
    """Where on the bar axis a milestone falls, and whether it is before/after the range.

    Bar i is centred on i and its period covers [i - 0.5, i + 0.5), so a date a third of
    the way through March sits a third of the way across March's slot."""
    if when in periods:
        return float(periods.index(when)), ""
    day = _period_span(when)
    spans = [_period_span(period) for period in periods]
    if day is None or any(span is None for span in spans):
        raise ValueError(f"milestone date {when!r} cannot be placed on periods {periods[:3]!r}…")
    moment = day[0]
    known = [span for span in spans if span is not None]
    if moment < known[0][0]:
        return -0.5, "before"
    for index, (start, end) in enumerate(known):
        if start <= moment < end:
            return index - 0.5 + (moment - start) / (end - start), ""
    return len(periods) - 0.5, "after"


def _kind(kind: str) -> str:
    key = re.sub(r"[\s\-]+", "_", kind.strip().lower())
    if key.endswith("reading"):  # first_reading, second_reading, third_reading
        return "reading"
    return {"enacted": "passed", "adopted": "passed", "in_effect": "in_force"}.get(key, key)


# -- SVG post-processing ---------------------------------------------------------------

_PROLOG = re.compile(r"^\s*<\?xml[^>]*\?>\s*<!DOCTYPE[^>]*>\s*", re.DOTALL)
_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.DOTALL)
_COMMENT = re.compile(r"\s*<!--.*?-->", re.DOTALL)
_STYLE_ELEMENT = re.compile(r"\s*<defs>\s*<style[^>]*>(.*?)</style>\s*</defs>", re.DOTALL)
_STYLE_ATTRIBUTE = re.compile(r'style="([^"]*)"')
_IDS = re.compile(r'(\sid=")([^"]*)(")|(url\(#)([^)]*)(\))|(xlink:href="#)([^"]*)(")')


def _clean_svg(svg: str, title: str) -> str:
    svg = _PROLOG.sub("", svg, count=1)
    svg = _METADATA.sub("", svg, count=1)
    # With text drawn as paths matplotlib repeats each string in a comment; dropping them
    # keeps the file small and leaves no user text where the regexes below could match it.
    svg = _COMMENT.sub("", svg)
    # The only stylesheet matplotlib writes is "*{stroke-linejoin: round; stroke-linecap:
    # butt}". As attributes on the root they are inherited exactly where no element sets
    # its own, which is what the `*` rule under an element's style attribute amounted to.
    rule = _STYLE_ELEMENT.search(svg)
    svg = _STYLE_ELEMENT.sub("", svg, count=1)
    root_attributes = ' role="img"'
    if rule:
        declarations = rule[1].strip().removeprefix("*{").removesuffix("}")
        root_attributes += " " + _attributes(declarations)
    svg = svg.replace("<svg ", "<svg" + root_attributes + " ", 1)
    svg = _STYLE_ATTRIBUTE.sub(lambda m: _attributes(m[1]), svg)
    # Two passes: number the ids, hash the result for a prefix unique to this chart.
    numbered = _renumber_ids(svg, "")
    prefix = "c" + hashlib.sha256(numbered.encode("utf-8")).hexdigest()[:10] + "-"
    svg = _renumber_ids(svg, prefix)
    # The accessible name, added last so no substitution above can touch its text.
    if title:
        start = svg.index(">", svg.index("<svg")) + 1
        svg = f"{svg[:start]}\n <title>{html.escape(title)}</title>{svg[start:]}"
    return svg


def _attributes(declarations: str) -> str:
    """ "fill: #fff; stroke-width: 0.8" -> 'fill="#fff" stroke-width="0.8"' (the values are
    already attribute-escaped by matplotlib and contain no quotes)."""
    pairs = []
    for declaration in declarations.split(";"):
        name, _, value = declaration.partition(":")
        if name.strip() and value.strip():
            pairs.append(f'{name.strip()}="{value.strip()}"')
    return " ".join(pairs)


def _renumber_ids(svg: str, prefix: str) -> str:
    """Ids that something refers to become prefix + number in order of first appearance;
    ids nothing refers to (matplotlib's "patch_12", "text_3" group names) are dropped."""
    referenced = {m[5] or m[8] for m in _IDS.finditer(svg) if m[5] or m[8]}
    numbers: dict[str, str] = {}

    def new_id(old: str) -> str:
        return numbers.setdefault(old, f"{prefix}{len(numbers)}")

    def replace(m: re.Match[str]) -> str:
        if m[2] is not None:
            return f"{m[1]}{new_id(m[2])}{m[3]}" if m[2] in referenced else ""
        if m[5] is not None:
            return f"{m[4]}{new_id(m[5])}{m[6]}"
        return f"{m[7]}{new_id(m[8])}{m[9]}"

    return _IDS.sub(replace, svg)


# -- multiple systems estimation ---------------------------------------------------------


def overlaps(
    lists: Sequence[str],
    patterns: Sequence[Sequence[int]],
    counts: Sequence[int | None],
    title: str,
    *,
    suppressed_note: str = "",
    width: float = DEFAULT_WIDTH_IN,
    dpi: int = PNG_DPI,
) -> Chart:
    """An UpSet chart (Lex et al. 2014) of a capture-history table: one bar per combination
    of lists, tallest first, and under it a matrix of dots saying which lists the bar's
    people are on. None is a hidden (small) count."""
    order = sorted(range(len(patterns)), key=lambda i: (-(counts[i] or 0), patterns[i]))
    height = 2.6 + 0.28 * len(lists)
    figure = Figure(figsize=(width, height), layout="constrained")
    if title:
        figure.suptitle(_plain(_wrap(title, int(width * _TITLE_CHARS_PER_INCH))),
                        fontsize=TITLE_SIZE, fontweight="bold", color=TEXT_COLOR)
    bars, dots = figure.subplots(2, 1, sharex=True,
                                 gridspec_kw={"height_ratios": [2.2, 0.3 * len(lists) + 0.2]})
    for side in ("top", "right"):
        bars.spines[side].set_visible(False)
    bars.set_axisbelow(True)
    bars.yaxis.grid(True, color=GRID_COLOR, linewidth=0.8)
    bars.tick_params(labelsize=FONT_SIZE - 1, colors=TEXT_COLOR)
    x = list(range(len(order)))
    values = [counts[i] for i in order]
    largest = max((v for v in values if v is not None), default=0)
    marker = _marker_size(largest)
    bars.bar(x, [float(v) if v is not None else 0.0 for v in values], color=PALETTE[0],
             width=0.7)
    hidden = [i for i, v in enumerate(values) if v is None]
    if hidden:
        bars.bar(hidden, [marker] * len(hidden), facecolor="white", edgecolor=SUPPRESSED_EDGE,
                 hatch=SUPPRESSED_HATCH, width=0.7, linewidth=0.8)
    if len(order) <= 20:
        for i, value in enumerate(values):
            if value is not None:
                bars.annotate(str(value), xy=(i, value), xytext=(0, 2), ha="center",
                              textcoords="offset points", fontsize=FONT_SIZE - 3,
                              color=TEXT_COLOR)
    _value_axis(bars.yaxis)
    bars.set_ylim(0, max(largest, marker) * 1.12 or 1)
    for side in ("top", "right", "bottom", "left"):
        dots.spines[side].set_visible(False)
    for column, index in enumerate(order):
        on = [row for row, flag in enumerate(patterns[index]) if flag]
        off = [row for row, flag in enumerate(patterns[index]) if not flag]
        dots.scatter([column] * len(off), off, s=18, color="#DDDDDD")
        dots.scatter([column] * len(on), on, s=18, color=TEXT_COLOR)
        if len(on) > 1:
            dots.plot([column, column], [min(on), max(on)], color=TEXT_COLOR, linewidth=1.2)
    dots.set_yticks(list(range(len(lists))), labels=[_plain(name) for name in lists],
                    fontsize=FONT_SIZE - 1)
    dots.set_ylim(len(lists) - 0.5, -0.5)
    dots.set_xticks([])
    dots.tick_params(axis="y", length=0)
    if hidden and suppressed_note:
        figure.legend(handles=[_suppressed_handle(suppressed_note)], loc="outside lower center",
                      fontsize=FONT_SIZE - 0.5, frameon=False)
    return Chart(figure, title, dpi)


def intervals(
    labels: Sequence[str],
    estimates: Sequence[float],
    lowers: Sequence[float],
    uppers: Sequence[float],
    documented: int,
    documented_label: str,
    title: str,
    *,
    width: float = DEFAULT_WIDTH_IN,
    dpi: int = PNG_DPI,
) -> Chart:
    """Each method's estimate as a dot on its interval, the documented count as a line: how
    far apart the methods are is what the reader should see first."""
    _check_lengths(len(labels), {"estimates": len(estimates), "lowers": len(lowers),
                                 "uppers": len(uppers)})
    wrapped = [_wrap(label, 24) for label in labels]
    layout = _Layout(width, max(2.2, 1.3 + 0.42 * len(labels)))
    figure, axes = _figure(layout, title)
    y = list(range(len(labels)))
    for i in y:
        axes.plot([lowers[i], uppers[i]], [i, i], color=PALETTE[0], linewidth=2.2)
        axes.plot([estimates[i]], [i], marker="o", color=PALETTE[3], markersize=6)
    axes.axvline(documented, color=TEXT_COLOR, linestyle=(0, (4, 3)), linewidth=1.2)
    axes.annotate(_plain(documented_label), xy=(documented, len(labels) - 0.4),
                  xytext=(3, 0), textcoords="offset points", fontsize=FONT_SIZE - 1.5,
                  color=TEXT_COLOR, va="bottom")
    axes.set_yticks(y, labels=[_plain(label) for label in wrapped], fontsize=FONT_SIZE - 0.5)
    axes.set_ylim(len(labels) - 0.2, -0.6)
    axes.set_xlim(0, max([*uppers, documented]) * 1.08 or 1)
    _values_across(axes)
    return Chart(figure, title, dpi)
