"""Drafts rendered as DOCX, PDF and Markdown: the Kyrgyz and Kazakh letters survive, user
text stays text, nothing names who made the file, and long tables behave."""

from __future__ import annotations

import re
import zipfile
from io import BytesIO
from typing import Any

import docx
import pypdf
import pytest
from fontTools.ttLib import TTFont
from lxml import etree

from kalkan.analysis import charts
from kalkan.analysis.documents import (
    Bullets,
    Draft,
    Figure,
    Heading,
    PageBreak,
    Paragraph,
    Table,
    to_docx,
    to_markdown,
    to_pdf,
)

RUSSIAN = ["Методология", "Правозащитники", "Задержание"]
KYRGYZ = ["көңүл", "күбөлөр", "үңкүр", "Өзгөчө", "Үй-бүлө"]  # ө ү ң
KAZAKH = [  # ә ғ қ ң ө ұ ү һ і, then the capitals Ә Ғ Қ Ң Ө Ұ Ү Һ І
    "әділет", "ғимарат", "қорғау", "теңдік", "өмір", "ұлт", "үкімет", "гауһар", "іс",
    "Әділет", "Ғалым", "Қорғау", "ТЕҢДІК", "Өмір", "Ұлт", "Үкімет", "ГАУҺАР", "Іс",
]
WORDS = RUSSIAN + KYRGYZ + KAZAKH
MARKUP = "<b>жирный</b> & <script>alert(1)</script> &amp; <para> 5 < 7 > 3"


def a_chart() -> charts.Chart:
    return charts.bars_over_time(["2025-01", "2025-02"], {"Қорқыту": [3, None]}, "Өмір",
                                 suppressed_note="5-тен аз")


def multilingual_draft() -> Draft:
    return Draft(
        title=f"Доклад {RUSSIAN[0]}",
        subtitle=f"Кыргызстан {KYRGYZ[0]}",
        language="kk",
        blocks=[
            Heading(RUSSIAN[1]),
            Paragraph(" ".join(RUSSIAN[2:] + KYRGYZ[1:3])),
            Heading(KYRGYZ[3], level=2),
            Paragraph(" ".join(KYRGYZ[4:]), style="quote"),
            Heading(" ".join(KAZAKH[:3]), level=3),
            Paragraph(" ".join(KAZAKH[3:9]), style="note"),
            Bullets(KAZAKH[9:12]),
            Table("Кесте " + KAZAKH[12], ["Өңір", KAZAKH[13]],
                  [[KAZAKH[14], "12"], [KAZAKH[15], KAZAKH[16]]], note=KAZAKH[17]),
            Figure("Сурет: айлар бойынша", a_chart().png),
        ],
    )


def pdf_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(BytesIO(data)).pages]


def docx_text(data: bytes) -> str:
    document = docx.Document(BytesIO(data))
    parts = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        parts.extend(cell.text for row in table.rows for cell in row.cells)
    return "\n".join(parts)


# -- the letters survive ---------------------------------------------------------------


def test_docx_keeps_every_word():
    text = docx_text(to_docx(multilingual_draft()))
    missing = [word for word in WORDS if word not in text]
    assert not missing


def test_pdf_keeps_every_word_so_fonts_map_back_to_unicode():
    text = "\n".join(pdf_text(to_pdf(multilingual_draft())))
    missing = [word for word in WORDS if word not in text]
    assert not missing


def test_markdown_keeps_every_word():
    text = to_markdown(multilingual_draft())
    assert not [word for word in WORDS if word not in text]


def test_pdf_embeds_its_fonts_with_a_unicode_map():
    reader = pypdf.PdfReader(BytesIO(to_pdf(multilingual_draft())))
    fonts: dict[str, Any] = {}
    for page in reader.pages:
        resources: Any = page["/Resources"]
        for reference in resources["/Font"].values():
            font = reference.get_object()
            fonts[font["/BaseFont"]] = font
    assert fonts
    for name, font in fonts.items():
        assert "DejaVuSans" in name
        assert "/FontFile2" in font["/FontDescriptor"].get_object(), name
        assert "/ToUnicode" in font, name


