"""Server-rendered charts: self-contained SVG that survives the app's CSP, PNG of a known
size, suppressed cells shown as suppressed, and no exception for empty data."""

from __future__ import annotations

import re
import struct
import warnings
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from matplotlib.text import Text

from kalkan.analysis import charts

SVG = "{http://www.w3.org/2000/svg}"
MONTHS = [f"2024-{month:02d}" for month in range(1, 13)]
NOTE = "Менее 5 — скрыто"
NO_DATA = "Нет данных за период"


def stacked(**options: Any) -> charts.Chart:
    return charts.bars_over_time(
        MONTHS,
        {
            "Физикалык зомбулук": [3, None, 5, 2, 0, 1, 4, 6, 2, 1, 0, 3],
            "Қорқыту және қудалау": [1, 2, 0, 4, 1, 0, 2, 2, 1, 3, 1, 1],
            "Задержание": [0, 1, 1, 0, 2, 2, 1, 0, 0, 1, 1, 2],
        },
        "Инциденттер — ӘҒҚҢӨҰҮҺІ әғқңөұүһі",
        suppressed_note=NOTE,
        no_data=NO_DATA,
        **options,
    )


def by_region() -> charts.Chart:
    return charts.horizontal_bars(["Бишкек", "Чүй облусу", "Ош облусу", "Нарын"],
                                  [40, 12, None, 3], "По регионам", suppressed_note=NOTE)


def legislation() -> charts.Chart:
    periods = [f"{year}-{month:02d}" for year in (2023, 2024) for month in range(1, 13)]
    counts: list[int | None] = [2, 3, 1, None, 4, 5, 7, 9, 12, 8, 6, 5] * 2
    milestones = [
        ("2022-11-01", "Законопроект внесён", "introduced"),
        ("2023-03-16", "Первое чтение", "first reading"),
        ("2023-06", "Принят", "passed"),
        ("2023-08-10", "Подписан", "signed"),
        ("2024-01-01", "Вступил в силу", "in force"),
        ("2024-05", "Отозван", "withdrawn"),
    ]
    return charts.timeline(periods, counts, milestones, "Инциденты и закон",
                           suppressed_note=NOTE)


ALL = [stacked, by_region, legislation]


def texts(chart: charts.Chart) -> list[str]:
    return [text.get_text() for text in chart.figure.findobj(Text)]


def parse(svg: bytes) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 (our own output, not untrusted input)


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


# -- SVG -------------------------------------------------------------------------------


@pytest.mark.parametrize("make", ALL)
def test_svg_is_xml_and_self_contained(make):
    svg = make().svg
    root = parse(svg)
    assert root.tag == SVG + "svg"
    text = svg.decode()
    assert "<script" not in text and "javascript:" not in text
    assert 'href="http' not in text and "<image" not in text and "<foreignObject" not in text
    assert "<!DOCTYPE" not in text and "<?xml" not in text and "<metadata" not in text
    # Every reference points inside the file.
    ids = {element.get("id") for element in root.iter() if element.get("id")}
    references = set(re.findall(r'(?:url\(#|href="#)([^")]+)', text))
    assert references and references <= ids


@pytest.mark.parametrize("make", ALL)
def test_svg_has_no_inline_styles_so_a_strict_csp_does_not_blank_it(make):
    text = make().svg.decode()
    assert "style=" not in text and "<style" not in text
    assert 'fill="#' in text


def test_svg_has_an_accessible_title():
    root = parse(charts.horizontal_bars(["a"], [1], "Title <b> & «ҚАЗАҚ»").svg)
    assert root.get("role") == "img"
    title = root.find(SVG + "title")
    assert title is not None and title.text == "Title <b> & «ҚАЗАҚ»"


def test_two_charts_on_one_page_share_no_ids():
    first, second = parse(stacked().svg), parse(by_region().svg)
    ids = [{e.get("id") for e in root.iter() if e.get("id")} for root in (first, second)]
    assert ids[0] and ids[1] and not ids[0] & ids[1]


def test_text_is_drawn_as_paths_so_no_font_is_needed():
    root = parse(stacked().svg)
    assert root.find(f".//{SVG}text") is None
    assert len(root.findall(f".//{SVG}use")) > 20  # glyphs, defined once, used per letter


# -- PNG -------------------------------------------------------------------------------


def test_png_has_the_expected_pixel_size():
    chart = stacked(width=6.0, height=4.0, dpi=150)
    assert png_size(chart.png) == chart.size_px == (900, 600)


def test_default_png_is_sharp_enough_for_a_page_width():
    width, _height = png_size(by_region().png)
    assert width == round(charts.DEFAULT_WIDTH_IN * charts.PNG_DPI) >= 1200


def test_png_names_no_software():
    assert b"matplotlib" not in stacked().png.lower()
    assert b"matplotlib" not in stacked().svg.lower()


# -- what is drawn ---------------------------------------------------------------------


def hatched(chart: charts.Chart) -> list[Any]:
    return [patch for axes in chart.figure.axes for patch in axes.patches
            if patch.get_hatch() == charts.SUPPRESSED_HATCH]


