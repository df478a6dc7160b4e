"""A selection for publication (issue 18): only people who agreed to publication have a case
summary; nothing leaves before every summary is reviewed; the ZIP is what Uwazi's CSV import
reads (checked here against its documented rules) and the JSON says what was held back and
why; the planted name, phone and canary never leave."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import date

import pytest
from django.test import override_settings

from kalkan.analysis import builder, publication
from kalkan.analysis.models import ReportDraft
from kalkan.analysis.tests.test_builder import CANARY, PLANTED_NAME, PLANTED_PHONE
from kalkan.analysis.tests.test_builder import corpus as corpus  # noqa: F401 (a fixture)
from kalkan.analysis.tests.test_draft_pages import DRAFTS, _review_form
from kalkan.audit.models import AuditEntry
from kalkan.core.testing import log_in
from kalkan.records import consent
from kalkan.records.models import Event, Person
from kalkan.records.services import opened
from kalkan.vault import workingset
from kalkan.vault.records import readable_by

TODAY = date(2026, 12, 3)
AGREED = set(range(3, 13))  # victims 3–12 agreed to publication; 0–2 refused it
SECRETS = (PLANTED_NAME, PLANTED_PHONE, CANARY, "Кочкор")


@pytest.fixture
def published(chingiz, corpus):  # noqa: F811
    keys = corpus
    for person in readable_by(Person.objects.all(), keys).select_related("content_key"):
        name = opened(person, keys, ("pseudonym",))["pseudonym"]
        if not name.startswith("Victim "):
            continue
        number = int(name.split()[1])
        if number in AGREED or number < 3:
            consent.record(person, "media", given=number in AGREED, on=date(2026, 2, 1),
                           how="in person", keyring=keys, by=chingiz.user)
    return keys


def _prepared(keys, language="ru"):
    working = workingset.for_session("publication-test", keys)
    asked = builder.Asked(mechanism=builder.PUBLICATION, country="kg", year_from=2024,
                          year_to=2025, language=language)
    return builder.prepare(working, asked, keys)


def _accept_all(prepared, leave_out=()) -> builder.Review:
    return builder.Review({
        s.id: {"fingerprint": s.fingerprint, "leave_out": s.id in leave_out,
               "replacements": [replacement for _f, replacement in s.proposals]}
        for s in prepared.summaries})


def _event_number(keys, event_id: str) -> int:
    event = readable_by(Event.objects.filter(pk=event_id), keys).get()
    return int(opened(event, keys, ("title",))["title"].split()[1])


def _uwazi_rows(body: bytes) -> tuple[list[str], list[dict[str, str]]]:
    """import.csv read as Uwazi's importer reads it: the ZIP's import.csv, UTF-8 (a leading
    byte-order mark dropped), the first row the property names."""
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        text = archive.read("import.csv").decode("utf-8").removeprefix("\ufeff")
    reader = csv.DictReader(io.StringIO(text))
    return list(reader.fieldnames or []), list(reader)


@override_settings(KALKAN_PUBLICATION_THRESHOLD=5, KALKAN_PUBLICATION_K=5)
def test_only_people_who_agreed_to_publication_have_a_summary(published):
    prepared = _prepared(published)
    assert prepared.summaries, "the selection has publishable summaries"
    numbers = {_event_number(published, s.event) for s in prepared.summaries}
    # The UN-submission consent of victims 0–2 and 21 does not count here.
    assert numbers <= AGREED
    assert prepared.without_consent == 22 - len(AGREED)
    un_draft = builder.prepare(workingset.for_session("publication-test-un", published),
                               builder.Asked(mechanism="upr", country="kg", year_from=2024,
                                             year_to=2025), published)
    assert {_event_number(published, s.event) for s in un_draft.summaries} - AGREED


@override_settings(KALKAN_PUBLICATION_THRESHOLD=5, KALKAN_PUBLICATION_K=5)
def test_nothing_leaves_unreviewed_and_the_zip_is_what_uwazi_imports(published):
    prepared = _prepared(published)
    with pytest.raises(ValueError, match="not reviewed"):
        publication.uwazi_zip(prepared, builder.Review(), TODAY)
    with pytest.raises(ValueError, match="not reviewed"):
        publication.press_json(prepared, builder.Review(), TODAY)
    left_out = next(s.id for s in prepared.summaries if PLANTED_NAME not in s.narrative)
    review = _accept_all(prepared, leave_out={left_out})
    body = publication.uwazi_zip(prepared, review, TODAY)

    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert sorted(archive.namelist()) == ["README.txt", "held_back.txt", "import.csv"]
        notes = archive.read("held_back.txt").decode("utf-8")
        readme = archive.read("README.txt").decode("utf-8")
        everything = "".join(archive.read(n).decode("utf-8") for n in archive.namelist())
    header, rows = _uwazi_rows(body)
    # Uwazi matches columns to property names: lower case, words joined by "_"; "title"
    # is required in every row; a date range is "from:to".
    assert "title" in header and all(re.fullmatch(r"[a-z0-9_]+", name) for name in header)
    assert all(name in readme for name in header)
    assert len(rows) == len(prepared.summaries) - 1
    assert all(row["title"] for row in rows)
    for row in rows:
        assert re.fullmatch(r"(\d{4}-\d\d-\d\d:\d{4}-\d\d-\d\d)?", row["period"]), row
        assert row["country"] == "Кыргызстан"
        assert row["summary"] or row["same_events_as"] in {r["title"] for r in rows}
    assert any(row["period"] == "2024-01-01:2024-12-31" for row in rows)
    for secret in SECRETS:
        assert secret not in everything, secret
    # The planted story is there, redacted.
    assert any("Ему звонили с номера [телефон]" in row["summary"] for row in rows)
    # What was held back, and why, in the selection's language.
    # Said, without the exact number (nothing gates it, and with the cases it would give
    # the selection's count away).
    assert "не давших согласия на публикацию" in notes
    held = notes.split("почему:", 1)[1]
    assert f"{22 - len(AGREED)}" not in held
    assert "1" in held  # the summary a reviewer left out
    assert publication.uwazi_zip(prepared, review, TODAY) == body  # no timestamp inside


@override_settings(KALKAN_PUBLICATION_THRESHOLD=5, KALKAN_PUBLICATION_K=5)
def test_the_press_json_lists_cases_and_what_was_held_back(published):
    prepared = _prepared(published, language="en")
    left_out = prepared.summaries[0].id
    body = publication.press_json(prepared, _accept_all(prepared, leave_out={left_out}), TODAY)
    document = json.loads(body)
    assert document["format"] == "kalkan-publication" and document["version"] == 1
    assert document["selection"]["years"] == [2024, 2025]
    assert len(document["cases"]) == len(prepared.summaries) - 1
    assert [c["number"] for c in document["cases"]] == list(range(1, len(document["cases"]) + 1))
    held = " ".join(document["held_back"])
    assert "did not agree to publication" in held and "left out 1 further" in held
    assert document["method"] and document["published_on"] == "2026-12-03"
    text = body.decode("utf-8")
    for secret in SECRETS:
        assert secret not in text, secret


@override_settings(KALKAN_PUBLICATION_THRESHOLD=5, KALKAN_PUBLICATION_K=5)
def test_a_publication_is_asked_reviewed_and_downloaded_on_the_pages(client, chingiz,
                                                                     published):
    log_in(client, chingiz)
    drafts = client.get(DRAFTS).content.decode()
    assert "Publication (Uwazi CSV, JSON for the press)" in drafts
    assert "people who agreed to publication and no table" in drafts
    response = client.post(DRAFTS, {"mechanism": "publication", "country": "kg",
                                    "year_from": "2024", "year_to": "2025", "language": "ru",
                                    "summaries": "20"})
    assert response.status_code == 302
    location = response["Location"]
    page = client.get(location).content.decode()
    assert "Tables (not published)" in page and "needs review" in page
    refused = client.post(f"{location}download/", {"format": "uwazi"}, follow=True)
    assert "Review every case summary" in refused.content.decode()

    assert client.post(f"{location}review/", _review_form(page)).status_code == 302
    page = client.get(location).content.decode()
    assert "ZIP for Uwazi" in page and "JSON for the press" in page
    assert 'name="appendix"' not in page  # no internal appendix leaves with a publication
    docx = client.post(f"{location}download/", {"format": "docx"}, follow=True)
    assert "Choose the ZIP for Uwazi or the JSON for the press." in docx.content.decode()
    for kind, signature in (("uwazi", b"PK"), ("json", b"{")):
        response = client.post(f"{location}download/", {"format": kind})
        assert response.status_code == 200, kind
        assert response.content.startswith(signature)
        assert response["Content-Disposition"].startswith('attachment; filename="publication-')
        for secret in SECRETS:
            assert secret.encode() not in response.content
            if kind == "uwazi":
                with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
                    for name in archive.namelist():
                        assert secret not in archive.read(name).decode("utf-8")
    assert AuditEntry.objects.filter(action="analysis.publication_downloaded").count() == 2
    draft_id = location.rstrip("/").rsplit("/", 1)[1]
    assert bytes(ReportDraft.objects.get(pk=draft_id).provenance)  # which acts left, sealed


def test_a_story_a_spreadsheet_would_run_as_a_formula_stays_text():
    case = publication.Case(number=1, title="Case 1", year="2025", values={
        "country": "Kyrgyzstan", "region": "Chuy", "act_type": "=1+1", "perpetrator_type": "x",
        "age_band": "x", "gender_identity": "x"}, summary='=HYPERLINK("http://x.invalid")',
        written_in="en", translated=False, same_events_as=None)
    _header, rows = _uwazi_rows(_zip_of(publication._csv([case], "en")))
    assert rows[0]["summary"] == "'=HYPERLINK(\"http://x.invalid\")"
    assert rows[0]["type_of_act"] == "'=1+1" and rows[0]["title"] == "Case 1"


def _zip_of(csv_bytes: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("import.csv", csv_bytes)
    return buffer.getvalue()
