"""Retention figures on this machine (issue 14, item 2): how long the preview and the
removal take.

    .venv/bin/python benchmarks/retention.py [--reports 5000 --with-files 0.1]

Makes a new instance in a temporary directory (SQLite) with `--reports` sealed reports set
aside as spam long ago (synthetic, fictional words), each with a reporter mailbox; a fraction
`--with-files` of them with an encrypted 64 KB file and its evidence record. Half as many
reports again are kept (new, in the inbox) so that the rule has something to leave alone.
Then turns the set-aside rule on and times `preview()` (counts) and `apply()` (removal with
content keys, files and working-set bookkeeping, in batches of one transaction each).
Generating the data is not measured. Prints a table, then one JSON line. Nothing here
asserts anything about time.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.vault import WORDS, peak_rss_mb, setup  # noqa: E402 (after the path is set)


def prepare(reports: int, with_files: float) -> None:
    from django.core.management import call_command

    from kalkan.intake.models import Evidence, Mailbox, Report
    from kalkan.vault import crypto
    from kalkan.vault.files import store_file
    from kalkan.vault.records import bulk_create_sealed
    from kalkan.vault.services import found_organisation

    call_command("migrate", verbosity=0)
    keyring = found_organisation().keyring
    rng = random.Random(14)  # noqa: S311 (synthetic data, not a secret)

    def story() -> dict[str, str]:
        return {"narrative": " ".join(rng.choice(WORDS) for _ in range(120))}

    spam = bulk_create_sealed(
        Report, keyring, ((story(), {"status": Report.Status.SPAM}) for _ in range(reports))
    )
    bulk_create_sealed(Report, keyring, (story() for _ in range(reports // 2)))
    Report.objects.update(created_on=date(2020, 1, 1))
    Mailbox.objects.bulk_create(
        Mailbox(report_id=pk, lookup_key=crypto.random_key().hex(), reporter_public_key=b"k",
                wrapped_reporter_secret=b"w")
        for pk in Report.objects.values_list("pk", flat=True)
    )
    filed = spam[: int(len(spam) * with_files)]
    names = []
    for pk in filed:
        key = crypto.random_key()
        names.append(store_file(key, str(pk), 1, [rng.randbytes(64 * 1024)]).name)
    bulk_create_sealed(
        Evidence, keyring,
        (({"meta": "{}"}, {"report_id": pk, "original_file": name})
         for pk, name in zip(filed, names, strict=True)),
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=5000)
    parser.add_argument("--with-files", type=float, default=0.1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        setup(Path(tmp))
        started = time.perf_counter()
        prepare(args.reports, args.with_files)
        print(f"data generated in {time.perf_counter() - started:.1f} s (not measured)")

        from kalkan.intake.models import Report
        from kalkan.retention import services
        from kalkan.vault.models import ContentKey

        services.set_rule("set_aside", enabled=True, days=90)
        keys_before = ContentKey.objects.count()
        started = time.perf_counter()
        preview = {t.kind: t for t in services.preview()}["set_aside"]
        preview_s = time.perf_counter() - started
        started = time.perf_counter()
        applied = {t.kind: t for t in services.apply()}["set_aside"]
        apply_s = time.perf_counter() - started
        figures = {
            "reports_removed": applied.items,
            "files_removed": applied.files,
            "content_keys_removed": keys_before - ContentKey.objects.count(),
            "reports_kept": Report.objects.count(),
            "preview_s": round(preview_s, 2),
            "apply_s": round(apply_s, 2),
            "removed_per_s": round(applied.items / apply_s, 1) if apply_s else None,
            "preview_counted": preview.items,
            "peak_rss_mb": round(peak_rss_mb(), 1),
        }
        print(f"{'reports set aside, removed':<32}{applied.items:>10}")
        print(f"{'their files removed':<32}{applied.files:>10}")
        print(f"{'content keys destroyed':<32}{figures['content_keys_removed']:>10}")
        print(f"{'reports kept':<32}{figures['reports_kept']:>10}")
        print(f"{'preview (counts)':<32}{preview_s:>9.2f}s")
        print(f"{'apply (removal)':<32}{apply_s:>9.2f}s")
        print(f"{'reports removed per second':<32}{figures['removed_per_s']:>10}")
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
