"""Import speed of the records exchange on this machine: the version-1 path (checked, then
created row by row through kalkan.records.services) against the complete archive (checked,
then sealed and inserted in bulk), in one run (issue 18).

    .venv/bin/python benchmarks/exchange.py [--acts 2000 --files 20 --file-kb 256 --seed 0]
    .venv/bin/python benchmarks/exchange.py --acts 100000 --files 1000      (the full figure)

Makes a new instance in a temporary directory (SQLite, the test suite's Argon2id parameters:
the passphrase is derived once per archive, which is not what is measured) with `--acts`
fictional acts and their events, persons, involvements, sources and consent statements
(kalkan.records.generator), and `--files` evidence items, each with a sealed file of
`--file-kb` random kilobytes. Generating is not measured (its time is printed).

Then: the version-1 JSON export of the first `--v1-events` events and its import (rows per
second: at 100,000 acts the whole would take hours row by row); the complete archive's
export, locked with a passphrase, into a file, and its import (rows per second, files
included, and the archive's size). Both imports go into the same instance, as new records.
Prints a table and one JSON line with every figure. Nothing here asserts anything about time.

Two speed-ups are printed. Against version 1 as it runs now, in the same run; and against
the rate issue 18 was filed with (about 6 ms a row through the services, 100,000 acts in
about ten minutes: 167 rows/s), which is what "10x faster than today" was measured from.
They differ because version 1 got faster too: it writes one record at a time, and each
write took three queries and two savepoints for its revision number until that became one
statement (2026-12-03, kalkan.vault.records.next_revision), which halved version 1's time
per row. The same-run ratio fell from 11.6 to 6.3 that day while the archive's own rate
rose (4,275 to 4,755 rows/s at 100,000 acts).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


# Issue 18's "today": about 6 ms a row through the services (see the docstring).
FILED_ROWS_PER_S = 1 / 0.006
# Fictional, for the benchmark's throwaway archive only.
ARCHIVE_PASSPHRASE = "benchmark " + "passphrase"


def setup(data_dir: Path) -> None:
    os.environ["KALKAN_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "kalkan.test_settings"
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()


def prepare(acts: int, files: int, file_kb: int, seed: int) -> tuple[Any, Any, dict[str, float]]:
    from django.core.management import call_command

    from kalkan.accounts.roles import Role
    from kalkan.accounts.services import enrol_staff
    from kalkan.records.generator import generate
    from kalkan.records.models import Event, EvidenceItem
    from kalkan.vault.files import store_file
    from kalkan.vault.records import new_sealed, write
    from kalkan.vault.services import found_organisation

    call_command("migrate", verbosity=0)
    founding = found_organisation()
    enrolment = enrol_staff("bench", Role.DOCUMENTER, actor=None, keyring=founding.keyring)
    keyring = founding.keyring
    start = time.perf_counter()
    counts = generate(keyring, acts=acts, seed=seed, by=enrolment.user)
    events = list(Event.objects.order_by("revision")[:files])
    for number in range(files):
        item, key = new_sealed(EvidenceItem, keyring)
        stored = store_file(key, str(item.pk), item.content_key.sealed_in_epoch,
                            [os.urandom(1024) for _ in range(file_kb)])
        item.stored_file = stored.name
        write(item, key, meta=json.dumps({"title": f"file {number}", "kind": "file",
                                          "name": f"photo-{number}.jpg", "size": stored.size,
                                          "sha256": stored.sha256}))
        if events:
            item.events.add(events[number % len(events)])
    return keyring, enrolment.user, {"generate_s": time.perf_counter() - start,
                                     **{k: float(v) for k, v in counts.items()}}


def measure(keyring: Any, user: Any, data_dir: Path, v1_events: int) -> dict[str, float]:
    from kalkan.records import archive, exchange
    from kalkan.records.models import Event

    figures: dict[str, float] = {}
    # The row-by-row path at ~6-10 ms a row would take hours at 100,000 acts: its rate is
    # measured on the first `v1_events` events (a rate does not depend on the total).
    sample = list(Event.objects.order_by("revision").values_list("pk", flat=True)[:v1_events])
    start = time.perf_counter()
    data, _report = exchange.export_json(keyring, purpose=None, events=sample)
    figures["v1_export_s"] = time.perf_counter() - start
    start = time.perf_counter()
    result = exchange.import_json(data, keyring, user)
    figures["v1_import_s"] = time.perf_counter() - start
    assert result.ok, result.errors[:5]
    figures["v1_rows"] = float(sum(result.created.values()))
    figures["v1_rows_per_s"] = figures["v1_rows"] / figures["v1_import_s"]
    del data

    path = data_dir / "complete.kalkan"
    start = time.perf_counter()
    with path.open("wb") as out:
        archive.export_archive(out, keyring, user,
                               lock=archive.Lock.with_passphrase(ARCHIVE_PASSPHRASE))
    figures["v2_export_s"] = time.perf_counter() - start
    figures["v2_archive_mb"] = path.stat().st_size / 1e6
    start = time.perf_counter()
    with path.open("rb") as source:
        imported = archive.import_archive(source, keyring, user,
                                          passphrase=ARCHIVE_PASSPHRASE)
    figures["v2_import_s"] = time.perf_counter() - start
    assert imported.ok, imported.errors[:5]
    figures["v2_rows"] = float(sum(imported.created.values()))
    figures["v2_files"] = float(imported.files)
    figures["v2_rows_per_s"] = figures["v2_rows"] / figures["v2_import_s"]
    figures["speedup"] = figures["v2_rows_per_s"] / figures["v1_rows_per_s"]
    figures["speedup_vs_filed"] = figures["v2_rows_per_s"] / FILED_ROWS_PER_S
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--acts", type=int, default=2000)
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--file-kb", type=int, default=256)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--v1-events", type=int, default=700,
                        help="events whose rows the version-1 import is timed on")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kalkan-bench-exchange-") as tmp:
        data_dir = Path(tmp)
        setup(data_dir)
        keyring, user, made = prepare(args.acts, args.files, args.file_kb, args.seed)
        figures = {**made, **measure(keyring, user, data_dir, args.v1_events)}
    print(f"{'what':<40}{'figure':>14}")
    for label, key, unit in [
        ("generating (not measured)", "generate_s", "s"),
        ("version 1: rows imported", "v1_rows", ""),
        ("version 1: import", "v1_import_s", "s"),
        ("version 1: rows per second", "v1_rows_per_s", "/s"),
        ("archive: export (passphrase)", "v2_export_s", "s"),
        ("archive: size", "v2_archive_mb", "MB"),
        ("archive: rows imported", "v2_rows", ""),
        ("archive: files imported", "v2_files", ""),
        ("archive: import, files included", "v2_import_s", "s"),
        ("archive: rows per second", "v2_rows_per_s", "/s"),
        ("speed-up over version 1 now", "speedup", "x"),
        ("speed-up over issue 18's 6 ms a row", "speedup_vs_filed", "x"),
    ]:
        print(f"{label:<40}{figures[key]:>12.1f} {unit}")
    print(json.dumps({"acts": args.acts, "files": args.files, **figures}, sort_keys=True))


if __name__ == "__main__":
    main()
