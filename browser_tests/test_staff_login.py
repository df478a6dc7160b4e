"""In Chromium with JavaScript off: a demo user logs in with a TOTP code, switches to Kyrgyz and
sees the staff home page in Kyrgyz; an administrator enrols a colleague who then logs in."""

from __future__ import annotations

import re

import pytest

from browser_tests.conftest import screenshot

pytestmark = pytest.mark.browser


def log_in(page, demo, username: str, passphrase: str) -> None:
    page.goto(demo.url + "/en/staff/login/")
    page.fill("#id_username", username)
    page.fill("#id_passphrase", passphrase)
    page.fill("#id_code", demo.code(username))
    page.click("main button[type=submit]")
    # The first login after the server starts decrypts the records into memory: the
    # "Preparing your records" page reloads itself (no script) and leads on when they are
    # ready. A person waits for it; so does the test.
    page.wait_for_url(lambda url: "/staff/preparing/" not in url, timeout=120_000)
    page.wait_for_load_state()


def test_it_logs_in_and_switches_to_kyrgyz(page_context, demo):
    page = page_context.new_page()
    log_in(page, demo, "documenter.saule", demo.passphrases["documenter.saule"])
    assert page.url == demo.url + "/en/staff/"
    assert page.locator("h1").inner_text() == "Welcome, documenter.saule"

    page.click("text=Кыргызча")
    assert page.url == demo.url + "/ky/staff/"
    assert page.locator("html").get_attribute("lang") == "ky"
    assert page.locator("h1").inner_text() == "Кош келиңиз, documenter.saule"
    assert "Чыгуу" in page.locator("nav.staff-nav").inner_text()
    screenshot(page, "staff-home-ky")


def test_it_shows_a_clear_message_for_a_wrong_code(page_context, demo):
    page = page_context.new_page()
    page.goto(demo.url + "/kk/staff/login/")
    page.fill("#id_username", "analyst.temir")
    page.fill("#id_passphrase", demo.passphrases["analyst.temir"])
    page.fill("#id_code", "000000")
    page.click("main button[type=submit]")
    assert page.url.startswith(demo.url + "/kk/staff/login/")
    alert = page.locator("[role=alert]").inner_text()
    assert alert and "code" not in alert  # in Kazakh, not English
    assert re.search("[әғқңөұүһі]", alert)


def test_an_admin_enrols_a_colleague_who_then_logs_in(browser, demo):
    admin = browser.new_context(java_script_enabled=False).new_page()
    log_in(admin, demo, "admin.aru", demo.passphrases["admin.aru"])
    assert admin.url == demo.url + "/en/staff/", admin.content()
    admin.click("text=Team")
    admin.click("text=Add a staff member")
    admin.fill("#id_username", "nurlan")
    admin.select_option("#id_role", "responder")
    admin.click("main button[type=submit]")
    assert admin.locator(".qr svg").count() == 1
    passphrase = admin.locator(".secret").inner_text().strip()
    screenshot(admin, "enrolment")

    newcomer = browser.new_context(java_script_enabled=False).new_page()
    log_in(newcomer, demo, "nurlan", passphrase)
    assert newcomer.locator("h1").inner_text() == "Welcome, nurlan"


def test_the_public_page_needs_no_script_and_loads_its_stylesheet(page_context, demo):
    page = page_context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(demo.url + "/ru/")
    assert page.title() == "Информация"
    assert all(url.startswith(demo.url) for url in requests)
    assert any(url.endswith("/static/kalkan/kalkan.css") for url in requests)
    screenshot(page, "public-ru")
