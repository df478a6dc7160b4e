"""No request bodies, addresses or user agents in logs (security.md)."""

from __future__ import annotations

import logging

import pytest


@pytest.mark.django_db
def test_requests_leave_nothing_in_the_logs(client, caplog):
    caplog.set_level(logging.DEBUG)
    client.post(
        "/en/staff/login/",
        {"username": "CANARY-user", "passphrase": "CANARY-pass", "code": "123456"},
        REMOTE_ADDR="203.0.113.77",
        HTTP_USER_AGENT="CANARY-agent",
    )
    # Django would log "Not Found: <path>" here if its request logger were not silenced.
    client.get("/en/CANARY-path/", REMOTE_ADDR="203.0.113.77", HTTP_USER_AGENT="CANARY-agent")
    client.post("/en/staff/login/", {}, HTTP_USER_AGENT="CANARY-agent")  # CSRF fine in tests
    text = caplog.text
    assert "CANARY" not in text
    assert "203.0.113.77" not in text
