"""A real `kalkan serve` killed with SIGKILL in the middle of a burst of reports with files
(issue 14): every report whose receipt was answered is stored whole, and what the crash left
half-written (an upload's `.partial` file, a finished file whose record never committed, a key
row) is gone after the next start. Runs on the suite's backend (SQLite or PostgreSQL)."""

from __future__ import annotations

import time

import pytest

from kalkan.core.testing import (
    ReportBurst,
    after_crash,
    free_port,
    kill_mid_write,
    new_instance,
    serve,
)
from kalkan.intake.tests.test_faults import photo

pytestmark = pytest.mark.django_db(transaction=True)

LIMITS = {"KALKAN_REPORTS_PER_MINUTE": "600", "KALKAN_REPORTS_PER_VISITOR": "200"}
REPORTERS = 6
# Failure bounds only: a burst that never gets a receipt fails the test, it never waits on.
PATIENCE = 60


def test_kill_9_mid_burst_loses_nothing_acknowledged_and_the_next_start_cleans_up(tmp_path):
    data = tmp_path / "inst"
    database = new_instance(data)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    receipts: list[str] = []
    image = photo(800, 600, seed=9)
    # The kill must land while something is half-written; should it fall between two
    # writes, the burst runs again (three times at most).
    for _attempt in range(3):
        server = serve(data, port, **database, **LIMITS)
        burst = ReportBurst(base, REPORTERS, image)
        try:
            deadline = time.monotonic() + PATIENCE
            while burst.acknowledged() < REPORTERS and time.monotonic() < deadline:
                time.sleep(0.1)
            assert burst.acknowledged() >= REPORTERS, "the burst got no receipts"
            kill_mid_write(server, data)
        finally:
            if server.poll() is None:
                server.kill()
            burst.stop()
        receipts += burst.receipts
        left = after_crash(data, database, receipts)
        if left.orphan_files or left.orphan_keys:
            break
    assert left.lost == 0
    assert left.orphan_files + left.orphan_keys > 0, "no kill landed mid-write"

    server = serve(data, port, **database)  # its start cleans up
    server.terminate()
    server.wait(timeout=30)

    cleaned = after_crash(data, database, receipts)
    assert (cleaned.lost, cleaned.orphan_files, cleaned.orphan_keys) == (0, 0, 0)
    assert len(set(receipts)) == len(receipts) >= REPORTERS
