"""The canary test of security.md over import and export: plant unique strings in every
field of the records (real names included), export them through the page in JSON and CSV,
real names and all, import files full of other canaries, and then search every byte on disk
(and the PostgreSQL dump) for any of them. Exports are sent from memory and uploads are held
in memory: nothing of either may land in a file, a log or the database in the clear."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date

import pytest
from django.core.files import uploadhandler
from django.test import Client
from django.utils import translation

from kalkan.core.testing import log_in
from kalkan.records import consent, exchange, services
from kalkan.records.models import Event
from kalkan.vault.tests.test_canary import canary, find_leaks

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/en/staff/exchange/"
FIELDS = ("pseudonym", "real-name", "contact", "hrd-role", "title", "description",
          "place-detail", "act-notes", "stated-reason", "perpetrator", "involvement-notes",
          "source-notes", "intervention-response", "link-notes", "consent-how",
          "consent-partner")


@pytest.fixture(autouse=True)
def in_english():
    """Messages are compared in English whatever language an earlier test left active."""
    with translation.override("en"):
        yield



def plant(keys, by, text: dict[str, str]) -> None:
    victim = services.new_person(
        keys, pseudonym=text["pseudonym"], profile={"kind": "individual",
                                                    "hrd_role": text["hrd-role"]},
        identity={"names": [text["real-name"]], "contacts": [text["contact"]], "notes": ""})
    police = services.new_person(keys, pseudonym=text["perpetrator"],
                                 profile={"kind": "organisation"})
    event = services.new_event(keys, by, title=text["title"], description=text["description"],
                               details={"place": {"code": "kg.chuy",
                                                  "detail": text["place-detail"]}})
    later = services.new_event(keys, by, title="later")
    act = services.add_act(event, keys, victim=victim, details={
        "type": "detention", "notes": text["act-notes"], "stated_reason": text["stated-reason"]})
    services.add_involvement(act, keys, perpetrator=police,
                             details={"perpetrator_types": ["police"],
                                      "notes": text["involvement-notes"]})
    services.add_information(event, keys, source=victim,
                             details={"source_type": "victim_testimony",
                                      "notes": text["source-notes"]})
    services.add_intervention(event, keys, victim=victim,
                              details={"type": "complaint_police",
                                       "response": text["intervention-response"]})
    services.link_events(event, later, keys, relation="causes", notes=text["link-notes"])
    consent.record(victim, "referral", given=True, on=date(2025, 5, 1), how=text["consent-how"],
                   keyring=keys, by=by, partner=text["consent-partner"])
    consent.record(victim, "statistics", given=True, on=date(2025, 5, 1), how="form",
                   keyring=keys, by=by)


def import_file(client: Client, data: bytes, name: str) -> int:
    upload = io.BytesIO(data)
    upload.name = name
    return client.post(URL + "import/", {"file": upload}).status_code


def test_nothing_exported_or_imported_is_readable_on_disk(chingiz, caplog, settings,
                                                          monkeypatch):
    # Django would put any upload over this size in a plaintext temporary file (deleted
    # afterwards, but its bytes stay on the disk): the import must never make one.
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1
    temporary: list[str] = []
    real_temporary = uploadhandler.TemporaryUploadedFile  # type: ignore[attr-defined]

    def spy(*args, **kwargs):
        temporary.append(str(args[:1]))
        return real_temporary(*args, **kwargs)

    monkeypatch.setattr(uploadhandler, "TemporaryUploadedFile", spy)
    planted = {name: canary(name) for name in FIELDS}
    text = {name: value.decode() for name, value in planted.items()}
    keys = chingiz.keyring()
    plant(keys, chingiz.user, text)
    client = log_in(Client(), chingiz)

    # Exports through the page, real names included: the canaries are in the attachment...
    for fmt in ("json", "csv"):
        response = client.post(URL + "export/", {"format": fmt, "purpose": "internal",
                                                 "include_identity": "on", "back": URL})
        assert response.status_code == 200
        data = response.content
        if fmt == "csv":
            archive = zipfile.ZipFile(io.BytesIO(data))
            data = b"".join(archive.read(name) for name in archive.namelist())
        for name in FIELDS:
            assert planted[name] in data, (fmt, name)
    statistics = client.post(URL + "export/", {"format": "csv", "purpose": "statistics"})
    assert statistics.status_code == 200

    # ...and imports of files holding other canaries, in both formats, good and refused.
    incoming = {f"import-{name}": canary(f"import-{name}") for name in FIELDS}
    document = json.loads(exchange.export_json(keys, purpose=None, include_identity=True)[0])
    swap = {text[name]: incoming[f"import-{name}"].decode() for name in FIELDS}
    as_text = json.dumps(document, ensure_ascii=False)
    for old, new in swap.items():
        as_text = as_text.replace(old, new)
    good = as_text.encode()
    assert import_file(client, good, "records.json") == 200
    bad = json.loads(good)
    bad["acts"][0]["victim"] = "nobody"
    bad["events"][0]["title"] = canary("refused-title").decode()
    planted["refused-title"] = bad["events"][0]["title"].encode()
    assert import_file(client, json.dumps(bad).encode(), "records.json") == 400
    csv_copy = exchange.export_csv(keys, purpose=None, include_identity=True)[0]
    assert import_file(client, csv_copy, "records.zip") == 200
    assert Event.objects.count() == 2 + 2 + 4  # the CSV held the first import too
    page = client.get(URL)
    assert page.status_code == 200

    assert temporary == []
    leaks = find_leaks({**planted, **incoming})
    assert leaks == []
    assert not any(value.decode() in caplog.text for value in {**planted, **incoming}.values())
