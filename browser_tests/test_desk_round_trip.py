"""In Chromium with JavaScript off: an urgent report arrives; the responder finds it first in
the inbox, opens a case, records a risk assessment and an action, replies to the reporter
and closes the case; the reporter reads the reply with the receipt."""

from __future__ import annotations

import secrets

import pytest

from browser_tests.conftest import screenshot, send_detention_report
from browser_tests.test_staff_login import log_in

pytestmark = pytest.mark.browser


def test_urgent_report_to_closed_case(browser, demo):
    token = f"urgent-{secrets.token_hex(4)}"
    reporter, receipt = send_detention_report(
        browser, demo, f"{token}: my brother was taken from the bus station",
        "Central district station", "two hours",
    )

    staff = browser.new_context(java_script_enabled=False).new_page()
    log_in(staff, demo, "responder.bek", demo.passphrases["responder.bek"])
    staff.goto(f"{demo.url}/en/staff/cases/inbox/")
    # The demo's detention whose timer ran out is above everything; then urgent reports.
    assert staff.locator("section.alarm").count() == 1
    rows = staff.locator("main table tbody tr")
    first = rows.nth(0).inner_text() + rows.nth(1).inner_text()
    assert token in first and "Central district station" in first
    screenshot(staff, "desk-inbox")
    row = staff.locator("main table tbody tr", has_text=token)
    row.locator("input[name=report]").check()
    staff.click("text=Open a case from the chosen reports")
    assert "/en/staff/cases/" in staff.url and token in staff.content()

    staff.click("text=Assess the risk")
    staff.check("#risk_detained_present")
    staff.fill("#risk_detained_notes", f"held at the station {token}")
    staff.fill("#risk_safety_plan", "Lawyer first, then a safe flat")
    staff.click("text=Save the assessment")
    assert "Detention timer" in staff.content()
    assert f"held at the station {token}" in staff.content()

    staff.click("text=Record an action")
    staff.select_option("#action_kind", "lawyer")
    staff.select_option("#action_outcome", "in_progress")
    staff.fill("#action_notes", "Lawyer Meerim went to the station")
    staff.click("text=Record the action")
    assert "Lawyer Meerim went to the station" in staff.content()

    answer = f"answer-{token}"
    staff.fill("textarea[name$='-text']", answer)
    staff.click("text=Send the reply")
    assert answer in staff.content()

    staff.select_option("#status_to", "closed")
    staff.fill("#status_reason", "Released after the lawyer came")
    staff.click("text=Change the status")
    heading = staff.locator("h1").inner_text()
    assert "Closed" in heading, heading
    screenshot(staff, "desk-case-closed")

    reporter.goto(f"{demo.url}/en/mailbox/")
    reporter.fill("#id_receipt", receipt)
    reporter.click("main button[type=submit]")
    assert answer in reporter.content()
    assert token + ":" not in reporter.content()