def test_pdf_has_the_figure_as_an_image():
    reader = pypdf.PdfReader(BytesIO(to_pdf(multilingual_draft())))
    assert sum(len(page.images) for page in reader.pages) == 1


# -- user text is text -----------------------------------------------------------------


def test_markup_in_user_text_is_printed_literally_in_the_pdf():
    draft = Draft(MARKUP, MARKUP, "ru", [
        Heading(MARKUP), Paragraph(MARKUP), Paragraph(MARKUP, "note"), Bullets([MARKUP]),
        Table(MARKUP, [MARKUP, "b"], [[MARKUP, "<i>"]], note=MARKUP),
        Figure(MARKUP, a_chart().png),
    ])
    # Joined on whitespace: the big title wraps, and wrapping is not what is tested here.
    text = " ".join(" ".join(pdf_text(to_pdf(draft))).split())
    assert text.count(MARKUP) == 11  # every place user text can go
    assert "<i>" in text


def test_markup_in_user_text_is_kept_literally_in_the_docx():
    draft = Draft(MARKUP, "", "ru", [Paragraph(MARKUP), Table("", ["h"], [[MARKUP]])])
    data = to_docx(draft)
    assert docx_text(data).count(MARKUP) == 3
    assert b"<script>" not in zipfile.ZipFile(BytesIO(data)).read("word/document.xml")


def test_line_breaks_are_kept():
    draft = Draft("T", "", "ru", [Paragraph("бірінші\nекінші")])
    assert "бірінші\nекінші" in docx_text(to_docx(draft))
    assert "бірінші\nекінші" in "\n".join(pdf_text(to_pdf(draft)))
    assert "бірінші  \nекінші" in to_markdown(draft)


def test_characters_xml_forbids_are_dropped_not_fatal():
    text = "верт\x0bикаль\x00ный\x1b"
    draft = Draft(text, text, "ru", [Paragraph(text), Table(text, [text], [[text]])])
    assert "вертикальный" in docx_text(to_docx(draft))
    assert "вертикальный" in "\n".join(pdf_text(to_pdf(draft)))
    assert "вертикальный" in to_markdown(draft)


# -- nothing says who made it, or when -------------------------------------------------


def test_docx_core_properties_name_nobody():
    data = to_docx(multilingual_draft())
    properties = docx.Document(BytesIO(data)).core_properties
    assert properties.title == f"Доклад {RUSSIAN[0]}"
    assert properties.author == ""
    assert properties.last_modified_by == ""
    assert properties.comments == ""
    assert properties.language == "kk-KZ"
    assert properties.created is None and properties.modified is None
    archive = zipfile.ZipFile(BytesIO(data))
    assert "docProps/thumbnail.jpeg" not in archive.namelist()
    for item in archive.infolist():
        assert item.date_time == (1980, 1, 1, 0, 0, 0)
        content = archive.read(item).lower()
        assert b"python-docx" not in content, item.filename
        assert b"kalkan" not in content, item.filename


def test_docx_sets_the_spelling_language():
    archive = zipfile.ZipFile(BytesIO(to_docx(multilingual_draft())))
    assert b'w:lang w:val="kk-KZ"' in archive.read("word/styles.xml")


W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
LETTERS = "әғқңөұүһіӘҒҚҢӨҰҮҺІ"


