"""Evidence items keep the reporter's file sealed where intake put it, carry its hash only
inside sealed metadata, and log who added, linked and downloaded it."""

from __future__ import annotations

import hashlib
import json

from kalkan.intake.models import Evidence, Report
from kalkan.intake.services import Submission, submit_report
from kalkan.records import evidence, services
from kalkan.records.models import Custody, EvidenceItem
from kalkan.vault.files import store_file
from kalkan.vault.records import new_content_key, write


def _uploaded(report_file: bytes) -> Evidence:
    """A file as intake stores it: sealed under its own key, metadata with the hash."""
    submit_report(Submission(narrative="They filmed me at the station"), [])
    report = Report.objects.get()
    row, key = new_content_key(None)
    item = Evidence(content_key=row, created_on=report.created_on, report=report)
    stored = store_file(key, str(item.id), row.sealed_in_epoch, [report_file])
    item.original_file = stored.name
    write(item, key, meta=json.dumps({"name": "video.mp4", "size": stored.size,
                                      "sha256": stored.sha256, "sanitised": False}))
    return item


def test_an_uploaded_file_becomes_an_item_with_its_custody(chingiz):
    keys = chingiz.keyring()
    data = b"\x00\x01fictional video bytes" * 100
    upload = _uploaded(data)
    event = services.new_event(keys, chingiz.user, title="Filmed at the station")
    item = evidence.from_intake(upload, keys, chingiz.user, events=[event])
    assert evidence.from_intake(upload, keys, chingiz.user) == item  # one item per upload
    meta = evidence.meta_of(item, keys)
    assert meta["sha256"] == hashlib.sha256(data).hexdigest()
    assert hashlib.sha256(data).hexdigest().encode() not in bytes(
        EvidenceItem.objects.get(pk=item.pk).meta)
    assert b"".join(evidence.open_item(item, keys, chingiz.user)) == data
    assert [c.action for c in evidence.custody(item)] == [
        Custody.Action.ADDED, Custody.Action.DOWNLOADED]
    assert list(item.events.all()) == [event]
