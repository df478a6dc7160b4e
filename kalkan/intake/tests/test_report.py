"""The reporting form as a reporter meets it: no script, plain questions, a receipt once."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.test import Client

from kalkan.core.testing import csrf_token_in
from kalkan.intake.models import Evidence, Report
from kalkan.intake.services import find_mailbox
from kalkan.vault.records import open_content_key, read

pytestmark = pytest.mark.django_db

STORY = {
    "reporter_role": "self",
    "narrative": "Two men from a dating app took me to the district station and demanded money.",
    "acts": ["entrapment", "extortion"],
    "perpetrators": ["police"],
    "when": "March 2026",
    "country": "KG",
    "place": "Tash-Bulak",
    "help_wanted": ["legal"],
    "consent": ["services", "statistics"],
    "contact_method": "signal",
    "contact_details": "@quiet-river",
    "safe_times": "after 20:00",
    "code_word": "apricot",
}


def receipt_on(page: bytes) -> str:
    match = re.search(rb'<p class="secret">([\d ]+)</p>', page)
    assert match, page[:500]
    return match.group(1).decode()


@pytest.mark.parametrize("lang", ["ru", "ky", "kk", "en"])
def test_the_form_needs_no_script_and_stays_small(client, organisation, lang):
    page = client.get(f"/{lang}/report/")
    assert page.status_code == 200
    body = page.content
    assert b"<script" not in body
    assert len(body) < 100_000
    assert b'type="checkbox"' in body and b"checked" not in body  # nothing pre-ticked
    assert b'class="quick-exit" href="https://www.wikipedia.org/"' in body


def test_the_empty_form_rendered_once_is_still_each_language_and_path_own(client, organisation):
    """The blank form is rendered once and kept (intake/report.html): each language and each
    path keeps its own, and a refused form shows what this visitor typed, never a kept one."""
    for _ in range(2):
        assert "Что произошло" in client.get("/ru/report/").content.decode()
        assert "What happened" in client.get("/en/report/").content.decode()
        assert 'name="where_now"' in client.get("/en/report/urgent/").content.decode()
        assert 'name="where_now"' not in client.get("/en/report/").content.decode()
    refused = client.post("/en/report/", {"reporter_role": "witness", "narrative": "",
                                          "place": "Near the old bazaar in Tash-Bulak"})
    assert "Near the old bazaar in Tash-Bulak" in refused.content.decode()
    assert "Near the old bazaar" not in client.get("/en/report/").content.decode()


def test_a_report_is_sealed_and_gives_a_receipt(client, organisation, bota):
    response = client.post("/en/report/", STORY)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    receipt = receipt_on(response.content)
    assert len(receipt.replace(" ", "")) == 25
    found = find_mailbox(receipt)
    assert found is not None
    report = Report.objects.get()
    assert not report.urgent
    fields = read(report, open_content_key(report.content_key, bota.keyring()))
    assert fields["narrative"] == STORY["narrative"]
    answers = json.loads(fields["answers"])
    assert answers["acts"] == ["entrapment", "extortion"] and answers["channel"] == "web"
    assert json.loads(fields["contact"])["code_word"] == "apricot"
    consent = json.loads(fields["consent"])
    assert consent["services"] and consent["statistics"] and not consent["media"]
    assert bytes(report.narrative).find(b"dating app") == -1


def test_the_urgent_path_asks_first_what_responders_need(client, organisation):
    page = client.get("/en/report/urgent/")
    assert b"Where is the person now" in page.content
    missing = client.post("/en/report/urgent/", STORY)
    assert b"Where is the person now" in missing.content
    assert Report.objects.count() == 0
    urgent = dict(STORY, where_now="Sverdlovsky district station", since_when="this morning",
                  lawyer="no")
    response = client.post("/en/report/urgent/", urgent)
    assert receipt_on(response.content)
    assert Report.objects.get().urgent


def test_a_missing_story_is_explained_and_nothing_is_stored(client, organisation):
    response = client.post("/kk/report/", dict(STORY, narrative=""))
    assert response.status_code == 200
    assert "Бұл өрісті толтыру міндетті." in response.content.decode()
    assert Report.objects.count() == 0


def test_hostile_text_is_stored_as_text_and_never_runs(client, organisation, bota):
    hostile = dict(STORY, narrative="<script>alert(1)</script> \u202eevil", place="<b>x</b>")
    response = client.post("/en/report/", hostile)
    receipt_on(response.content)
    report = Report.objects.get()
    fields = read(report, open_content_key(report.content_key, bota.keyring()))
    assert fields["narrative"].startswith("<script>")
    nul = client.post("/en/report/", dict(STORY, narrative="a\x00b"))
    assert Report.objects.count() == 1
    assert nul.status_code == 200


def test_files_are_attached_and_oversized_ones_refused(client, organisation, settings):
    photo = io.BytesIO(b"\xff\xd8\xff" + b"\0" * 100)
    photo.name = "photo.jpg"
    response = client.post("/en/report/", dict(STORY, files=[photo]))
    receipt_on(response.content)
    assert Evidence.objects.count() == 1
    settings.INTAKE_MAX_FILE_BYTES = 1000
    big = io.BytesIO(b"\0" * 5000)
    big.name = "video.mp4"
    refused = client.post("/en/report/", dict(STORY, files=[big]))
    assert refused.status_code == 413
    assert b"A file is too large" in refused.content
    assert Report.objects.count() == 1 and Evidence.objects.count() == 1


def test_the_receipt_must_be_confirmed_as_saved(client, organisation):
    receipt = receipt_on(client.post("/en/report/", STORY).content)
    again = client.post("/en/report/saved/", {"receipt": receipt})
    assert receipt_on(again.content) == receipt
    assert b"Please confirm that you have saved your receipt." in again.content
    done = client.post("/en/report/saved/", {"receipt": receipt, "saved": "yes"})
    assert b"We have received it" in done.content
    assert receipt.encode() not in done.content


def test_it_works_with_nobody_logged_in_and_needs_csrf(csrf_client, organisation):
    response = csrf_client.post("/en/report/", STORY)
    assert response.status_code == 403
    assert Report.objects.count() == 0


def test_a_browser_post_with_token_null_origin_and_a_file_is_accepted(csrf_client, organisation):
    """As Chromium sends it: CSRF token in the form, Origin: null (no-referrer), a file."""
    token = csrf_token_in(csrf_client.get("/en/report/").content.decode())
    photo = io.BytesIO(b"\xff\xd8\xff" + b"\0" * 100)
    photo.name = "photo.jpg"
    response = csrf_client.post(
        "/en/report/",
        dict(STORY, files=[photo], csrfmiddlewaretoken=token),
        HTTP_ORIGIN="null",
    )
    assert response.status_code == 200
    assert receipt_on(response.content)
    assert Evidence.objects.count() == 1


def test_an_oversized_story_is_refused_clearly(client, organisation):
    response = client.post("/en/report/", dict(STORY, narrative="x" * 20_001))
    assert response.status_code == 200
    assert b"Ensure this value has at most 20000 characters" in response.content
    assert Report.objects.count() == 0


class DroppedConnection:
    """A request body whose connection breaks half-way, as a server reports it (OSError)."""

    def __init__(self, body: bytes) -> None:
        self.body, self.sent = body, 0

    def read(self, size: int = -1) -> bytes:
        if self.sent > len(self.body) // 2:
            raise OSError("connection reset by peer")
        size = len(self.body) if size is None or size < 0 else size
        chunk = self.body[self.sent : self.sent + min(size, 8192)]
        self.sent += len(chunk)
        return chunk

    def readline(self, size: int = -1) -> bytes:
        return self.read(size)


def test_a_connection_that_breaks_mid_upload_stores_nothing(csrf_client, organisation):
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    from kalkan.vault.files import files_dir
    from kalkan.vault.models import ContentKey

    token = csrf_token_in(csrf_client.get("/en/report/").content.decode())
    photo = io.BytesIO(b"\xff\xd8\xff" + b"\1" * 200_000)
    photo.name = "photo.jpg"
    body = encode_multipart(
        BOUNDARY, dict(STORY, csrfmiddlewaretoken=token, files=[photo])
    )
    before = set(files_dir().iterdir())
    response = csrf_client.generic(
        "POST", "/en/report/", body, content_type=MULTIPART_CONTENT,
        **{"wsgi.input": DroppedConnection(body)},
    )
    assert response.status_code in (400, 403)
    assert b"Traceback" not in response.content
    assert Report.objects.count() == 0
    assert ContentKey.objects.count() == 0
    assert set(files_dir().iterdir()) == before


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({}, {"year": None, "month": None, "day": None, "precision": "unknown"}),
        ({"when_year": "2025"}, {"year": 2025, "month": None, "day": None, "precision": "year"}),
        ({"when_year": "2025", "when_month": "3"}, {"year": 2025, "month": 3, "day": None,
                                                   "precision": "month"}),
        ({"when_year": "2025", "when_month": "3", "when_day": "8"},
         {"year": 2025, "month": 3, "day": 8, "precision": "day"}),
    ],
)
def test_the_date_is_kept_as_far_as_it_is_known(client, organisation, bota, given, expected):
    response = client.post("/en/report/", dict(STORY, when_approximate="on", **given))
    receipt_on(response.content)
    report = Report.objects.get()
    fields = read(report, open_content_key(report.content_key, bota.keyring()))
    assert json.loads(fields["answers"])["fuzzy_date"] == dict(expected, approximate=True)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"when_month": "3"}, "Choose the year first."),
        ({"when_year": "2025", "when_day": "8"}, "Choose the month first."),
        ({"when_year": "2025", "when_month": "2", "when_day": "30"}, "This date does not exist."),
    ],
)
def test_an_impossible_date_is_explained(client, organisation, given, message):
    response = client.post("/en/report/", dict(STORY, **given))
    assert message in response.content.decode()
    assert Report.objects.count() == 0


def test_the_months_are_named_in_kazakh(client, organisation):
    assert "Наурыз" in client.get("/kk/report/").content.decode()


def test_a_date_in_the_future_is_explained(client, organisation, monkeypatch):
    import datetime

    from django.utils import timezone

    midsummer = datetime.datetime(2026, 6, 15, 12, 0, tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: midsummer)
    response = client.post("/en/report/", dict(STORY, when_year="2026", when_month="12"))
    assert "This date is in the future." in response.content.decode()
    assert Report.objects.count() == 0


def test_the_region_is_picked_from_a_list_in_the_persons_language(client, organisation, bota):
    page = client.get("/ky/report/").content.decode()
    assert "Ысык-Көл облусу" in page and "<optgroup" in page
    client.post("/en/report/", dict(STORY, country="KZ", region="kg.naryn"))
    report = Report.objects.get()
    fields = read(report, open_content_key(report.content_key, bota.keyring()))
    answers = json.loads(fields["answers"])
    assert answers["region"] == "kg.naryn"
    assert answers["country"] == "KG"  # the region decides


def test_an_unknown_region_is_refused(client, organisation):
    response = client.post("/en/report/", dict(STORY, region="xx.nowhere"))
    assert "Select a valid choice." in response.content.decode()
    assert Report.objects.count() == 0


def test_submissions_are_limited_per_visitor_and_globally(client, organisation, settings):
    from django.core.cache import cache

    cache.clear()
    limit = settings.INTAKE_LIMITS["submission"]["visitor"][0]
    statuses = [client.post("/en/report/", STORY).status_code for _ in range(limit + 1)]
    assert statuses == [200] * limit + [429]
    assert Report.objects.count() == limit
    settings.INTAKE_LIMITS = dict(
        settings.INTAKE_LIMITS, submission={"visitor": (100, 3600), "global": (1, 60)}
    )
    cache.clear()
    assert Client().post("/en/report/", STORY).status_code == 200
    refused = Client().post("/en/report/", STORY)
    assert refused.status_code == 429
    assert b"Very many messages are arriving right now." in refused.content
    cache.clear()
