"""Operations figures on this machine (issue 14: a public side one attacker cannot silence).

    .venv/bin/python benchmarks/operations.py [--reports 100] [--slow 60] [--crash-acks 20]

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
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
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
    args = parser.parse_args()
    os.environ.pop("DATABASE_URL", None)
    # The helpers live with the test characters; the server runs with production settings.
    os.environ["DJANGO_SETTINGS_MODULE"] = "kalkan.test_settings"
    import django

    django.setup()
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


if __name__ == "__main__":
    main()
