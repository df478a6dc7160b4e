"""SVG drawn directly, for the charts a page shows (kalkan.analysis.charts).

    canvas = Canvas(403.2, 259.2)
    canvas.text(201.6, 20, "Acts by region", size=12.5, bold=True, anchor="middle")
    canvas.rect(40, 30, 12, 80, fill="#0072B2")
    canvas.svg("Acts by region")   # str: the whole <svg> element

Why it exists: matplotlib takes 0.15–0.3 s to lay out and write one chart as SVG, and a
dashboard page shows five, each drawn again after every new act. Bars, lines and a few
words need no layout engine: this draws them in a few milliseconds. The PNG for documents
still comes from matplotlib (charts.Chart.png).

What it keeps from the matplotlib SVG it replaces: text drawn as paths (DejaVu Sans from
matplotlib's own data directory: the Kazakh and Kyrgyz letters, the same on a phone without
any font), each glyph defined once and used per letter; no style attributes or elements (the
app's CSP); ids prefixed per chart (two charts on one page share none) and numbered in
order, so the same input gives the same bytes; an accessible <title>.

Glyph outlines and text widths are kept for the process (a few hundred glyphs at most).
"""

from __future__ import annotations

import hashlib
import html
import threading
from functools import lru_cache
from pathlib import Path

import matplotlib
from matplotlib.ft2font import FT2Font, GlyphIndexType, Kerning, LoadFlags

# Outlines are read at this size (points at 72 dpi) and scaled to the text's size.
_SCALE = 100.0
_FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
_FONT_FILES = {False: _FONT_DIR / "DejaVuSans.ttf", True: _FONT_DIR / "DejaVuSans-Bold.ttf"}
# An FT2Font is not safe to share between threads: one lock for both faces (drawing text is
# a small part of a chart once the outlines are kept).
_font_lock = threading.Lock()
_fonts: dict[bool, FT2Font] = {}
_outlines: dict[tuple[bool, GlyphIndexType], str] = {}  # (bold, glyph index) -> path data at _SCALE
# The "d" of each path command, with how many points it takes (matplotlib.path.Path codes).
_COMMANDS = {1: ("M", 1), 2: ("L", 1), 3: ("Q", 2), 4: ("C", 3)}
_CLOSE = 79


def _font(bold: bool) -> FT2Font:
    font = _fonts.get(bold)
    if font is None:
        font = _fonts[bold] = FT2Font(str(_FONT_FILES[bold]))
        font.set_size(_SCALE, 72)
    return font


def _outline(font: FT2Font, bold: bool, index: GlyphIndexType) -> str:
    """The glyph's outline as SVG path data, y upwards, at _SCALE."""
    key = (bold, index)
    if key not in _outlines:
        font.load_glyph(index, flags=LoadFlags.NO_HINTING)
        vertices, codes = font.get_path()
        parts: list[str] = []
        i = 0
        while i < len(codes):
            code = int(codes[i])
            if code == _CLOSE:
                parts.append("Z")
                i += 1
                continue
            letter, taken = _COMMANDS[code]
            points = vertices[i:i + taken]
            parts.append(letter + " ".join(f"{x:.2f} {y:.2f}" for x, y in points))
            i += taken
        _outlines[key] = "".join(parts)
    return _outlines[key]


@lru_cache(maxsize=4096)
def _laid_out(text: str, bold: bool
              ) -> tuple[tuple[tuple[GlyphIndexType, float], ...], float]:
    """Each glyph of one line with its x at _SCALE (advances and kerning), and the width."""
    with _font_lock:
        font = _font(bold)
        placed: list[tuple[GlyphIndexType, float]] = []
        x = 0.0
        previous = GlyphIndexType(0)
        for character in text:
            index = font.get_char_index(ord(character))
            if previous and index:
                x += font.get_kerning(previous, index, Kerning.DEFAULT) / 64
            glyph = font.load_glyph(index, flags=LoadFlags.NO_HINTING)
            if index and character != " ":
                _outline(font, bold, index)
                placed.append((index, x))
            x += glyph.linearHoriAdvance / 65536
            previous = index
    return tuple(placed), x


def text_width(text: str, size: float, bold: bool = False) -> float:
    """How wide one line of text is, in points."""
    return _laid_out(text, bold)[1] * size / _SCALE


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


