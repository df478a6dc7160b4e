"""In Chromium with JavaScript off, on a demo whose staff lists show two rows a page: a
responder reads every waiting report by clicking "Next" through the inbox, urgent ones first,
and the case list keeps its filter from page to page."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator

import pytest

from browser_tests.conftest import DemoServer, running_demo, screenshot
from browser_tests.test_staff_login import log_in

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    with running_demo(tmp_path_factory, KALKAN_PAGE_SIZE="2") as server:
        yield server


def _report(browser, demo: DemoServer, words: str) -> None:
    reporter = browser.new_context(java_script_enabled=False).new_page()
    reporter.goto(f"{demo.url}/en/report/")
    reporter.check("#id_reporter_role_1")
    reporter.fill("#id_narrative", words)
    reporter.check("#id_consent_0")
    reporter.click("main button[type=submit]")
    assert reporter.locator(".secret").count() == 1, reporter.content()[-2000:]
    reporter.context.close()


def test_next_reaches_every_waiting_report(browser, small_demo):
    token = f"paged-{secrets.token_hex(4)}"
    for n in range(3):
        _report(browser, small_demo, f"{token} story {n}: they wrote on our door")

    staff = browser.new_context(java_script_enabled=False).new_page()
    log_in(staff, small_demo, "responder.bek", small_demo.passphrases["responder.bek"])
    staff.goto(f"{small_demo.url}/en/staff/cases/inbox/")
    waiting = int(re.search(r"(\d+) reports? waiting", staff.content()).group(1))
    pages = (waiting + 1) // 2
    assert waiting >= 3
    seen: list[str] = []
    texts: list[str] = []
    urgent_seen: list[bool] = []
    for number in range(1, pages + 1):
        assert f"Page {number} of {pages}" in staff.locator("nav.pages").inner_text()
        rows = staff.locator("main table tbody tr")
        assert rows.count() == min(2, waiting - len(seen))
        for i in range(rows.count()):
            seen.append(rows.nth(i).locator("input[name=report]").get_attribute("value"))
            texts.append(rows.nth(i).inner_text())
            urgent_seen.append("urgent" in texts[-1])
        if number == 1:
            screenshot(staff, "desk-inbox-page-1")
        if number < pages:
            staff.click("nav.pages >> text=Next")
            assert staff.url.endswith(f"?page={number + 1}")
    assert staff.locator("nav.pages >> text=Next").count() == 0
    assert len(seen) == waiting == len(set(seen))  # each report once, none left out
    assert urgent_seen == sorted(urgent_seen, reverse=True)  # urgent first, on every page
    # After the urgent ones the oldest come first: the three new reports close the list.
    assert all(token in text for text in texts[-3:])
    staff.click("nav.pages >> text=Previous")
    assert staff.url.endswith(f"?page={pages - 1}")

    staff.goto(f"{small_demo.url}/en/staff/cases/?show=all")
    if staff.locator("nav.pages >> text=Next").count():
        staff.click("nav.pages >> text=Next")
        assert staff.url.endswith("?show=all&page=2")
        assert staff.locator("p.tabs a[aria-current=page]").inner_text() == "All"
