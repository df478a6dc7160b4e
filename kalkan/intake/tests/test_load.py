"""200 submissions from 20 parallel clients against a real `kalkan serve`: all stored, all
receipts work (the issue's load check; benchmarks/intake.py measures the speed)."""

from __future__ import annotations

import re
import threading

import pytest

from kalkan.core.testing import Reporter, free_port, kalkan, new_instance, serve


@pytest.mark.django_db(transaction=True)
def test_200_submissions_from_20_parallel_clients(tmp_path):
    """On the suite's own backend: SQLite, or a new PostgreSQL database."""
    data = tmp_path / "inst"
    database = new_instance(data)
    port = free_port()
    server = serve(data, port, KALKAN_REPORTS_PER_MINUTE="600", KALKAN_THREADS="20", **database)
    receipts: list[str] = []
    failures: list[str] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        for i in range(10):
            page = Reporter(f"http://127.0.0.1:{port}").post_form(
                "/en/report/",
                {"reporter_role": "witness", "narrative": f"load test report {n}-{i}"},
            )
            match = re.search(r'<p class="secret">([\d ]+)</p>', page)
            with lock:
                (receipts.append(match.group(1)) if match else failures.append(page[:300]))

    try:
        threads = [threading.Thread(target=client, args=(n,)) for n in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        assert len(set(receipts)) == 200
        # Every receipt opens its mailbox (a sample, each from its own session).
        for receipt in receipts[::20]:
            page = Reporter(f"http://127.0.0.1:{port}").post_form(
                "/en/mailbox/", {"receipt": receipt}
            )
            assert "No answer yet" in page
    finally:
        server.terminate()
        server.wait(timeout=30)
    counted = kalkan(
        "shell", "--verbosity", "0", "-c",
        "from kalkan.intake.models import Mailbox, Report; "
        "print(Report.objects.count(), Mailbox.objects.count())",
        "--data-dir", str(data), env=database,
    )
    assert counted.stdout.split() == ["200", "200"], counted.stderr