class Canvas:
    """One chart's elements in drawing order, in points (y downwards)."""

    def __init__(self, width: float, height: float) -> None:
        self.width = width
        self.height = height
        self._body: list[str] = []
        self._glyphs: dict[tuple[bool, GlyphIndexType], str] = {}  # -> local id
        self._patterns: dict[tuple[str, str], str] = {}  # (kind, colour) -> local id
        self._defs: list[str] = []

    # -- shapes ----------------------------------------------------------------------------

    def rect(self, x: float, y: float, width: float, height: float, *, fill: str,
             stroke: str = "", stroke_width: float = 0.0, hatch: str = "",
             hatch_colour: str = "", rounded: float = 0.0) -> None:
        if width <= 0 or height <= 0:
            return
        extra = f' rx="{_number(rounded)}"' if rounded else ""
        line = (f' stroke="{stroke}" stroke-width="{_number(stroke_width)}"'
                if stroke and stroke_width else "")
        self._body.append(f'<rect x="{_number(x)}" y="{_number(y)}" width="{_number(width)}" '
                          f'height="{_number(height)}" fill="{fill}"{extra}{line}/>')
        if hatch:
            pattern = self._pattern(hatch, hatch_colour or stroke or "#555555")
            self._body.append(f'<rect x="{_number(x)}" y="{_number(y)}" '
                              f'width="{_number(width)}" height="{_number(height)}" '
                              f'fill="url(#@@{pattern})"/>')

    def line(self, x1: float, y1: float, x2: float, y2: float, *, stroke: str,
             width: float = 0.8, dashes: tuple[float, ...] = ()) -> None:
        dash = f' stroke-dasharray="{" ".join(_number(d) for d in dashes)}"' if dashes else ""
        self._body.append(f'<path d="M{_number(x1)} {_number(y1)}L{_number(x2)} '
                          f'{_number(y2)}" stroke="{stroke}" stroke-width="{_number(width)}"'
                          f' fill="none"{dash}/>')

    def _pattern(self, hatch: str, colour: str) -> str:
        """A hatch as a tiling pattern: "/" diagonals, "\\" the other way, "x" both, "."
        dots; doubled or quadrupled, denser (matplotlib's notation)."""
        key = (hatch, colour)
        if key not in self._patterns:
            local = f"p{len(self._patterns)}"
            self._patterns[key] = local
            density = max(1, len(hatch) // max(1, len(set(hatch))))
            size = 12.0 / density if "." not in hatch else 4.5
            marks = []
            if "/" in hatch or "x" in hatch:
                marks.append(f"M0 {_number(size)}L{_number(size)} 0M-1 1L1 -1"
                             f"M{_number(size - 1)} {_number(size + 1)}L{_number(size + 1)} "
                             f"{_number(size - 1)}")
            if "\\" in hatch or "x" in hatch:
                marks.append(f"M0 0L{_number(size)} {_number(size)}M-1 {_number(size - 1)}"
                             f"L1 {_number(size + 1)}M{_number(size - 1)} -1L{_number(size + 1)} 1")
            shapes = (f'<path d="{"".join(marks)}" stroke="{colour}" stroke-width="0.8"/>'
                      if marks else "")
            if "." in hatch:
                middle = _number(size / 2)
                shapes += f'<circle cx="{middle}" cy="{middle}" r="0.8" fill="{colour}"/>'
            self._defs.append(f'<pattern id="@@{local}" patternUnits="userSpaceOnUse" '
                              f'width="{_number(size)}" height="{_number(size)}">{shapes}'
                              f'</pattern>')
        return self._patterns[key]

    # -- text ------------------------------------------------------------------------------

    def text(self, x: float, y: float, text: str, *, size: float, bold: bool = False,
             anchor: str = "start", colour: str = "#222222") -> float:
        """One line of text with its baseline at y, starting at, centred on or ending at x
        (anchor "start", "middle", "end"). Returns its width."""
        placed, advance = _laid_out(text, bold)
        width = advance * size / _SCALE
        left = x - {"start": 0.0, "middle": width / 2, "end": width}[anchor]
        if not placed:
            return width
        uses = []
        for index, glyph_x in placed:
            local = self._glyphs.get((bold, index))
            if local is None:
                local = self._glyphs[(bold, index)] = f"g{len(self._glyphs)}"
                self._defs.append(f'<path id="@@{local}" d="{_outlines[(bold, index)]}"/>')
            uses.append(f'<use xlink:href="#@@{local}" x="{_number(round(glyph_x, 2))}"/>')
        scale = _number(round(size / _SCALE, 5))
        self._body.append(f'<g transform="translate({_number(round(left, 2))} '
                          f'{_number(round(y, 2))}) scale({scale} -{scale})" fill="{colour}">'
                          + "".join(uses) + "</g>")
        return width

    def lines(self, x: float, y: float, lines: list[str], *, size: float, bold: bool = False,
              anchor: str = "start", colour: str = "#222222", leading: float = 1.25) -> float:
        """Lines of text from the first baseline at y down; returns the last baseline."""
        for number, line in enumerate(lines):
            self.text(x, y + number * size * leading, line, size=size, bold=bold,
                      anchor=anchor, colour=colour)
        return y + (len(lines) - 1) * size * leading

    # -- the document ----------------------------------------------------------------------

    def svg(self, title: str) -> str:
        """The whole chart. Ids get a prefix made from the chart's own content, so two
        charts on one page never share one and the same chart is always the same bytes."""
        body = "\n".join(self._body)
        defs = "".join(self._defs)
        prefix = "c" + hashlib.sha256((defs + body).encode("utf-8")).hexdigest()[:10] + "-"
        width, height = _number(round(self.width, 2)), _number(round(self.height, 2))
        head = (f'<svg role="img" xmlns="http://www.w3.org/2000/svg" '
                f'xmlns:xlink="http://www.w3.org/1999/xlink" version="1.1" '
                f'width="{width}pt" height="{height}pt" viewBox="0 0 {width} {height}" '
                f'stroke-linejoin="round" stroke-linecap="butt">')
        accessible = f"\n <title>{html.escape(title)}</title>" if title else ""
        document = (f'{head}{accessible}\n<defs>{defs}</defs>\n'
                    f'<rect width="{width}" height="{height}" fill="#ffffff"/>\n{body}\n</svg>\n')
        return document.replace("@@", prefix)
