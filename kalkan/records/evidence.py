"""Evidence items and their chain of custody.

An item is a file kept sealed or a description of something held elsewhere, linked to
events, acts, persons or sources. A file that came with a report stays where intake sealed
it (the item points at the intake record and opens it with that record's key); its SHA-256
is copied into the item's sealed metadata. Every addition, opening, download and export is a
custody entry: who and when, in the clear like the audit log; what the item is stays sealed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from django.db import transaction
from django.utils import timezone

from kalkan.accounts.models import User
from kalkan.intake.models import Evidence
from kalkan.records.models import Act, Custody, Event, EvidenceItem, Person
from kalkan.vault.files import open_file
from kalkan.vault.keyring import Keyring
from kalkan.vault.records import new_sealed, open_content_key, read, write


def log(item: EvidenceItem, action: str, by: User | None) -> None:
    Custody.objects.create(item=item, action=action, by=by, at=timezone.now())


def from_intake(
    evidence: Evidence,
    keyring: Keyring,
    by: User | None,
    *,
    events: Iterable[Event] = (),
    acts: Iterable[Act] = (),
    persons: Iterable[Person] = (),
    title: str = "",
) -> EvidenceItem:
    """An item for a file a reporter uploaded (idempotent: one item per upload)."""
    existing = EvidenceItem.objects.filter(from_intake=evidence).first()
    if existing is not None:
        _link(existing, events, acts, persons, by)
        return existing
    intake_meta = json.loads(read(evidence, open_content_key(evidence.content_key, keyring))
                             ["meta"])
    meta = {**intake_meta, "title": title or intake_meta.get("name", ""), "kind": "file"}
    with transaction.atomic():
        item, key = new_sealed(EvidenceItem, keyring, evidence.content_key.compartment,
                               from_intake=evidence)
        write(item, key, meta=json.dumps(meta, ensure_ascii=False))
        log(item, Custody.Action.ADDED, by)
        _link(item, events, acts, persons, None)
    return item


def describe(
    keyring: Keyring,
    by: User | None,
    *,
    title: str,
    description: str,
    held_by: str,
    events: Iterable[Event] = (),
) -> EvidenceItem:
    """An item held elsewhere (a medical certificate at the lawyer's office)."""
    events = list(events)
    compartment = events[0].content_key.compartment if events else None
    meta = {"title": title, "kind": "held_elsewhere", "description": description,
            "held_by": held_by}
    with transaction.atomic():
        item, key = new_sealed(EvidenceItem, keyring, compartment)
        write(item, key, meta=json.dumps(meta, ensure_ascii=False))
        log(item, Custody.Action.ADDED, by)
        _link(item, events, (), (), None)
    return item


def _link(
    item: EvidenceItem,
    events: Iterable[Event],
    acts: Iterable[Act],
    persons: Iterable[Person],
    by: User | None,
) -> None:
    events, acts, persons = list(events), list(acts), list(persons)
    item.events.add(*events)
    item.acts.add(*acts)
    item.persons.add(*persons)
    if by is not None and (events or acts or persons):
        log(item, Custody.Action.LINKED, by)


def meta_of(item: EvidenceItem, keyring: Keyring) -> dict[str, Any]:
    return dict(json.loads(read(item, open_content_key(item.content_key, keyring))["meta"]))


def file_pieces(item: EvidenceItem, keyring: Keyring) -> Iterator[bytes]:
    """The file's bytes, decrypted as they stream (not logged: the caller logs why). A file
    that came with a report stays with the intake record; one that came in a complete
    archive (kalkan.records.archive) is sealed under the item's own key."""
    if item.stored_file:
        return open_file(open_content_key(item.content_key, keyring), str(item.pk),
                         item.content_key.sealed_in_epoch, item.stored_file)
    source = item.from_intake
    if source is None:
        raise FileNotFoundError("this item has no file kept here")
    key = open_content_key(source.content_key, keyring)
    return open_file(key, str(source.pk), source.content_key.sealed_in_epoch,
                     source.working_file or source.original_file)


def open_item(item: EvidenceItem, keyring: Keyring, by: User | None) -> Iterator[bytes]:
    """The file's bytes (decrypted as they stream), logged as a download."""
    pieces = file_pieces(item, keyring)
    log(item, Custody.Action.DOWNLOADED, by)
    return pieces


def custody(item: EvidenceItem) -> list[Custody]:
    return list(item.custody.select_related("by"))
