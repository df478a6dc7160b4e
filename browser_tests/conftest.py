"""A real `kalkan demo` served by waitress, and a real Chromium with JavaScript turned off.

Chromium is Debian's (/usr/bin/chromium), driven by Playwright; nothing is downloaded.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from kalkan.core.testing import PASSPHRASE_PATTERN, cli_env, free_port

CHROMIUM = os.environ.get("KALKAN_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@dataclass
class DemoServer:
    url: str
    data_dir: Path
    passphrases: dict[str, str]

    def code(self, username: str) -> str:
        """The code the person's authenticator app shows now, read from the demo database."""
        with sqlite3.connect(self.data_dir / "kalkan.sqlite3") as db:
            key, step, t0, digits, drift, last_t = db.execute(
                "SELECT d.key, d.step, d.t0, d.digits, d.drift, d.last_t "
                "FROM otp_totp_totpdevice d JOIN accounts_user u ON u.id = d.user_id "
                "WHERE u.username = ?",
                (username,),
            ).fetchone()
        totp = TOTP(bytes.fromhex(key), step, t0, digits, drift)
        # A code is accepted once per 30-second window: wait for a fresh window if needed.
        while totp.t() <= last_t:
            time.sleep(1)
            totp.time = time.time()
        return f"{totp.token():0{digits}d}"


@contextlib.contextmanager
def running_demo(
    tmp_path_factory: pytest.TempPathFactory, **extra_env: str
) -> Iterator[DemoServer]:
    """`kalkan demo` served on a free port until the block ends (extra_env: settings)."""
    data_dir = tmp_path_factory.mktemp("demo") / "instance"
    port = free_port()
    env = cli_env(extra_env)
    log = (data_dir.parent / "demo.log").open("w+")
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-u", "-m", "kalkan.cli", "demo", "--data-dir", str(data_dir),
         "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        # Up to 3 minutes: on a busy 2-core machine the demo takes over a minute to build.
        answered = False
        for _ in range(360):
            try:
                urllib.request.urlopen(url + "/en/", timeout=2)  # noqa: S310
                answered = True
                break
            except OSError:
                if server.poll() is not None:
                    break
                time.sleep(0.5)
        log.seek(0)
        output = log.read()
        assert server.poll() is None, f"kalkan demo stopped:\n{output}"
        assert answered, f"kalkan demo did not answer:\n{output}"
        passphrases = dict(re.findall(rf"^\s+(\S+)\s+({PASSPHRASE_PATTERN})\s", output, re.M))
        assert "admin.aru" in passphrases, output
        yield DemoServer(url, data_dir, passphrases)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    with running_demo(tmp_path_factory) as server:
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page_context(browser: Browser) -> Iterator[BrowserContext]:
    # As in Tor Browser at its Safest level: no JavaScript at all.
    context = browser.new_context(java_script_enabled=False, locale="en-US")
    yield context
    context.close()


def screenshot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def send_detention_report(
    browser: Browser, demo: DemoServer, narrative: str, where_now: str, since_when: str
) -> tuple[Page, str]:
    """A witness reports a detention on the public form and keeps the receipt; returns the
    reporter's page (on the thanks page) and the receipt."""
    reporter = browser.new_context(java_script_enabled=False).new_page()
    reporter.goto(f"{demo.url}/en/report/urgent/")
    reporter.check("#id_reporter_role_1")
    reporter.fill("#id_narrative", narrative)
    reporter.fill("#id_where_now", where_now)
    reporter.fill("#id_since_when", since_when)
    reporter.check("#id_consent_0")
    reporter.click("main button[type=submit]")
    assert reporter.locator(".secret").count() == 1, reporter.content()[-2000:]
    receipt = reporter.locator(".secret").inner_text().strip()
    reporter.check("input[name=saved]")
    reporter.click("main button[type=submit]")
    return reporter, receipt
