"""Operations figures on this machine (issue 14: a public side one attacker cannot silence;
encrypted backups with a restore drill).

    .venv/bin/python benchmarks/operations.py [--reports 100] [--slow 60] [--crash-acks 20]
                                              [--acts 2000] [--only slow|backup]

Starts `kalkan serve` on loopback with a new instance, attaches `--slow` clients that trickle
headers and as many that trickle report bodies (one byte every half second, never finishing),
then has 20 reporters send `--reports` text-only reports between them, each from its own
session. Prints reports per second and p50/p95 latency, first without and then with the slow
clients, and how many slow clients were still attached at the end.

Then `kill -9` under load: 10 reporters send reports with two files each (2 MB and a photo);
once `--crash-acks` receipts were answered, the server is killed with SIGKILL the moment an
upload is being written. Prints the reports acknowledged, how many of them are lost or miss a
file (must be 0), the orphans (files and key rows no record uses) the crash left, and those
left after the next start (must be 0: the start cleans them). Loopback only; every loop is
bounded.

Backups: for the demo instance and for an instance with `--acts` generated coded acts (the
generator of benchmarks/records.py) and one report with a 512 KB file per 100 acts, prints the
time of `kalkan backup create`, `kalkan backup drill` and `kalkan backup restore` (onto a new
SQLite data directory, the passphrase's Argon2id included) and the archive's size. Each is a
whole `kalkan` process, Python's start included. `--acts 100000` gives the issue's figure.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.intake import percentile, run_level  # noqa: E402

CLIENTS = 20
CRASH_REPORTERS = 10


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=100, help="reports per measurement")
    parser.add_argument("--slow", type=int, default=60, help="slow clients of each kind")
    parser.add_argument("--crash-acks", type=int, default=20,
                        help="receipts answered before the kill -9")
    parser.add_argument("--acts", type=int, default=2000, help="coded acts for the backups")
    parser.add_argument("--only", choices=("slow", "backup"), help="run one section")
    args = parser.parse_args()
    os.environ.pop("DATABASE_URL", None)
    # The helpers live with the test characters; the server runs with production settings.
    os.environ["DJANGO_SETTINGS_MODULE"] = "kalkan.test_settings"
    import django

    django.setup()
    if args.only != "backup":
        slow_clients(args)
    if args.only != "slow":
        backups(args.acts)


def slow_clients(args: argparse.Namespace) -> None:
    from kalkan.core.testing import SlowClients, free_port, kalkan, serve

    total = max(CLIENTS, args.reports - args.reports % CLIENTS)
    with tempfile.TemporaryDirectory(prefix="kalkan-bench-operations-") as tmp:
        data = Path(tmp) / "instance"
        kalkan("init", "--data-dir", str(data), "--admin", "bench", "--non-interactive",
               "--show-escrow")
        port = free_port()
        server = serve(
            data, port, KALKAN_REPORTS_PER_MINUTE="600", KALKAN_REPORTS_PER_VISITOR="200"
        )
        base = f"http://127.0.0.1:{port}"
        try:
            run_level(base, 1, 3)  # warm up
            print(f"kalkan operations benchmark on {os.cpu_count()} cores, {CLIENTS} reporters")
            for label, slow_count in (("no slow clients", 0), ("with slow clients", args.slow)):
                slow = SlowClients(port, slow_count, slow_count) if slow_count else None
                try:
                    submissions, _views, wall = run_level(base, CLIENTS, total)
                    attached = slow.still_attached() if slow else 0
                finally:
                    if slow:
                        slow.stop()
                print(
                    f"{label:>18}: {len(submissions)} reports, "
                    f"{len(submissions) / wall:5.1f} reports/s, "
                    f"p50 {statistics.median(submissions) * 1000:6.0f} ms, "
                    f"p95 {percentile(submissions, 0.95) * 1000:6.0f} ms; "
                    f"slow clients attached at the end: {attached} of {2 * slow_count}"
                )
        finally:
            server.terminate()
            server.wait(timeout=30)
        kill_under_load(data, args.crash_acks)


def kill_under_load(data: Path, acks: int) -> None:
    """`kill -9` of the server mid-write under a burst of reports with files, then a start."""
    import time

    from kalkan.core.testing import ReportBurst, after_crash, free_port, kill_mid_write, serve
    from kalkan.intake.tests.test_faults import photo

    port = free_port()
    server = serve(data, port, KALKAN_REPORTS_PER_MINUTE="600", KALKAN_REPORTS_PER_VISITOR="200")
    burst = ReportBurst(f"http://127.0.0.1:{port}", CRASH_REPORTERS, photo(1600, 1200, seed=9))
    try:
        deadline = time.monotonic() + 300
        while burst.acknowledged() < acks and time.monotonic() < deadline:
            time.sleep(0.05)
        caught = kill_mid_write(server, data)
    finally:
        if server.poll() is None:
            server.kill()
        burst.stop()
    before = after_crash(data, {}, burst.receipts)
    restarted = serve(data, port)  # its start cleans up
    restarted.terminate()
    restarted.wait(timeout=30)
    after = after_crash(data, {}, burst.receipts)
    print(
        f"kill -9 under load ({CRASH_REPORTERS} reporters, 2 files each; killed "
        f"{'mid-write' if caught else 'between writes'}): "
        f"{len(burst.receipts)} acknowledged, {after.lost} lost (must be 0); orphans left by "
        f"the crash: {before.orphan_files} files, {before.orphan_keys} key rows; after the next "
        f"start: {after.orphan_files} files, {after.orphan_keys} key rows (must be 0)"
    )


# --- backups ------------------------------------------------------------------------------

FILE_BYTES = 512 * 1024
ADD_FILES = """
import os, uuid
from kalkan.intake.services import Submission, submit_report
from kalkan.intake.uploads import SealedUpload
from kalkan.vault.files import SealedFileWriter
from kalkan.vault.records import new_content_key
for i in range({count}):
    row, key = new_content_key(None, save=False)
    evidence = uuid.uuid4()
    writer = SealedFileWriter(key, str(evidence), row.sealed_in_epoch)
    writer.write(os.urandom({size}))
    upload = SealedUpload(evidence, row, key, f"scan-{{i}}.pdf", "application/pdf",
                          writer.close(), b"%PDF")
    submit_report(Submission(narrative=f"Fictional benchmark report {{i}}"), [upload])