@pytest.mark.parametrize("make", ALL)
def test_suppressed_values_are_drawn_hatched_and_noted(make):
    chart = make()
    assert len(hatched(chart)) == (2 if make is legislation else 1)
    legend_texts = [text.get_text() for legend in chart.figure.legends
                    for text in legend.get_texts()]
    assert NOTE in legend_texts
    assert "<pattern" in chart.svg.decode()  # the hatch survives into the SVG


def test_without_suppressed_values_there_is_no_note():
    chart = charts.horizontal_bars(["a", "b"], [3, 4], "T", suppressed_note=NOTE)
    assert not hatched(chart)
    assert NOTE not in texts(chart)


def test_horizontal_bars_write_the_counts_but_never_a_suppressed_one():
    shown = texts(by_region())
    assert {"40", "12", "3"} <= set(shown)
    assert "None" not in shown


def test_stacked_bars_stack():
    chart = stacked()
    axes = chart.figure.axes[0]
    bars: list[Any] = list(axes.patches)
    january = [patch for patch in bars
               if abs(patch.get_x() + patch.get_width() / 2) < 1e-9 and not patch.get_hatch()]
    assert sorted((p.get_y(), p.get_height()) for p in january) == [(0, 3), (3, 1), (4, 0)]


def test_milestones_are_placed_within_their_period_and_styled_by_kind():
    chart = legislation()
    axes = chart.figure.axes[0]
    lines: list[Any] = list(axes.get_lines())
    assert len(lines) == 6
    positions = [line.get_xdata()[0] for line in lines]
    assert positions[0] == -0.5  # before the first period: at the edge
    assert positions[1] == pytest.approx(2 - 0.5 + 15 / 31)  # 16 March 2023
    assert positions[2] == 5  # a milestone named by its period sits on the bar
    assert positions[4] == pytest.approx(11.5)  # 1 January 2024, between Dec and Jan
    assert len({(line.get_color(), str(line.get_linestyle())) for line in lines}) == 6
    shown = texts(chart)
    assert "◂ 1" in shown
    assert "2  Первое чтение" in shown and "5  Вступил в силу" in shown


def test_every_stage_of_the_vocabulary_has_its_own_look():
    codes = ["introduced", "first_reading", "passed", "signed", "in_force", "withdrawn",
             "vetoed", "challenged"]
    chart = charts.timeline(["2024"], [3], [("2024", code, code) for code in codes], "T")
    lines: list[Any] = list(chart.figure.axes[0].get_lines())
    assert len({(line.get_color(), str(line.get_linestyle())) for line in lines}) == len(codes)


def test_a_stage_with_an_unknown_date_is_left_out():
    chart = charts.timeline(["2024", "2025"], [3, 4],
                            [("", "Дата неизвестна", "introduced"), ("2025", "Принят", "passed")],
                            "T", no_data=NO_DATA)
    assert len(chart.figure.axes[0].get_lines()) == 1
    assert "1  Принят" in texts(chart)
    only_undated = charts.timeline(["2024"], [0], [("", "x", "passed")], "T", no_data=NO_DATA)
    assert NO_DATA in texts(only_undated)


def test_milestones_on_yearly_periods():
    chart = charts.timeline(["2022", "2023", "2024"], [4, 9, 7],
                            [("2023-07-02", "Принят", "passed")], "По годам")
    line: Any
    (line,) = chart.figure.axes[0].get_lines()
    assert line.get_xdata()[0] == pytest.approx(1 - 0.5 + 182 / 365)


def test_a_milestone_date_that_cannot_be_placed_is_an_error():
    with pytest.raises(ValueError, match="milestone"):
        charts.timeline(["Весна", "Лето"], [1, 2], [("2024-05-01", "x", "passed")], "T")


def test_lengths_must_match():
    with pytest.raises(ValueError):
        charts.bars_over_time(["2024", "2025"], {"a": [1]}, "T")
    with pytest.raises(ValueError):
        charts.horizontal_bars(["a", "b"], [1], "T")


@pytest.mark.parametrize("chart", [
    lambda: charts.bars_over_time([], {}, "Пусто", no_data=NO_DATA),
    lambda: charts.bars_over_time(["2024"], {"a": [0]}, "Пусто", no_data=NO_DATA),
    lambda: charts.horizontal_bars([], [], "Пусто", no_data=NO_DATA),
    lambda: charts.timeline([], [], [], "Пусто", no_data=NO_DATA),
    lambda: charts.timeline(["2024"], [0], [], "Пусто", no_data=NO_DATA),
])
def test_empty_data_gives_a_chart_that_says_so(chart):
    made = chart()
    assert NO_DATA in texts(made)
    assert png_size(made.png)[0] > 0
    parse(made.svg)


def test_only_suppressed_values_is_not_empty():
    chart = charts.horizontal_bars(["a", "b"], [None, None], "T", no_data=NO_DATA,
                                   suppressed_note=NOTE)
    assert NO_DATA not in texts(chart)
    assert len(hatched(chart)) == 2


