"""No request bodies, addresses or user agents in logs (security.md)."""

from __future__ import annotations

import io
import logging
import logging.config
import sys

import pytest
from django.conf import settings


@pytest.mark.django_db
def test_requests_leave_nothing_in_the_logs(client, monkeypatch):
    # Kalkan's logging configuration, applied afresh with stderr (the service journal in
    # production) going to a buffer we can read.
    journal = io.StringIO()
    monkeypatch.setattr(sys, "stderr", journal)
    logging.config.dictConfig(settings.LOGGING)
    try:
        client.post(
            "/en/staff/login/",
            {"username": "CANARY-user", "passphrase": "CANARY-pass", "code": "123456"},
            REMOTE_ADDR="203.0.113.77",
            HTTP_USER_AGENT="CANARY-agent",
        )
        # Django would log "Not Found: <path>" if its request logger were not silenced.
        client.get("/en/CANARY-path/", REMOTE_ADDR="203.0.113.77", HTTP_USER_AGENT="CANARY-agent")
        logging.getLogger("django.db").warning("a warning that does reach the journal")
    finally:
        monkeypatch.undo()
        logging.config.dictConfig(settings.LOGGING)
    text = journal.getvalue()
    assert "a warning that does reach the journal" in text
    assert "CANARY" not in text
    assert "203.0.113.77" not in text
