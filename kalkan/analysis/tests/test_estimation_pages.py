"""The estimation page as an analyst uses it: paste or upload counts, read the overlaps and
every method's estimate, a bad file refused with its row named, the estimate added to a
draft and printed there in the draft's language."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kalkan.analysis import estimation, estimation_jobs
from kalkan.analysis.tests.test_estimation import GOOD
from kalkan.core.testing import log_in

PAGE = "/en/staff/estimates/"
DRAFTS = "/en/staff/drafts/"


REAL_SETTINGS = estimation.LcmcrSettings


@pytest.fixture(autouse=True)
def quick_sampler(monkeypatch):
    monkeypatch.setattr(estimation, "LcmcrSettings",
                        lambda seed=None: REAL_SETTINGS(chains=2, burn_in=1000, samples=300,
                                                        seed=3))


def test_estimate_from_pasted_counts_and_add_it_to_a_draft(client, dana):
    log_in(client, dana)
    assert client.get(PAGE).status_code == 200
    response = client.post(PAGE, {"text": GOOD}, follow=True)
    page = response.content.decode()
    assert response.status_code == 200, page[:3000]
    assert "1027 people are on at least one list" in page
    assert "Estimated total:" in page and page.count("<svg") == 2
    assert "Latent classes (LCMCR)" in page and "Independent lists" in page
    assert "Every log-linear model" in page

    created = client.post(DRAFTS, {"mechanism": "upr", "country": "kg", "year_from": "2024",
                                   "year_to": "2025", "language": "ru", "summaries": "0"})
    assert created.status_code == 302
    draft = created["Location"].rstrip("/").rsplit("/", 1)[1]
    page = client.post(PAGE, {"text": GOOD}, follow=True).content.decode()
    signed = page.split('name="estimate" value="')[1].split('"')[0]
    attached = client.post(PAGE + "attach/", {"estimate": signed, "draft": draft})
    assert attached.status_code == 302 and draft in attached["Location"]
    shown = client.get(created["Location"]).content.decode()
    assert "1027" in shown and "95 %" in shown  # the section, in Russian, on the draft
    markdown = client.post(created["Location"] + "download/", {"format": "md"})
    assert markdown.status_code == 200
    text = markdown.content.decode()
    assert "1027" in text and "LCMCR" in text

    forged = client.post(PAGE + "attach/", {"estimate": signed[:-3] + "abc", "draft": draft})
    assert forged.status_code == 302 and forged["Location"].endswith(PAGE)


def test_a_bad_counts_file_is_refused_with_its_row(client, dana):
    log_in(client, dana)
    upload = SimpleUploadedFile("counts.csv", b"A,B,C,n\n1,0,0,3\n0,1,0,-4\n",
                                content_type="text/csv")
    response = client.post(PAGE, {"file": upload})
    assert response.status_code == 400
    assert "Row 3: n is negative." in response.content.decode()
    response = client.post(PAGE, {"text": "A,B,n\n1,0,3\n0,1,4\n1,1,1\n"})
    assert response.status_code == 400 and "At least 3 lists are needed" in \
        response.content.decode()
    assert client.post(PAGE, {"text": ""}).status_code == 400


def test_strata_are_estimated_apart_and_added_up(client, dana):
    log_in(client, dana)
    text = "region,A,B,C,n\n" + "".join(
        f"{region},{line}\n" for region in ("north", "south") for line in GOOD.splitlines()[1:])
    page = client.post(PAGE, {"text": text, "strata": "region"}, follow=True).content.decode()
    assert "Stratum north" in page and "Stratum south" in page
    assert "Total of the strata" in page and page.count("<svg") == 4
    missing = client.post(PAGE, {"text": text, "strata": "period"})
    assert missing.status_code == 400
    assert "Row 1: the header has no column period." in missing.content.decode()


def test_the_sampler_runs_in_a_worker_process_and_the_page_waits_for_it(client, dana, amir,
                                                                         settings):
    """The page answers at once; its job page refreshes itself until the worker process has
    the estimate; nobody else can open the job."""
    settings.ESTIMATE_IN_BACKGROUND = True
    log_in(client, dana)
    started = client.post(PAGE, {"text": GOOD})
    assert started.status_code == 302 and "/job/" in started["Location"]
    first = client.get(started["Location"])
    assert first.status_code == 200
    deadline = time.monotonic() + 120
    page = first.content.decode()
    while "Estimated total:" not in page and time.monotonic() < deadline:
        assert 'http-equiv="refresh"' in page and "The sampler has been running" in page
        time.sleep(0.5)
        page = client.get(started["Location"]).content.decode()
    assert "1027 people are on at least one list" in page and "Estimated total:" in page
    assert "R-hat" in page

    other = Client()
    log_in(other, amir)
    refused = other.get(started["Location"], follow=True)
    assert "This estimate is no longer on the server" in refused.content.decode()
    assert "1027 people" not in refused.content.decode()


def _wait_for(client: Client, location: str, says: str) -> str:
    deadline = time.monotonic() + 120
    page = client.get(location).content.decode()
    while says not in page and time.monotonic() < deadline:
        time.sleep(0.5)
        page = client.get(location).content.decode()
    return page


def test_a_worker_that_dies_mid_estimate_is_said_and_the_next_estimate_works(client, dana,
                                                                            settings):
    """The sampler's process killed half-way (out of memory, an operator's kill): the job's
    page says the estimate stopped, not a stack trace, and the next estimate gets a new
    worker. One person cannot queue more than two estimates at once."""
    settings.ESTIMATE_IN_BACKGROUND = True
    log_in(client, dana)
    started = client.post(PAGE, {"text": GOOD})
    assert started.status_code == 302
    deadline = time.monotonic() + 60
    while not estimation_jobs._pool or not estimation_jobs._pool._processes:  # noqa: SLF001
        assert time.monotonic() < deadline
        time.sleep(0.1)
    for pid in list(estimation_jobs._pool._processes):  # noqa: SLF001
        os.kill(pid, signal.SIGKILL)
    page = _wait_for(client, started["Location"], "stopped because of an error")
    assert "The estimate stopped because of an error on the server" in page
    assert "Traceback" not in page

    again = client.post(PAGE, {"text": GOOD})
    second = client.post(PAGE, {"text": GOOD})
    refused = client.post(PAGE, {"text": GOOD})
    assert again.status_code == second.status_code == 302
    assert refused.status_code == 429
    assert "Two of your estimates are still running" in refused.content.decode()
    for location in (again["Location"], second["Location"]):
        assert "Estimated total:" in _wait_for(client, location, "Estimated total:")
    last = client.post(PAGE, {"text": GOOD})
    assert last.status_code == 302
    assert "Estimated total:" in _wait_for(client, last["Location"], "Estimated total:")


def test_a_worker_that_cannot_start_is_said_and_holds_no_place_in_the_queue(client, dana,
                                                                            settings,
                                                                            monkeypatch):
    """No process can be started (out of memory, too many processes): each estimate's page
    says it stopped, and the person is not locked out of estimating once it works again."""
    settings.ESTIMATE_IN_BACKGROUND = True

    class NoWorker:
        def submit(self, *args, **kwargs):
            raise OSError("cannot fork")

        def shutdown(self, **kwargs):
            pass

    monkeypatch.setattr(estimation_jobs, "_executor", NoWorker)
    log_in(client, dana)
    for _attempt in range(3):
        started = client.post(PAGE, {"text": GOOD})
        assert started.status_code == 302
        page = client.get(started["Location"])
        assert page.status_code == 503
        assert "The estimate stopped because of an error on the server" in \
            page.content.decode()


SERVER = """
import sys, time
from django.conf import settings
settings.configure(ESTIMATE_IN_BACKGROUND=True, USE_TZ=True)
from kalkan.analysis import estimation, estimation_jobs
estimation_jobs.start(estimation.read_counts(sys.argv[1]), None, 1)
while not estimation_jobs._pool._processes:
    time.sleep(0.05)
