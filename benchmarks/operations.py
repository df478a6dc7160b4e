"""Operations figures on this machine (issue 14: a public side one attacker cannot silence).

    .venv/bin/python benchmarks/operations.py [--reports 100] [--slow 60]

Starts `kalkan serve` on loopback with a new instance, attaches `--slow` clients that trickle
headers and as many that trickle report bodies (one byte every half second, never finishing),
then has 20 reporters send `--reports` text-only reports between them, each from its own
session. Prints reports per second and p50/p95 latency, first without and then with the slow
clients, and how many slow clients were still attached at the end. Loopback only; every loop
is bounded.
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=100, help="reports per measurement")
    parser.add_argument("--slow", type=int, default=60, help="slow clients of each kind")
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


if __name__ == "__main__":
    main()
