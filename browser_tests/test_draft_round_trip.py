"""In Chromium with JavaScript off: an analyst builds a UPR draft from the demo's records,
reviews the proposed redactions (editing one), and downloads the DOCX, which holds the
gated tables and none of the redacted words; the dashboards draw their charts."""

from __future__ import annotations

import io
from datetime import date

import pytest
from docx import Document

from browser_tests.conftest import screenshot
from browser_tests.test_staff_login import log_in

pytestmark = pytest.mark.browser


def test_build_review_and_download_a_upr_draft(browser, demo):
    context = browser.new_context(java_script_enabled=False, accept_downloads=True)
    page = context.new_page()
    log_in(page, demo, "analyst.temir", demo.passphrases["analyst.temir"])

    page.goto(f"{demo.url}/en/staff/dashboards/?country=kg")
    charts = page.locator("figure.chart img")
    assert charts.count() == 5
    # Every chart loaded as an image (naturalWidth needs no page script: Playwright reads it).
    for index in range(charts.count()):
        assert charts.nth(index).evaluate("img => img.naturalWidth") > 100
    screenshot(page, "dashboards")

    page.goto(f"{demo.url}/en/staff/drafts/")
    form = page.locator("main form[method=post]")
    form.locator("[name=mechanism]").select_option("upr")
    form.locator("[name=country]").select_option("kg")
    year = date.today().year
    form.locator("[name=year_from]").fill(str(year - 4))
    form.locator("[name=year_to]").fill(str(year))
    form.locator("[name=language]").select_option("en")
    page.click("text=Prepare the draft")
    assert "Tables, as they will be published" in page.content()
    assert "needs review" in page.content()
    assert page.locator("text=Download the draft").count() == 0

    # The demo's story with an invented name and phone: the reviewer sees both proposed.
    found = page.locator("section.summary", has_text="Эрлан Садыков")
    assert found.count() == 1
    assert found.locator("td", has_text="+996 700 418 265").count() == 1
    name_row = found.locator("tr", has_text="Эрлан Садыков")
    name_row.locator("input[type=text]").fill("a young man")
    # A nickname nothing found: the reviewer hides it by hand.
    found.locator("textarea[name^=extra-]").fill("Максат")
    # The story is Russian in an English draft: the page says so and offers a translation.
    assert "The story is not in the language of the draft (English)" in found.inner_text()
    assert found.locator("textarea[name^=translation-]").count() == 1
    screenshot(page, "draft-review")
    page.click("text=Save the review of every summary")
    assert "The review is saved." in page.content()
    assert "needs review" not in page.content()

    page.check("input[name=format][value=docx]")
    with page.expect_download() as waiting:
        page.click("text=Download the draft")
    download = waiting.value
    assert download.suggested_filename.endswith(".docx")
    with open(download.path(), "rb") as saved:
        document = Document(io.BytesIO(saved.read()))
    text = "\n".join(p.text for p in document.paragraphs)
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert "Universal Periodic Review" in text
    assert "a young man" in text
    assert "Summary in Russian, not translated." in text
    for secret in ("Эрлан", "Садыков", "700 418 265", "Кара-Балт", "Максат"):
        assert secret not in text and all(secret not in cell for cell in cells), secret
    threshold = 10
    for cell in cells:
        assert not (cell.isdigit() and 1 <= int(cell) < threshold), cell
    context.close()
