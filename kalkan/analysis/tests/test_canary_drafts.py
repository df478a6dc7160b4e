"""The canary test of security.md over drafts: what a reviewer types as a replacement, the
narrative behind a summary and the provenance kept with a draft are never readable on disk
(nor in the PostgreSQL dump), and no file is written for a download."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from kalkan.analysis import register
from kalkan.analysis.models import PublishedTable
from kalkan.analysis.tests.test_builder import corpus as corpus  # noqa: F401 (a fixture)
from kalkan.analysis.tests.test_draft_pages import DRAFTS, _new_draft, _review_form
from kalkan.core.testing import log_in
from kalkan.vault.tests.test_canary import canary, find_leaks

pytestmark = pytest.mark.django_db(transaction=True)


def _instance_files() -> set[Path]:
    """The instance's own files, but the database's (SQLite's journal comes and goes) and
    the working-set snapshots (encrypted, and checked by find_leaks)."""
    return {path for path in Path(settings.DATA_DIR).rglob("*") if path.is_file()
            and "workingset" not in path.parts and not path.name.startswith("kalkan.sqlite3")}


@override_settings(KALKAN_PUBLICATION_THRESHOLD=5, KALKAN_PUBLICATION_K=5)
def test_a_reviewed_and_downloaded_draft_leaves_nothing_readable(client, chingiz, corpus,  # noqa: F811
                                                                 caplog):
    typed = canary("replacement")
    translated = canary("translation")
    log_in(client, chingiz)
    location = _new_draft(client)
    assert location.startswith(DRAFTS)
    form = _review_form(client.get(location).content.decode())
    first = next(name for name in form if name.startswith("text-"))
    form[first] = typed.decode()
    # Another story than the one with the typed replacement: a translation replaces it.
    other = [name[3:] for name in form if name.startswith("fp-") and name[3:] not in first]
    form[f"translation-{other[-1]}"] = f"Translated: {translated.decode()}"
    client.post(f"{location}review/", form)
    files_before = _instance_files()
    for kind in ("docx", "pdf", "md"):
        response = client.post(f"{location}download/", {"format": kind, "appendix": "1"})
        assert response.status_code == 200
    markdown = response.content.decode()
    assert typed.decode() in markdown  # the reviewer's words are what was published
    assert translated.decode() in markdown  # and their translation of another story
    assert re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", markdown)  # the appendix, as asked
    # Downloads are made in memory: no new file anywhere under the data directory.
    assert _instance_files() <= files_before
    assert find_leaks({"replacement": typed, "translation": translated}) == []
    assert typed.decode() not in caplog.text and translated.decode() not in caplog.text


@override_settings(KALKAN_PUBLICATION_THRESHOLD=5, KALKAN_PUBLICATION_K=5)
def test_the_register_of_published_tables_is_sealed(client, chingiz, corpus):  # noqa: F811
    """What left (which tables, over which selection, with which numbers) is as telling as
    the counts: none of it is readable on disk or in the dump."""
    log_in(client, chingiz)
    location = _new_draft(client)
    client.post(f"{location}review/", _review_form(client.get(location).content.decode()))
    assert client.post(f"{location}download/", {"format": "md"}).status_code == 200
    kept = register.registered(chingiz.keyring(), "kg")
    assert PublishedTable.objects.count() == len(kept) >= 2
    secrets: dict[str, bytes] = {}
    for table in kept:
        text = table.as_json()
        secrets[f"{table.table} as kept"] = text.encode()
        facts = text[text.index('"facts"'):]
        secrets[f"{table.table} numbers"] = facts[:60].encode()
        secrets[f"{table.table} selection"] = json.dumps(table.scope.as_json()).encode()
    assert find_leaks(secrets) == []
