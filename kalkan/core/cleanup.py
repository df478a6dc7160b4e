"""What a crash leaves half-written, removed: run at `kalkan serve` start and by
`kalkan cleanup`.

A write is stored in two places: encrypted files under DATA_DIR/files (written while the
upload arrives, before the record exists) and rows in the database (one transaction). A
`kill -9` between the two leaves

- encrypted files that no Evidence row names (and `*.partial` files cut off mid-upload);
- content-key rows that no record uses: before uploads saved their keys with the record,
  an upload's key row was committed when its first byte arrived.

Nothing acknowledged is ever among them: a report is acknowledged only after its
transaction committed, and then every file and key it uses is referenced. An upload still
arriving is also unreferenced, so only orphans older than a grace period go. Files carry
their age (modification time, refreshed by every chunk written); key rows carry none (an
exact time would date reports), so a key must be seen unreferenced by two sweeps at least
the grace period apart; the ids seen are kept in DATA_DIR (random ids, plaintext allowed).
At `kalkan serve` start, holding the data directory's serve lock, no other server can be
writing: the grace period is zero there.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models.deletion import ProtectedError

from kalkan.intake.models import Evidence
from kalkan.vault.files import files_dir
from kalkan.vault.models import ContentKey

DEFAULT_GRACE = timedelta(hours=6)
_CANDIDATES = "cleanup-keys.json"
_held_lock: IO[str] | None = None


@dataclass(frozen=True)
class Cleaned:
    files: int
    keys: int
    kept_young: int  # orphans still within the grace period (maybe an upload in flight)


def hold_serve_lock() -> bool:
    """Take the data directory's server lock for the life of this process. False when
    another `kalkan serve` holds it (then its uploads may be in flight)."""
    global _held_lock
    if _held_lock is not None:
        return True
    handle = open(Path(settings.DATA_DIR) / "serve.lock", "a")  # noqa: SIM115 (held open)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return False
    _held_lock = handle
    return True


def _referenced_files() -> set[str]:
    names: set[str] = set()
    for original, working in Evidence.objects.values_list("original_file", "working_file"):
        names.add(original)
        if working:
            names.add(working)
    return names


def _clean_files(grace: timedelta, *, dry_run: bool = False) -> tuple[int, int]:
    directory = files_dir()
    # Listed before the rows are read: a file completed after this listing is not looked
    # at, and one listed here whose record commits meanwhile is in the set read next.
    present = [path for path in directory.iterdir() if path.is_file()]
    referenced = _referenced_files()
    cutoff = time.time() - grace.total_seconds()
    removed = young = 0
    for path in present:
        name = path.name.removesuffix(".partial")
        if not path.name.endswith(".partial") and name in referenced:
            continue
        try:
            if path.stat().st_mtime > cutoff:
                young += 1
                continue
            if not dry_run:
                path.unlink()
        except FileNotFoundError:  # completed (renamed) or aborted meanwhile
            continue
        removed += 1
    return removed, young


def _unreferenced_keys() -> set[str]:
    """Ids of content keys that no row anywhere points at (every relation to ContentKey,
    so a model added later is covered without being listed here)."""
    query = ContentKey.objects.all()
    # include_hidden: records point at their key with related_name="+", a hidden relation.
    for relation in ContentKey._meta.get_fields(include_hidden=True):
        if not isinstance(relation, models.ForeignObjectRel):
            continue
        column = relation.field.name
        used = relation.related_model._default_manager.filter(**{f"{column}__isnull": False})
        query = query.exclude(pk__in=used.values(column))
    return {str(pk) for pk in query.values_list("pk", flat=True)}


def _clean_keys(grace: timedelta) -> tuple[int, int]:
    store = Path(settings.DATA_DIR) / _CANDIDATES
    try:
        seen: dict[str, float] = json.loads(store.read_text())
    except (FileNotFoundError, ValueError):
        seen = {}
    now = time.time()
    cutoff = now - grace.total_seconds()
    orphans = _unreferenced_keys()
    removed = 0
    still: dict[str, float] = {}
    for key_id in orphans:
        first_seen = seen.get(key_id, now)
        if first_seen > cutoff:
            still[key_id] = first_seen
            continue
        try:
            with transaction.atomic():
                # PROTECT (and the database's foreign key) refuse the deletion if a record
                # took this key since it was listed.
                ContentKey.objects.filter(pk=key_id).delete()
        except (ProtectedError, IntegrityError):
            continue
        removed += 1
    temporary = store.with_suffix(".tmp")
    temporary.write_text(json.dumps(still))
    os.replace(temporary, store)
    return removed, len(still)


def clean_orphans(grace: timedelta = DEFAULT_GRACE) -> Cleaned:
    """Remove orphan encrypted files and content keys older than `grace`."""
    files, young_files = _clean_files(grace)
    keys, young_keys = _clean_keys(grace)
    return Cleaned(files, keys, young_files + young_keys)


def count_orphans(grace: timedelta = DEFAULT_GRACE) -> Cleaned:
    """What clean_orphans would find now, removing nothing (`kalkan retention`'s preview).
    Keys count as soon as nothing uses them; clean_orphans removes them only once two sweeps
    the grace period apart have seen them so."""
    files, young_files = _clean_files(grace, dry_run=True)
    return Cleaned(files, len(_unreferenced_keys()), young_files)


def clean_at_start() -> Cleaned:
    """At server start: everything unreferenced is left by a crash, unless another server
    is running on this data directory (then the grace period applies)."""
    return clean_orphans(timedelta(0) if hold_serve_lock() else DEFAULT_GRACE)
