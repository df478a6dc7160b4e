"""In Chromium with JavaScript off: the dashboards "as it would be published" show no small
number anywhere on the page — not in the charts, not in the lists beside them — and say how
many acts they leave out for want of statistics consent; the exact view says it differs."""

from __future__ import annotations

import re

import pytest

from browser_tests.conftest import screenshot
from browser_tests.test_staff_login import log_in

pytestmark = pytest.mark.browser
THRESHOLD = 10  # the demo's publication threshold (the default)


def test_the_published_view_hides_small_counts_beside_the_charts(page_context, demo):
    page = page_context.new_page()
    log_in(page, demo, "analyst.temir", demo.passphrases["analyst.temir"])

    page.goto(f"{demo.url}/en/staff/dashboards/?country=kg")
    exact = page.locator("aside.facets .count").all_inner_texts()
    assert any(count.isdigit() and int(count) < THRESHOLD for count in exact)  # staff only

    page.click("text=Show as it would be published")
    assert "gated=1" in page.url
    screenshot(page, "dashboards-published")
    counts = page.locator("aside.facets .count").all_inner_texts()
    assert counts, "the published lists are shown"
    for count in counts:
        assert count == "—" or int(count) >= THRESHOLD, count
    # No small number hides elsewhere in the lists' text either (the charts are images).
    sidebar = page.locator("aside.facets").inner_text()
    for number in re.findall(r"(?<![\w-])\d+(?![\w-])", sidebar):
        assert int(number) == 0 or int(number) >= THRESHOLD, (number, sidebar)
    hint = page.locator("p.hint").first.inner_text()
    assert re.search(r"\d+ acts? left out: no statistics consent", hint), hint

    page.click("text=Show exact counts")
    assert "The published view leaves out" in page.locator("p.hint").first.inner_text()