def test_a_milestone_without_incidents_is_still_drawn():
    chart = charts.timeline(["2024"], [0], [("2024", "Принят", "passed")], "T", no_data=NO_DATA)
    assert NO_DATA not in texts(chart)
    assert len(chart.figure.axes[0].get_lines()) == 1


def test_every_letter_has_a_glyph_and_dollars_are_literal():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph … missing from font(s)" is a warning
        chart = charts.bars_over_time(
            ["2024"], {"ӘҒҚҢӨҰҮҺІ әғқңөұүһі": [3], "Штраф $5 и $10": [2], "_скрытое": [1]},
            "Цена $ и $ — өңүң", suppressed_note=NOTE)
        assert chart.png and chart.svg
    labels = [text.get_text() for text in chart.figure.legends[0].get_texts()]
    assert labels[2] == " _скрытое"  # a leading "_" would hide it from the legend


def test_many_categories_stay_distinguishable():
    series: dict[str, list[int | None]] = {f"Категория {i}": [i + 1] for i in range(10)}
    chart = charts.bars_over_time(["2024"], series, "T")
    handles: list[Any] = list(chart.figure.legends[0].legend_handles)
    looks = {(tuple(handle.get_facecolor()), handle.get_hatch()) for handle in handles}
    assert len(looks) == 10


# -- determinism, and no disk ----------------------------------------------------------


@pytest.mark.parametrize("make", ALL)
def test_the_same_input_gives_the_same_bytes(make):
    first, second = make(), make()
    assert first.svg == second.svg
    assert first.png == second.png


@pytest.mark.usefixtures("no_disk_writes")
def test_nothing_is_written_to_disk():
    for make in ALL:
        chart = make()
        assert chart.png and chart.svg


def test_charts_can_be_drawn_in_parallel_threads():
    # No pyplot, no "current figure": concurrent requests in a threaded worker must not
    # draw into each other's charts.
    from concurrent.futures import ThreadPoolExecutor

    def draw(make: Any) -> tuple[bytes, bytes]:
        chart = make()
        return chart.svg, chart.png

    expected = {make.__name__: draw(make) for make in ALL}
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [(make.__name__, pool.submit(draw, make)) for make in ALL * 2]
        for name, future in futures:
            assert future.result() == expected[name], name


def test_a_chart_drawn_again_from_the_same_input_is_not_drawn_twice(monkeypatch):
    """svg_of keeps what it drew by the input: the same counts and labels give the kept
    bytes; one count more is drawn anew (a kept chart never shows old numbers)."""
    drawn: list[tuple[object, ...]] = []
    real = charts.horizontal_bars

    def counted(*args: Any, **kwargs: Any) -> charts.Chart:
        drawn.append(args)
        return real(*args, **kwargs)

    counted.__name__ = "horizontal_bars"
    labels = ["Бишкек", "Ош облусу (svg_of test)"]
    first = charts.svg_of(counted, labels, [12, 7], "Acts by region")
    again = charts.svg_of(counted, labels, [12, 7], "Acts by region")
    assert again == first and len(drawn) == 1
    changed = charts.svg_of(counted, labels, [12, 8], "Acts by region")
    assert changed != first and len(drawn) == 2
    assert changed == real(labels, [12, 8], "Acts by region").svg


# -- the SVG a page shows (drawn directly, not by matplotlib) ---------------------------


@pytest.mark.parametrize(("make", "hidden"), [(stacked, 1), (by_region, 1), (legislation, 2)])
def test_the_page_svg_hatches_every_suppressed_cell_and_its_legend_entry(make, hidden):
    root = parse(make().svg)
    rects = list(root.iter(SVG + "rect"))
    # A hidden cell is a white box with the hatch laid over it (and so is its legend swatch).
    hatched_boxes = [r for r, over in zip(rects, rects[1:], strict=False)
                     if r.get("fill") == "#ffffff" and (over.get("fill") or "").startswith("url(#")
                     and over.get("x") == r.get("x") and over.get("y") == r.get("y")]
    assert len(hatched_boxes) == hidden + 1


def test_the_page_svg_draws_one_bar_per_count():
    root = parse(by_region().svg)
    bars = [r for r in root.iter(SVG + "rect") if r.get("fill") == charts.PALETTE[0]]
    assert len(bars) == 3  # 40, 12 and 3; the hidden one is hatched, not blue
    widths = sorted(float(r.get("width") or 0) for r in bars)
    assert widths[2] / widths[0] == pytest.approx(40 / 3, rel=0.01)


def test_the_page_svg_gives_each_stage_its_own_line():
    root = parse(legislation().svg)
    lines = {(p.get("stroke"), p.get("stroke-dasharray")) for p in root.iter(SVG + "path")
             if p.get("stroke") in {s["color"] for s in charts.MILESTONE_STYLES.values()}
             and float(p.get("stroke-width") or 0) > 1}
    # six stages on the plot, each also in the legend with the same look
    assert len(lines) == 6