"""


def _timed(*args: str, stdin: str = "") -> tuple[float, str]:
    import subprocess

    from kalkan.core.testing import cli_env

    start = time.perf_counter()
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "kalkan.cli", *args], input=stdin, capture_output=True,
        text=True, env=cli_env(), timeout=6 * 3600, check=False,
    )
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"kalkan {' '.join(args[:2])} failed: {done.stderr.strip()}")
    return took, done.stdout


def _inside(said: str) -> str:
    """The seconds the command itself reports (without Python's start and Django's setup)."""
    import re

    found = re.search(r"([\d.]+) s\)?[:.]", said) or re.search(r"; ([\d.]+) s\)", said)
    return f" ({found.group(1)} s inside)" if found else ""


def _measure_backup(label: str, data: Path, admin: str, passphrase: str, tmp: Path) -> None:
    out = tmp / f"{label}.kbak"
    create, created = _timed("backup", "create", "--data-dir", str(data), "--output", str(out))
    drill, drilled = _timed("backup", "drill", "--data-dir", str(data), str(out))
    restore, _ = _timed("backup", "restore", str(out), "--data-dir", str(tmp / f"{label}-restored"),
                     "--user", admin, stdin=passphrase + "\n")
    database = data / "kalkan.sqlite3"
    files = sum(p.stat().st_size for p in (data / "files").glob("*")) if (
        data / "files").is_dir() else 0
    print(
        f"{label:>22}: database {database.stat().st_size / 1e6:7.1f} MB, files "
        f"{files / 1e6:7.1f} MB -> archive {out.stat().st_size / 1e6:7.1f} MB; "
        f"backup {create:6.1f} s{_inside(created)}, drill {drill:6.1f} s{_inside(drilled)}, "
        f"restore {restore:6.1f} s (whole processes)"
    )


def backups(acts: int) -> None:
    import re

    from kalkan.core.testing import kalkan

    print(f"kalkan backup benchmark on {os.cpu_count()} cores (SQLite, production settings)")
    with tempfile.TemporaryDirectory(prefix="kalkan-bench-backup-") as tmp_name:
        tmp = Path(tmp_name)
        demo = kalkan("demo", "--no-serve", "--data-dir", str(tmp / "demo"))
        login = re.search(r"^\s+(admin\.\w+)\s+(\S+)\s+Administrator", demo.stdout, re.M)
        if login is None:
            raise SystemExit("the demo printed no administrator")
        _measure_backup("demo", tmp / "demo", login.group(1), login.group(2), tmp)

        data = tmp / "acts"
        init = kalkan("init", "--data-dir", str(data), "--admin", "bench", "--non-interactive",
                      "--show-escrow")
        passphrase = re.search(r"^PASSPHRASE=(.*)$", init.stdout, re.M)
        if passphrase is None:
            raise SystemExit("kalkan init printed no passphrase")
        start = time.perf_counter()
        _timed("generate_records", "--data-dir", str(data), "--acts", str(acts), "--as",
               "bench", stdin=passphrase.group(1) + "\n")
        reports = max(1, acts // 100)
        _timed("shell", "--data-dir", str(data), "-c",
               ADD_FILES.format(count=reports, size=FILE_BYTES))
        print(f"  (generated {acts} acts and {reports} reports with a file each in "
              f"{time.perf_counter() - start:.0f} s, not timed below)")
        _measure_backup(f"{acts} acts", data, "bench", passphrase.group(1), tmp)


if __name__ == "__main__":
    main()