def embedded_fonts(archive: zipfile.ZipFile) -> dict[str, dict[str, TTFont]]:
    """Each font in fontTable.xml with its embedded faces, de-obfuscated as ECMA-376 Part 1
    §17.8.1 says (written out here, not taken from the code under test): the first 32 bytes
    XORed with the fontKey GUID's bytes, read from its last hex pair to its first."""
    relationships = {rel.get("Id"): rel for rel in etree.fromstring(
        archive.read("word/_rels/fontTable.xml.rels"))}
    fonts: dict[str, dict[str, TTFont]] = {}
    for font in etree.fromstring(archive.read("word/fontTable.xml")).iter(f"{W}font"):
        for embed in font:
            if not embed.tag.startswith(f"{W}embed"):
                continue
            relationship = relationships[embed.get(f"{R}id")]
            assert relationship.get("Type").endswith("/relationships/font")
            stored = archive.read("word/" + relationship.get("Target"))
            assert stored[:4] != b"\x00\x01\x00\x00"  # obfuscated as stored
            key = bytes.fromhex(embed.get(f"{W}fontKey").strip("{}").replace("-", ""))[::-1]
            ttf = bytes(b ^ key[i % 16] for i, b in enumerate(stored[:32])) + stored[32:]
            assert ttf[:4] == b"\x00\x01\x00\x00"  # a TrueType font
            fonts.setdefault(font.get(f"{W}name"), {})[embed.tag[len(W):]] = TTFont(
                BytesIO(ttf))
    return fonts


def test_docx_embeds_a_font_with_the_kazakh_and_kyrgyz_letters():
    archive = zipfile.ZipFile(BytesIO(to_docx(multilingual_draft())))
    fonts = embedded_fonts(archive)
    assert set(fonts["DejaVu Sans"]) == {"embedRegular", "embedBold", "embedItalic",
                                         "embedBoldItalic"}
    for face in fonts["DejaVu Sans"].values():
        assert face["name"].getDebugName(1) == "DejaVu Sans"
        cmap = face.getBestCmap()
        assert [letter for letter in LETTERS if ord(letter) not in cmap] == []
    types = archive.read("[Content_Types].xml").decode()
    assert ('Extension="odttf" ContentType="application/vnd.openxmlformats-officedocument.'
            'obfuscatedFont"') in types
    settings = etree.fromstring(archive.read("word/settings.xml"))
    assert settings.find(f"{W}embedTrueTypeFonts") is not None


def test_docx_text_is_set_in_the_embedded_font():
    data = to_docx(multilingual_draft())
    archive = zipfile.ZipFile(BytesIO(data))
    styles = etree.fromstring(archive.read("word/styles.xml"))
    # The document's defaults, which every run without a font of its own falls back to.
    defaults = styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}rFonts")
    assert defaults is not None and defaults.get(f"{W}ascii") == "DejaVu Sans"
    # Every font choice in the styles and the text names it; none defers to the theme's
    # Calibri or Cambria, which have no Kazakh letters.
    for part in ("word/styles.xml", "word/document.xml"):
        for fonts in etree.fromstring(archive.read(part)).iter(f"{W}rFonts"):
            assert {name.split("}")[1]: value for name, value in fonts.attrib.items()} == {
                "ascii": "DejaVu Sans", "hAnsi": "DejaVu Sans", "eastAsia": "DejaVu Sans",
                "cs": "DejaVu Sans"}, part
    document = docx.Document(BytesIO(data))
    assert document.styles["Heading 1"].font.name == "DejaVu Sans"
    assert document.styles["Title"].font.name == "DejaVu Sans"


def test_docx_font_keys_differ_between_drafts():
    """A key shared by every draft would mark them all as made by the same software."""
    def keys(draft: Draft) -> set[str]:
        fonts = zipfile.ZipFile(BytesIO(to_docx(draft))).read("word/fontTable.xml")
        return set(re.findall(rb'w:fontKey="([^"]+)"', fonts))

    one = keys(Draft("Доклад", "", "ru", [Paragraph("бірінші")]))
    other = keys(Draft("Доклад", "", "ru", [Paragraph("екінші")]))
    assert len(one) == 4 and not one & other


