"""In Chromium with JavaScript off, once per language: a reporter submits a report with a
file, keeps the receipt; a responder reads and replies; the reporter reads the reply with the
receipt and adds a follow-up; the original report is never shown to the receipt holder."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from browser_tests.conftest import screenshot
from browser_tests.test_staff_login import log_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", ["ru", "ky", "kk", "en"])
def test_report_reply_and_follow_up(browser, demo, tmp_path: Path, lang):
    token = f"story-{secrets.token_hex(4)}"
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 2000)

    reporter = browser.new_context(java_script_enabled=False).new_page()
    reporter.goto(f"{demo.url}/{lang}/")
    assert reporter.locator("a.quick-exit").count() == 1
    reporter.click("a[href$='/report/']")
    reporter.check("#id_reporter_role_0")
    reporter.fill("#id_narrative", f"{token}: they took my phone at the station")
    reporter.check("#id_consent_0")
    reporter.set_input_files("#id_files", str(photo))
    reporter.click("main button[type=submit]")
    assert reporter.locator(".secret").count() == 1, reporter.content()[-3000:]
    receipt = reporter.locator(".secret").inner_text().strip()
    assert len(receipt.replace(" ", "")) == 25
    screenshot(reporter, f"receipt-{lang}")
    reporter.check("input[name=saved]")
    reporter.click("main button[type=submit]")
    assert receipt not in reporter.content()

    staff = browser.new_context(java_script_enabled=False).new_page()
    log_in(staff, demo, "responder.bek", demo.passphrases["responder.bek"])
    staff.goto(f"{demo.url}/{lang}/staff/reports/")
    links = [a.get_attribute("href") for a in staff.locator("td a").all()]
    for href in links:
        staff.goto(demo.url + str(href))
        if token in staff.content():
            break
    else:
        raise AssertionError("the new report is not in the list")
    assert "photo.jpg" in staff.content()
    answer = f"answer-{token}"
    staff.fill("#id_text", answer)
    staff.click("main button[type=submit]")

    reporter.goto(f"{demo.url}/{lang}/mailbox/")
    reporter.fill("#id_receipt", receipt)
    reporter.click("main button[type=submit]")
    mailbox = reporter.content()
    assert answer in mailbox
    assert token + ":" not in mailbox  # the report itself is never shown back
    reporter.fill("#id_follow_up", f"follow-up-{token}")
    reporter.click("main button[type=submit]")
    assert reporter.locator("[role=status]").count() == 1
    assert f"follow-up-{token}" not in reporter.content()
    screenshot(reporter, f"mailbox-{lang}")

    staff.reload()
    assert f"follow-up-{token}" in staff.content()
