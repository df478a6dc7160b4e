"""The canary test of security.md over the complete archive: plant unique strings in records,
an evidence file, a law and a local term; export the archive through the page and the
command (a partner's key, a passphrase), import it into an emptied instance, and then search
every byte on disk (the data directory, the PostgreSQL dump, the exported archive files, and
whatever appeared in the temporary directory meanwhile) for any of them."""

from __future__ import annotations

import base64
import io
import tempfile
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from kalkan.analysis import laws
from kalkan.core.testing import log_in
from kalkan.records import evidence, local_terms, services
from kalkan.records.models import Event, EvidenceItem
from kalkan.records.tests.test_archive import empty_the_instance, streamed
from kalkan.records.tests.test_evidence_items import _uploaded
from kalkan.vault import crypto
from kalkan.vault.tests.test_canary import canary, find_leaks, forms_of

pytestmark = pytest.mark.django_db(transaction=True)

PASSPHRASE = "a long archive passphrase"


def new_temporary_files(since: float) -> list[tuple[str, bytes]]:
    found = []
    for path in Path(tempfile.gettempdir()).rglob("*"):
        try:
            if path.is_file() and path.stat().st_mtime >= since and path.stat().st_size < 50e6:
                found.append((str(path), path.read_bytes()))
        except OSError:
            continue
    return found


def test_nothing_readable_anywhere_after_an_archive_round_trip(chingiz, monkeypatch):
    began = time.time() - 1
    keys = chingiz.keyring()
    words = {name: canary(name) for name in (
        "pseudonym", "real-name", "title", "act-notes", "law-title", "stage-note",
        "deadline", "term-label", "file")}
    text = {name: value.decode() for name, value in words.items()}
    person = services.new_person(keys, pseudonym=text["pseudonym"],
                                 profile={"kind": "individual"},
                                 identity={"names": [text["real-name"]], "contacts": [],
                                           "notes": ""})
    event = services.new_event(keys, chingiz.user, title=text["title"])
    services.add_act(event, keys, victim=person,
                     details={"type": "threats", "notes": text["act-notes"]})
    law = laws.new_law(keys, chingiz.user, title=text["law-title"], details={"country": "kg"})
    laws.add_stage(law, keys, stage="adopted", date=laws.month_date(2024, 4),
                   note=text["stage-note"])
    laws.add_deadline(law, keys, due=laws.today(), what=text["deadline"])
    with translation.override("en"):
        local_terms.add("act_types", parent="", keyring=keys, labels={
            "en": text["term-label"], "ru": text["term-label"], "ky": text["term-label"],
            "kk": text["term-label"]})
    evidence.from_intake(_uploaded(words["file"] * 50), keys, chingiz.user, events=[event])

    client = log_in(Client(), chingiz)
    secret, public = crypto.new_keypair()
    from_page = streamed(client.post("/en/staff/exchange/archive/export/", {
        "lock": "partner", "public_key": base64.b64encode(public).decode(),
        "include_identity": "on"}))
    archive_file = Path(settings.DATA_DIR) / "exported.kalkan"  # searched with the rest
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{chingiz.passphrase}\n{PASSPHRASE}\n"))
    call_command("records", "export", "--all", "--as", "chingiz", "--out", str(archive_file),
                 "--passphrase", "--identity", stdout=io.StringIO())

    empty_the_instance()
    upload = io.BytesIO(from_page)
    upload.name = "a.kalkan"
    key_text = base64.b64encode(secret).decode()
    response = client.post("/en/staff/exchange/archive/import/",
                           {"file": upload, "secret_key": key_text}, follow=True)
    assert response.status_code == 200
    assert Event.objects.count() == 1 and EvidenceItem.objects.count() == 1
    # The test can fail: the imported records do hold the words.
    item = EvidenceItem.objects.get()
    assert words["file"] in b"".join(evidence.file_pieces(item, keys))

    assert find_leaks(words) == []
    blobs = [("page export", from_page), *new_temporary_files(began)]
    leaks = [f"{name} in {where}" for name, secret_word in words.items()
             for shape in forms_of(secret_word) for where, data in blobs
             if shape in data or shape in data.lower()]
    assert leaks == []
