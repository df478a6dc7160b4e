"""In Chromium with JavaScript off: a documentation officer's and an analyst's home pages
lead to their work; a missing staff page leads back home; a responder prints a case for a
lawyer."""

from __future__ import annotations

import pytest

from browser_tests.conftest import screenshot
from browser_tests.test_staff_login import log_in

pytestmark = pytest.mark.browser


def test_documenter_and_analyst_homes_lead_to_their_work(browser, demo):
    saule = browser.new_context(java_script_enabled=False).new_page()
    log_in(saule, demo, "documenter.saule", demo.passphrases["documenter.saule"])
    tiles = saule.locator("main .tiles").inner_text()
    for words in ("Reports to code", "Search", "Dashboards", "Drafts for the UN", "Legislation"):
        assert words in tiles, tiles
    assert "waiting to be coded" in tiles
    assert saule.locator("#recent-events li").count() >= 1
    assert saule.locator("#recent-drafts li").count() >= 1
    screenshot(saule, "home-documenter")
    saule.click("text=Reports to code")
    assert "/en/staff/records/events/" in saule.url

    temir = browser.new_context(java_script_enabled=False).new_page()
    log_in(temir, demo, "analyst.temir", demo.passphrases["analyst.temir"])
    main = temir.locator("main").inner_text()
    for words in ("Search", "Dashboards", "Drafts for the UN", "Legislation deadlines"):
        assert words in main, main
    temir.goto(f"{demo.url}/en/staff/no-such-page/")
    temir.click("text=Go to the staff home page")
    assert temir.url == f"{demo.url}/en/staff/"


def test_a_responder_prints_a_case_for_a_lawyer(browser, demo):
    bek = browser.new_context(java_script_enabled=False).new_page()
    log_in(bek, demo, "responder.bek", demo.passphrases["responder.bek"])
    bek.goto(f"{demo.url}/en/staff/cases/?show=all")
    bek.click("main table tbody tr >> nth=0 >> a")
    bek.click("text=Print or save this case (for a lawyer)")
    assert "/print/" in bek.url
    printed = bek.locator("#printed").inner_text()
    assert "CONFIDENTIAL" in printed.upper() and "Actions" in printed
    bek.check("input[name=part][value=notes]")
    bek.click("#choose button[type=submit]")
    assert "part=notes" in bek.url and "Notes" in bek.locator("#printed").inner_text()
    bek.emulate_media(media="print")
    assert not bek.locator("nav.staff-nav").is_visible()
    assert not bek.locator("#choose").is_visible()
    assert bek.locator("#printed").is_visible()
    screenshot(bek, "case-print")
