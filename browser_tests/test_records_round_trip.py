"""In Chromium with JavaScript off: a documentation officer codes a report into an event
with two acts, two victims and one perpetrator of both acts (ticked in one form), links it
to another event found by words, then finds it by a search for a victim's pseudonym (in
another script) and by a filter."""

from __future__ import annotations

import secrets

import pytest

from browser_tests.conftest import screenshot
from browser_tests.test_staff_login import log_in

pytestmark = pytest.mark.browser


def test_code_a_report_then_find_it(browser, demo):
    token = secrets.token_hex(3)
    reporter = browser.new_context(java_script_enabled=False).new_page()
    reporter.goto(f"{demo.url}/en/report/")
    reporter.check("#id_reporter_role_0")
    reporter.fill("#id_narrative", f"coded-{token}: two of us were beaten at the market")
    reporter.check("#id_consent_0")
    reporter.click("main button[type=submit]")
    assert reporter.locator(".secret").count() == 1

    page = browser.new_context(java_script_enabled=False).new_page()
    log_in(page, demo, "documenter.saule", demo.passphrases["documenter.saule"])
    page.goto(f"{demo.url}/en/staff/records/events/")
    page.locator("li, tr", has_text=f"coded-{token}").locator("a", has_text="Code this report") \
        .first.click()
    assert f"coded-{token}" in page.content()
    form = page.locator("main form[method=post]")
    form.locator("[name=title]").fill(f"Market beating {token}")
    form.locator("[name=start_year]").select_option("2026")
    form.locator("[name=place]").select_option("kg.osh-city")
    page.click("text=Save the event")
    assert f"Market beating {token}" in page.content()
    event_url = page.url

    victims = [f"Жанибек {token}", f"Aigerim {token}"]
    for victim, act_type in zip(victims, ("assault", "threats"), strict=True):
        page.goto(event_url)
        page.click("text=One act against one victim")
        act = page.locator("form[action$='/acts/']")
        act.locator("input[name=victim][value=new]").check()
        act.locator("[name=victim-pseudonym]").fill(victim)
        act.locator("[name=type]").select_option(act_type)
        page.click("text=Add the act")
        assert victim in page.content(), page.content()[-2000:]

    # One perpetrator for both acts, ticked in one form.
    page.click("text=Who did it, for one or several acts")
    who = page.locator("form[action$='/perpetrators/']")
    acts = who.locator("input[name=act]")
    assert acts.count() == 2
    for index in range(2):
        acts.nth(index).check()
    who.locator("input[name=perpetrator][value=new]").check()
    who.locator("[name=perpetrator-pseudonym]").fill(f"Market guards {token}")
    types = who.locator("[name=perpetrator_types]")
    if who.locator("select[name=perpetrator_types]").count():
        types.select_option("police.patrol")
    else:
        who.locator("input[name=perpetrator_types][value='police.patrol']").check()
    page.click("text=Add the perpetrator")
    assert "The perpetrator is added to 2 acts." in page.content()
    for victim in victims:
        act = page.locator("article", has_text=victim)
        assert f"Market guards {token}" in act.inner_text()
    screenshot(page, "records-event")

    # Link it to another event, found by words (no list of every event to scroll).
    page.goto(f"{demo.url}/en/staff/records/events/new/")
    page.locator("main form[method=post] [name=title]").fill(f"Court hearing {token}")
    page.click("text=Save the event")
    page.goto(event_url)
    page.click("text=Link to another event")
    finder = page.locator("form[method=get]", has=page.locator("[name=link_find]"))
    finder.locator("[name=link_find]").fill(f"hearing {token}")
    finder.locator("button").click()
    assert f"1 event found for “hearing {token}”." in page.content()
    link = page.locator("form[action*='/links/']")
    link.locator("input[name=to_event]").check()
    link.locator("[name=relation]").select_option(index=1)
    page.click("text=Link the events")
    assert "The events are linked." in page.content()
    assert f"Court hearing {token}" in page.locator("#chain").inner_text()

    # Search for the first victim in Latin letters: indexed in Cyrillic.
    page.goto(f"{demo.url}/en/staff/search/?q=Zhanibek+{token}")
    results = page.locator("main table tbody").inner_text()
    assert f"Жанибек {token}" in results and f"Aigerim {token}" not in results
    # And by a filter: the broader "threats and intimidation" finds the threat only.
    page.goto(f"{demo.url}/en/staff/search/?q={token}&act_type=intimidation")
    results = page.locator("main table tbody").inner_text()
    assert f"Aigerim {token}" in results and f"Жанибек {token}" not in results
    screenshot(page, "records-search")
