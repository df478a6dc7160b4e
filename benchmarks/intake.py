"""Intake figures on this machine, in one run (issues: Confidential intake; Speed).

    .venv/bin/python benchmarks/intake.py [--per-level 60]

Starts `kalkan serve` on loopback with a new instance (production settings), then for 1, 10
and 20 concurrent clients sends a bounded number of text-only reports (each client its own
session, as browsers are: it loads the form, then sends it) and the same number of plain page
views. Prints p50/p95 latency, submissions per second, and the ratio of a submission's latency
to a page view's. Then the same 20
clients against a plain Django form that stores the same text unencrypted
(benchmarks/plain_form.py, served by waitress with the same threads on SQLite with the same
durability), and the line `kalkan / plain form throughput at 20 clients: X.XX`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
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


def wait_until_idle(pid: int) -> None:
    """Until the server has finished what it prepares at start (the redaction model loads in
    a thread beside it) and its CPU time stands still: what it does then is what is measured."""
    ticks = os.sysconf("SC_CLK_TCK")

    def cpu_seconds() -> float:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / ticks

    for _ in range(120):
        before = cpu_seconds()
        time.sleep(1)
        if cpu_seconds() - before < 0.05:
            return


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


def plain_form_rate(clients: int, total: int) -> tuple[float, float]:
    """(reports/s, p95 seconds) of the plain form at `clients` concurrent clients."""
    from kalkan.core.testing import free_port

    with tempfile.TemporaryDirectory(prefix="kalkan-bench-plain-") as tmp:
        port = free_port()
        server = subprocess.Popen(  # noqa: S603
            [sys.executable, str(ROOT / "benchmarks" / "plain_form.py"), "--port", str(port),
             "--data-dir", tmp],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(base + "/en/", timeout=2)  # noqa: S310
                    break
                except OSError:
                    time.sleep(0.2)
            run_level(base, 1, 3)  # warm up
            submissions, _views, wall = run_level(base, clients, total)
        finally:
            server.terminate()
            server.wait(timeout=30)
    return len(submissions) / wall, percentile(submissions, 0.95)


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
            wait_until_idle(server.pid)
            run_level(base, 1, 3)  # warm up
            print(f"kalkan intake benchmark on {os.cpu_count()} cores")
            rates = {}
            for clients in (1, 10, 20):
                total = max(clients, args.per_level - args.per_level % clients)
                submissions, views, wall = run_level(base, clients, total)
                rates[clients] = len(submissions) / wall
                p50 = statistics.median(submissions)
                print(
                    f"{clients:>2} clients, {len(submissions)} reports: p50 {p50 * 1000:6.0f} ms, "
                    f"p95 {percentile(submissions, 0.95) * 1000:6.0f} ms, "
                    f"{len(submissions) / wall:5.1f} reports/s; submission/page-view latency "
                    f"{p50 / statistics.median(views):5.1f}×"
                )
        finally:
            server.terminate()
            server.wait(timeout=30)
    total = max(20, args.per_level - args.per_level % 20)
    plain_rate, plain_p95 = plain_form_rate(20, total)
    print(f"plain form, 20 clients, {total} reports: p95 {plain_p95 * 1000:6.0f} ms, "
          f"{plain_rate:5.1f} reports/s")
    print(f"kalkan / plain form throughput at 20 clients: {rates[20] / plain_rate:.2f}")


if __name__ == "__main__":
    main()
