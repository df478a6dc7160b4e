"""In Chromium with JavaScript off: a responder ticks "Detained" and reads how long is left
before the alarm; the reporter writes that the person was moved; the follow-up is marked
unread in the case list and the inbox until the responder opens the case."""

from __future__ import annotations

import re
import secrets

import pytest

from browser_tests.conftest import screenshot, send_detention_report
from browser_tests.test_staff_login import log_in

pytestmark = pytest.mark.browser


def test_timer_and_unread_follow_up(browser, demo):
    token = f"moved-{secrets.token_hex(4)}"
    reporter, receipt = send_detention_report(
        browser, demo, f"{token}: my cousin was detained at the market", "Market police post",
        "this morning",
    )

    staff = browser.new_context(java_script_enabled=False).new_page()
    log_in(staff, demo, "responder.bek", demo.passphrases["responder.bek"])
    staff.goto(f"{demo.url}/en/staff/cases/inbox/")
    staff.locator("main table tbody tr", has_text=token).locator("input[name=report]").check()
    staff.click("text=Open a case from the chosen reports")
    case_path = staff.url.removeprefix(demo.url)
    staff.click("text=Assess the risk")
    staff.check("#risk_detained_present")
    staff.click("text=Save the assessment")

    # The default is 6 hours: the responder reads about 6 hours, not "0 minutes".
    timer = staff.locator("#timer").inner_text()
    assert re.search(r"alarm goes off in (5\s+hours, 59\s+minutes|6\s+hours)", timer), timer
    assert "0\xa0minutes" not in timer and "0 minutes" not in timer

    reporter.goto(f"{demo.url}/en/mailbox/")
    reporter.fill("#id_receipt", receipt)
    reporter.click("main button[type=submit]")
    reporter.fill("#id_follow_up", "They moved him to the district jail")
    reporter.click("text=Send")
    assert "Sent. Our team will read it." in reporter.content()

    staff.goto(f"{demo.url}/en/staff/cases/")
    row = staff.locator("main table tbody tr", has=staff.locator(f"a[href='{case_path}']"))
    assert "1 unread follow-up" in row.inner_text()
    screenshot(staff, "desk-cases-unread")
    staff.goto(f"{demo.url}/en/staff/cases/inbox/")
    mentioned = staff.locator("main li", has=staff.locator(f"a[href='{case_path}']"))
    assert "1 unread follow-up" in mentioned.inner_text()

    staff.click(f"a[href='{case_path}']")
    message = staff.locator(".message", has_text="They moved him to the district jail")
    assert "new" in message.locator(".tag").inner_text()

    staff.goto(f"{demo.url}/en/staff/cases/")
    row = staff.locator("main table tbody tr", has=staff.locator(f"a[href='{case_path}']"))
    assert "unread" not in row.inner_text()
