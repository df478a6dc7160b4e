"""In Chromium with JavaScript off, the demo's walk-through from linkage to an estimate: the
analyst downloads this organisation's linkage file on "Linking lists", the linkage unit (the
command a statistician runs) links it with the two partners' files in the demo's
`demo-linkage/`, and the estimates page, whose sampler runs in a worker process of the real
server, shows the estimate with its interval and charts once its page has refreshed itself."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from browser_tests.conftest import screenshot
from browser_tests.test_staff_login import log_in
from kalkan.core.testing import kalkan

pytestmark = pytest.mark.browser


def test_export_match_and_estimate(browser, demo, tmp_path: Path):
    context = browser.new_context(java_script_enabled=False, accept_downloads=True)
    page = context.new_page()
    log_in(page, demo, "analyst.temir", demo.passphrases["analyst.temir"])
    folder = demo.data_dir / "demo-linkage"
    secret = (folder / "coalition.secret").read_text().strip().splitlines()[-1]

    page.goto(f"{demo.url}/en/staff/linkage/")
    form = page.locator("main form[method=post]")
    form.locator("[name=country]").select_option("kg")
    form.locator("[name=year_from]").fill("2019")
    form.locator("[name=year_to]").fill("2025")
    form.locator("[name=secret]").fill(secret)
    with page.expect_download() as download:
        form.locator("button[type=submit]").click()
    own = tmp_path / "own.kalkan-linkage"
    download.value.save_as(own)
    assert secret not in own.read_text()

    counts = tmp_path / "counts.csv"
    matched = kalkan("linkage", "match", str(own), str(folder / "partner-a.kalkan-linkage"),
                     str(folder / "partner-b.kalkan-linkage"), "--secret-file",
                     str(folder / "coalition.secret"), "--output", str(counts))
    assert matched.returncode == 0, matched.stderr
    documented = sum(int(line.rsplit(",", 1)[1])
                     for line in counts.read_text().splitlines()[1:])

    page.goto(f"{demo.url}/en/staff/estimates/")
    page.set_input_files("input[name=file]", str(counts))
    page.locator("main form").first.locator("button[type=submit]").click()
    # The job's page reloads itself (a meta refresh, no script) until the worker is done.
    page.wait_for_selector("text=Estimated total", timeout=120_000)
    text = page.inner_text("main")
    assert f"{documented} people are on at least one list" in text
    said = re.search(r"Estimated total: (\d+) \(95 % interval (\d+) to (\d+)\)", text)
    assert said, text[:2000]
    estimate, lower, upper = map(int, said.groups())
    assert documented < lower <= estimate <= upper
    assert page.locator("figure.chart svg").count() == 2
    assert "Decomposable graphs, averaged (dga)" in text
    screenshot(page, "estimate")
    context.close()
