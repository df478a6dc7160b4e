"""The audit log is hash-chained: a changed, removed or reordered entry is detected."""

from __future__ import annotations

import sqlite3

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from kalkan.audit.models import AuditEntry
from kalkan.audit.services import record, verify
from kalkan.core.testing import kalkan, log_in


@pytest.fixture
def three_entries(organisation):
    for action in ("login", "staff.add", "logout"):
        record(action, actor_id=7, object_id="42", details={"role": "analyst"})


def raw(sql: str, params: list[str | int]) -> None:
    # An attacker with the database file does not go through the model's append-only guard.
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_it_verifies_an_intact_chain(three_entries):
    result = verify()
    assert result.intact
    assert result.entries == 3


def test_it_detects_a_changed_entry(three_entries):
    raw("UPDATE audit_auditentry SET action = %s WHERE seq = %s", ["audit.view", 2])
    result = verify()
    assert not result.intact
    assert result.problem == "entry #2 was changed"


def test_it_detects_changed_details(three_entries):
    raw("UPDATE audit_auditentry SET details = %s WHERE seq = %s", ['{"role": "admin"}', 1])
    assert verify().problem == "entry #1 was changed"


def test_it_detects_a_removed_entry(three_entries):
    raw("DELETE FROM audit_auditentry WHERE seq = %s", [2])
    assert verify().problem == "entry #2 is missing"


def test_it_detects_the_last_entry_removed(three_entries):
    raw("DELETE FROM audit_auditentry WHERE seq = %s", [3])
    assert not verify().intact


def test_it_detects_reordered_entries(three_entries):
    first = AuditEntry.objects.get(seq=1)
    second = AuditEntry.objects.get(seq=2)
    raw("UPDATE audit_auditentry SET seq = %s WHERE seq = %s", [99, 1])
    raw("UPDATE audit_auditentry SET seq = %s WHERE seq = %s", [1, 2])
    raw("UPDATE audit_auditentry SET seq = %s WHERE seq = %s", [2, 99])
    assert AuditEntry.objects.get(seq=1).pk == second.pk
    assert AuditEntry.objects.get(seq=2).pk == first.pk
    assert not verify().intact


def test_it_refuses_to_change_or_delete_through_the_model(three_entries):
    entry = AuditEntry.objects.get(seq=1)
    entry.action = "nothing"
    with pytest.raises(ValueError, match="append-only"):
        entry.save()
    with pytest.raises(ValueError, match="append-only"):
        entry.delete()


def test_the_command_reports_a_break(three_entries, capsys):
    call_command("audit", "verify")
    assert "audit log intact: 3 entries" in capsys.readouterr().out
    raw("UPDATE audit_auditentry SET object_id = %s WHERE seq = %s", ["43", 3])
    with pytest.raises(CommandError, match="entry #3 was changed") as failure:
        call_command("audit", "verify")
    assert failure.value.returncode == 1


def test_it_shows_the_log_to_admins_only(client, amir, bota):
    log_in(client, bota)
    assert client.get("/en/staff/audit/").status_code == 403
    log_in(client, amir)
    response = client.get("/en/staff/audit/")
    assert response.status_code == 200
    assert b"The chain is intact" in response.content
    assert b"staff.add" in response.content


def test_it_shows_a_broken_chain_on_the_page(client, amir):
    raw("UPDATE audit_auditentry SET action = %s WHERE seq = %s", ["x", 1])
    log_in(client, amir)
    response = client.get("/en/staff/audit/")
    assert b"The chain is broken" in response.content


def test_it_sends_anonymous_visitors_to_login(client):
    assert client.get("/en/staff/audit/")["Location"].startswith("/en/staff/login/")


def test_the_cli_exits_non_zero_on_a_break(tmp_path):
    data = tmp_path / "inst"
    kalkan("init", "--data-dir", str(data), "--admin", "amir", "--non-interactive", "--show-escrow")
    assert kalkan("audit", "verify", "--data-dir", str(data)).returncode == 0
    with sqlite3.connect(data / "kalkan.sqlite3") as db:
        db.execute("UPDATE audit_auditentry SET action = 'login'")
    result = kalkan("audit", "verify", "--data-dir", str(data))
    assert result.returncode == 1
    assert "audit log BROKEN: entry #1 was changed" in result.stderr