def test_pdf_metadata_has_the_title_only():
    data = to_pdf(multilingual_draft())
    metadata = pypdf.PdfReader(BytesIO(data)).metadata
    assert metadata is not None
    assert metadata["/Title"] == f"Доклад {RUSSIAN[0]}"
    for key in ("/Author", "/Creator", "/Producer", "/Subject", "/Keywords"):
        assert metadata.get(key, "") == "", key
    # Invariant mode: a fixed date, not the moment of the download.
    assert str(metadata["/CreationDate"]).startswith("D:2000")
    assert b"kalkan" not in data.lower()


def test_the_same_draft_gives_the_same_bytes():
    assert to_pdf(multilingual_draft()) == to_pdf(multilingual_draft())
    assert to_docx(multilingual_draft()) == to_docx(multilingual_draft())


@pytest.mark.usefixtures("no_disk_writes")
def test_nothing_is_written_to_disk():
    draft = multilingual_draft()
    assert to_pdf(draft)[:5] == b"%PDF-"
    assert to_docx(draft)[:2] == b"PK"
    assert to_markdown(draft)


# -- structure -------------------------------------------------------------------------


def test_docx_uses_heading_styles_and_a_gridded_table_with_a_header_row():
    data = to_docx(multilingual_draft())
    document = docx.Document(BytesIO(data))
    styles = {p.text: p.style.name for p in document.paragraphs if p.style is not None}
    assert styles[RUSSIAN[1]] == "Heading 1"
    assert styles[KYRGYZ[3]] == "Heading 2"
    assert styles[" ".join(KAZAKH[:3])] == "Heading 3"
    assert styles[f"Доклад {RUSSIAN[0]}"] == "Title"
    assert styles["Сурет: айлар бойынша"] == "Caption"
    assert styles[KAZAKH[9]] == "List Bullet"
    table = document.tables[0]
    assert table.style is not None and table.style.name == "Table Grid"
    assert [cell.text for cell in table.rows[0].cells] == ["Өңір", KAZAKH[13]]
    assert all(run.bold for run in table.rows[0].cells[0].paragraphs[0].runs)
    assert b"<w:tblHeader" in zipfile.ZipFile(BytesIO(data)).read("word/document.xml")


def test_docx_figure_fits_the_page_width():
    document = docx.Document(BytesIO(to_docx(multilingual_draft())))
    section: Any = document.sections[0]
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    text_width = section.page_width - section.left_margin - section.right_margin
    (shape,) = document.inline_shapes
    assert abs(shape.width - text_width) < 10_000  # EMU: well under a millimetre
    assert shape.width / shape.height == pytest.approx(1232 / 792, rel=0.01)


def test_a_long_table_spans_pages_with_its_header_repeated():
    header = ["Тіркелген күні", "Сипаттама"]
    rows = [[f"R{i:03d}", "ұзақ сипаттама " * (i % 5 + 1)] for i in range(200)]
    draft = Draft("Кесте", "", "kk", [Paragraph("Кіріспе"), Table("Барлық жазбалар", header, rows)])
    pages = pdf_text(to_pdf(draft))
    with_rows = [i for i, text in enumerate(pages) if re.search(r"R\d{3}", text)]
    assert len(with_rows) >= 3
    for index in with_rows:
        assert "Тіркелген күні" in pages[index], index
    everything = "\n".join(pages)
    positions = [everything.index(f"R{i:03d}") for i in range(200)]
    assert positions == sorted(positions)


def test_a_cell_longer_than_a_page_splits_instead_of_failing():
    story = "Куәгер айтты: " + "ол күні полиция келді. " * 400
    draft = Draft("Т", "", "kk", [Table("", ["Іс", "Сипаттама"], [["1", story], ["2", "қысқа"]])])
    pages = pdf_text(to_pdf(draft))
    assert len(pages) >= 2
    assert "қысқа" in pages[-1]


def test_short_rows_are_padded_and_an_empty_header_is_allowed():
    table = Table("", [], [["a", "b", "c"], ["d"]])
    draft = Draft("T", "", "en", [table, PageBreak(), Paragraph("после")])
    assert [[cell.text for cell in row.cells] for row in
            docx.Document(BytesIO(to_docx(draft))).tables[0].rows] == [
        ["a", "b", "c"], ["d", "", ""]]
    pages = pdf_text(to_pdf(draft))
    assert len(pages) == 2 and "после" in pages[1]
    assert "| a | b | c |\n| d |  |  |" in to_markdown(draft)