print(next(iter(estimation_jobs._pool._processes)), flush=True)
time.sleep(120)
"""


def test_the_worker_does_not_outlive_a_server_killed_mid_estimate():
    """A server killed while its worker estimates (a signal runs no exit handler): the worker
    ends too, instead of staying behind with its memory after every restart."""
    server = subprocess.Popen([sys.executable, "-c", SERVER, GOOD],  # noqa: S603
                              stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        worker = int(server.stdout.readline())
        os.kill(worker, 0)  # running
        server.kill()
        server.wait(timeout=10)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                os.kill(worker, 0)
            except ProcessLookupError:
                break
            # An orphan is re-parented; only a zombie of ours would need reaping.
            time.sleep(0.2)
        else:
            os.kill(worker, signal.SIGKILL)
            raise AssertionError("the worker outlived the server")
    finally:
        server.kill()
        server.wait(timeout=10)


def test_the_draft_section_gates_the_documented_count():
    from django.test import override_settings
    from django.utils import translation

    from kalkan.analysis.estimate_texts import draft_section

    few = {"documented": 7, "method": "lcmcr", "estimate": 30, "lower": 12, "upper": 80,
           "lists": ["A", "B", "C"], "methods": {}}
    with override_settings(KALKAN_PUBLICATION_THRESHOLD=10), translation.override("en"):
        text = " ".join(getattr(b, "text", "") for b in draft_section(few))
        assert "Too few people are documented" in text and "30" not in text
        enough = {**few, "documented": 1027, "estimate": 2280, "lower": 2050, "upper": 2570}
        text = " ".join(getattr(b, "text", "") for b in draft_section(enough))
        assert "1027 people are on at least one of the 3 lists" in text
        assert "2280 (95 % interval 2050 to 2570)" in text and "within a group" in text
    with translation.override("kk"):
        text = " ".join(getattr(b, "text", "") for b in draft_section(enough))
        assert "95 % аралық 2050" in text
