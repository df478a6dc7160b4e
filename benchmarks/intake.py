"""Intake figures on this machine, in one run (issues: Confidential intake; Speed).

    .venv/bin/python benchmarks/intake.py [--per-level 60] [--repeat 3]

Starts `kalkan serve` on loopback with a new instance (production settings), then for 1, 10
and 20 concurrent clients sends a bounded number of text-only reports (each client its own
session, as browsers are: it loads the form, then sends it) and the same number of plain page
views. Prints p50/p95 latency, submissions per second, and the ratio of a submission's latency
to a page view's. The 20 clients then go, in turn with Kalkan's, to a plain Django form that
stores the same text unencrypted (benchmarks/plain_form.py, served by waitress with the same
threads on SQLite with the same durability), `--repeat` rounds, each Kalkan level starting
in a new minute (the instance-wide limit counts 600 reports a minute, and the levels before
would otherwise use it up). The last line, `kalkan / plain form throughput at 20 clients:
X.XX`, is the median of the rounds' ratios; both rates swing by a fifth from run to run on
a small virtual machine, so judge it over several rounds.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
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


@contextlib.contextmanager
def plain_form() -> Iterator[str]:
    """The plain form served on loopback (benchmarks/plain_form.py); yields its base URL."""
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
            yield base
        finally:
            server.terminate()
            server.wait(timeout=30)


def next_minute() -> None:
    """Wait for the instance-wide limit's next window (600 reports a minute, counted in
    fixed minutes): a level measured after others would otherwise run into it."""
    time.sleep(60 - time.time() % 60 + 0.5)


def level(base: str, clients: int, total: int, who: str = "kalkan"
          ) -> tuple[float, float, float, int]:
    """(reports/s, p50, p95, reports stored) of `total` reports from `clients` clients."""
    submissions, views, wall = run_level(base, clients, total)
    print(
        f"{who:<10} {clients:>2} clients, {len(submissions)} of {total} reports: "
        f"p50 {statistics.median(submissions) * 1000:6.0f} ms, "
        f"p95 {percentile(submissions, 0.95) * 1000:6.0f} ms, "
        f"{len(submissions) / wall:5.1f} reports/s; submission/page-view latency "
        f"{statistics.median(submissions) / statistics.median(views):5.1f}×"
    )
    return (len(submissions) / wall, statistics.median(submissions),
            percentile(submissions, 0.95), len(submissions))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-level", type=int, default=60, help="submissions per level")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of the 20-client "
                        "comparison, Kalkan and the plain form in turn; the ratio printed "
                        "last is the median of the rounds")
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
            for clients in (1, 10):
                level(base, clients, max(clients, args.per_level - args.per_level % clients))
            total = max(20, args.per_level - args.per_level % 20)
            ratios = []
            with plain_form() as plain:
                for round_number in range(1, args.repeat + 1):
                    next_minute()
                    kalkan_rate, *_kalkan = level(base, 20, total)
                    plain_rate, *_plain = level(plain, 20, total, "plain form")
                    ratios.append(kalkan_rate / plain_rate)
                    print(f"round {round_number}: kalkan / plain form {ratios[-1]:.2f}")
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"kalkan / plain form throughput at 20 clients: {statistics.median(ratios):.2f}"
          + (f" (median of {len(ratios)}: {', '.join(f'{r:.2f}' for r in ratios)})"
             if len(ratios) > 1 else ""))


if __name__ == "__main__":
    main()