def test_pdf_headings_become_an_outline():
    draft = Draft("T", "", "ru", [Heading("Один"), Heading("Вложенный", 3), Heading("Два")])
    outline: Any = pypdf.PdfReader(BytesIO(to_pdf(draft))).outline
    assert outline[0].title == "Один"
    assert [item.title for item in outline[1]] == ["Вложенный"]
    assert outline[2].title == "Два"


def test_pdf_pages_are_numbered():
    draft = Draft("T", "", "ru", [Paragraph("один"), PageBreak(), Paragraph("два")])
    pages = pdf_text(to_pdf(draft))
    numbers = [re.findall(r"(?m)^\s*(\d+)\s*$", text) for text in pages]
    assert numbers == [["1"], ["2"]]


def test_pdf_page_size_is_a4():
    page = pypdf.PdfReader(BytesIO(to_pdf(multilingual_draft()))).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)


# -- Markdown --------------------------------------------------------------------------


def test_markdown_escapes_pipes_in_tables():
    table = Table("A | B", ["к|ол", "b"], [["a|b", "x\ny"], ["c", "\\|"]])
    markdown = to_markdown(Draft("T", "", "ru", [table]))
    lines = [line for line in markdown.splitlines() if line.startswith("|")]
    assert len(lines) == 4
    for line in lines:
        # Three unescaped pipes: the borders and the one between the two columns.
        assert len(re.findall(r"(?<!\\)\|", line)) == 3, line
    assert r"| a\|b | x y |" in markdown
    assert r"| к\|ол | b |" in markdown


def test_markdown_structure():
    markdown = to_markdown(multilingual_draft())
    assert markdown.startswith(f"# Доклад {RUSSIAN[0]}\n\nКыргызстан {KYRGYZ[0]}\n")
    assert f"\n## {RUSSIAN[1]}\n" in markdown
    assert f"\n### {KYRGYZ[3]}\n" in markdown
    assert f"\n> {KYRGYZ[4]}" in markdown
    assert f"\n- {KAZAKH[9]}\n- {KAZAKH[10]}\n" in markdown
    assert re.search(r"(?m)^\[[^\]:]+: Сурет: айлар бойынша\]$", markdown)
    assert markdown.endswith("\n") and not markdown.endswith("\n\n")


def test_markdown_figure_marker_is_in_the_drafts_language():
    draft = Draft("T", "", "en", [Figure("Incidents by month", a_chart().png)])
    assert "[Figure: Incidents by month]" in to_markdown(draft)


def test_markdown_user_text_cannot_make_structure_or_html():
    draft = Draft("T", "", "ru", [
        Paragraph("# не заголовок\n> не цитата\n1. не список\n- не пункт"),
        Paragraph("<script>alert(1)</script> *не курсив* [не ссылка](http://example.org)"),
    ])
    markdown = to_markdown(draft)
    assert "\n\\# не заголовок" in markdown
    assert "\n\\> не цитата" in markdown
    assert "\n1\\. не список" in markdown
    assert "\n\\- не пункт" in markdown
    assert "\\<script>" in markdown and "<script>" not in markdown.replace("\\<", "")
    assert "\\*не курсив\\*" in markdown
    assert "\\[не ссылка\\](http://example.org)" in markdown


def test_a_heading_too_long_for_the_page_splits_instead_of_failing():
    # reportlab splits a paragraph by re-creating its class; the heading must survive that.
    long_heading = "өте ұзақ тақырып " * 400
    draft = Draft("T", "", "kk", [Paragraph("кіріспе"), Heading(long_heading), Heading("Соңы")])
    pages = pdf_text(to_pdf(draft))
    assert len(pages) >= 2
    assert "Соңы" in pages[-1]
