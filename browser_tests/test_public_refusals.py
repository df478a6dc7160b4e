"""In Chromium with JavaScript off, on the public side:

- an outreach worker enters incident after incident from one browser until the per-browser
  limit refuses one: the story typed for it is still on the page (files must be chosen
  again, and the page says so), and another browser is not refused;
- the start page offers "I am in danger now" apart from "someone has just been detained",
  both red; the danger path asks what the danger is, not where and since when, and the
  responder sees the danger in the inbox."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest

from browser_tests.conftest import screenshot
from browser_tests.test_staff_login import log_in

pytestmark = pytest.mark.browser


def _fill_incident(page, story: str, photo: Path) -> None:  # type: ignore[no-untyped-def]
    page.check("#id_reporter_role_3")  # for an organisation
    page.fill("#id_narrative", story)
    page.check("input[name=acts][value=threats]")
    page.fill("#id_place", "Tash-Bulak")
    page.set_input_files("#id_files", str(photo))


def test_a_story_refused_by_the_limit_is_still_there(browser, demo, tmp_path: Path):
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 2000)
    worker = browser.new_context(java_script_enabled=False).new_page()
    story = ""
    # One browser, one incident after another, until the limit for this browser refuses one
    # (a few more tries than the default allows, in case an hour turns meanwhile).
    for n in range(30):
        story = f"incident {n}-{secrets.token_hex(3)}: " + (
            "Three men followed her from the community centre to the bus stop, filmed her "
            "and said they would send the video to her family. "
        ) * 3
        worker.goto(f"{demo.url}/en/report/")
        _fill_incident(worker, story.strip(), photo)
        worker.click("main button[type=submit]")
        if worker.locator(".secret").count() == 0:
            break
    else:
        raise AssertionError("no limit for one browser")
    assert n >= 5, "an outreach worker was refused after a handful of reports"
    page = worker.content()
    assert "This browser has sent a lot in a short time." in page
    assert re.search(r"please try again in \d+ minutes?", page)
    assert "What you typed is kept below." in page
    assert "Files cannot be kept: please choose them again." in page
    # What took long to write is still in the form, ticks and lines included.
    assert worker.input_value("#id_narrative") == story.strip()
    assert worker.is_checked("input[name=acts][value=threats]")
    assert worker.is_checked("#id_reporter_role_3")
    assert worker.input_value("#id_place") == "Tash-Bulak"
    screenshot(worker, "refused-keeps-the-story")

    # Another browser is not refused.
    other = browser.new_context(java_script_enabled=False).new_page()
    other.goto(f"{demo.url}/en/report/")
    _fill_incident(other, f"other-{secrets.token_hex(3)}: they threatened me", photo)
    other.click("main button[type=submit]")
    assert other.locator(".secret").count() == 1, other.content()[-2000:]


def test_in_danger_now_is_its_own_urgent_way_in(browser, demo):
    token = f"danger-{secrets.token_hex(4)}"
    reporter = browser.new_context(java_script_enabled=False).new_page()
    reporter.goto(f"{demo.url}/en/")
    detained = reporter.locator("a.button.urgent", has_text="Someone has just been detained")
    danger = reporter.locator("a.button.urgent", has_text="I am in danger now")
    assert detained.count() == 1 and danger.count() == 1
    # Red and bold, unlike the calm button beside them.
    calm = reporter.locator("a.button:not(.urgent)").first
    style = "e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).fontWeight]"
    assert danger.evaluate(style) == ["rgb(166, 61, 50)", "700"]
    assert calm.evaluate(style)[0] != "rgb(166, 61, 50)"
    screenshot(reporter, "start-urgent-buttons")

    danger.click()
    assert reporter.locator("h1").inner_text() == "Urgent: you are in danger now"
    assert reporter.locator("#id_where_now").count() == 0
    assert reporter.locator("#id_since_when").count() == 0
    reporter.check("#id_reporter_role_0")
    reporter.fill("#id_narrative", f"{token}: the same car outside my flat every night")
    reporter.fill("#id_danger", f"followed since the rally {token}")
    reporter.click("main button[type=submit]")
    assert reporter.locator(".secret").count() == 1, reporter.content()[-2000:]

    staff = browser.new_context(java_script_enabled=False).new_page()
    log_in(staff, demo, "responder.bek", demo.passphrases["responder.bek"])
    staff.goto(f"{demo.url}/en/staff/cases/inbox/")
    row = staff.locator("main table tbody tr", has_text=token)
    text = row.inner_text()
    assert "urgent" in text
    assert f"In danger now: followed since the rally {token}" in text
    assert "Where now" not in text
    screenshot(staff, "desk-inbox-danger")
