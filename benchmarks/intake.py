"""Intake figures on this machine, in one run (issue: Confidential intake).

    .venv/bin/python benchmarks/intake.py [--per-level 60]

Starts `kalkan serve` on loopback with a new instance (production settings: Argon2id for
receipts, 2 passes × 64 MiB twice per submission), then for 1, 10 and 20 concurrent clients
sends a bounded number of text-only reports (each client its own session, as browsers are)
and the same number of plain page views. Prints p50/p95 latency, submissions per second, the
share of a submission's time spent in Argon2 (measured in this process with the same
parameters), and the ratio of a submission's latency to a page view's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run_level(base: str, clients: int, total: int) -> tuple[list[float], list[float], float]:
    from kalkan.core.testing import Reporter

    submissions: list[float] = []
    views: list[float] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        for i in range(total // clients):
            reporter = Reporter(base)
            start = time.perf_counter()
            page = reporter.post_form(
                "/en/report/", {"reporter_role": "witness", "narrative": f"benchmark {n}-{i}"}
            )
            elapsed = time.perf_counter() - start
            assert 'class="secret"' in page, page[:300]
            start = time.perf_counter()
            urllib.request.urlopen(base + "/en/", timeout=30).read()  # noqa: S310
            viewed = time.perf_counter() - start
            with lock:
                submissions.append(elapsed)
                views.append(viewed)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return submissions, views, time.perf_counter() - start


def argon2_seconds() -> float:
    import nacl.pwhash.argon2id as argon2id

    from kalkan import settings as production

    runs = []
    for _ in range(5):
        start = time.perf_counter()
        for _salt in range(2):  # lookup key and unlock key
            argon2id.kdf(32, b"1234567890123456789012345", b"s" * 16,
                         opslimit=production.RECEIPT_OPSLIMIT,
                         memlimit=production.RECEIPT_MEMLIMIT)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-level", type=int, default=60, help="submissions per level")
    args = parser.parse_args()
    os.environ.pop("DATABASE_URL", None)
    # The helpers live with the test characters; the server itself runs with the
    # production settings of a new instance.
    os.environ["DJANGO_SETTINGS_MODULE"] = "kalkan.test_settings"
    import django

    django.setup()
    from kalkan.core.testing import free_port, kalkan, serve

    with tempfile.TemporaryDirectory(prefix="kalkan-bench-intake-") as tmp:
        data = Path(tmp) / "instance"
        kalkan("init", "--data-dir", str(data), "--admin", "bench", "--non-interactive",
               "--show-escrow")
        port = free_port()
        server = serve(data, port, KALKAN_REPORTS_PER_MINUTE="600")
        base = f"http://127.0.0.1:{port}"
        try:
            run_level(base, 1, 3)  # warm up
            argon2 = argon2_seconds()
            print(f"kalkan intake benchmark on {os.cpu_count()} cores; Argon2id per "
                  f"submission (2 × 2 passes × 64 MiB): {argon2 * 1000:.0f} ms")
            for clients in (1, 10, 20):
                total = max(clients, args.per_level - args.per_level % clients)
                submissions, views, wall = run_level(base, clients, total)
                p50 = statistics.median(submissions)
                print(
                    f"{clients:>2} clients, {len(submissions)} reports: p50 {p50 * 1000:6.0f} ms, "
                    f"p95 {percentile(submissions, 0.95) * 1000:6.0f} ms, "
                    f"{len(submissions) / wall:5.1f} reports/s; Argon2 share of p50 "
                    f"{min(1.0, argon2 / p50):4.0%}; submission/page-view latency "
                    f"{p50 / statistics.median(views):5.1f}×"
                )
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
