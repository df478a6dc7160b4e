"""`kalkan staff` from the terminal: the acting administrator unlocks with passphrase + code."""

from __future__ import annotations

import base64
import io
import sqlite3
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django_otp.oath import TOTP

from kalkan.audit.models import AuditEntry
from kalkan.audit.services import read_details
from kalkan.core.testing import cli_env, kalkan


def fresh_code(data, username: str, uri: str) -> str:
    """The code the person's app shows now, with the device's memory of used codes reset
    (as if the next 30-second window had begun)."""
    with sqlite3.connect(data / "kalkan.sqlite3") as db:
        db.execute(
            "UPDATE otp_totp_totpdevice SET last_t = -1, throttling_failure_count = 0 "
            "WHERE user_id = (SELECT id FROM accounts_user WHERE username = ?)",
            (username,),
        )
    secret = parse_qs(urlsplit(uri).query)["secret"][0]
    return f"{TOTP(base64.b32decode(secret)).token():06d}"


def staff(data, *args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "kalkan.cli", "staff", *args, "--data-dir", str(data)],
        input=stdin, capture_output=True, text=True, env=cli_env(), timeout=120, check=False,
    )


def test_an_admin_adds_reenrols_and_removes_staff_from_the_terminal(tmp_path):
    data = tmp_path / "inst"
    init = kalkan("init", "--data-dir", str(data), "--admin", "amir", "--non-interactive",
                  "--show-escrow")
    admin = dict(line.split("=", 1) for line in init.stdout.splitlines())

    def as_amir() -> str:
        return f"{admin['PASSPHRASE']}\n{fresh_code(data, 'amir', admin['TOTP_URI'])}\n"

    added = staff(data, "add", "nurlan", "--role", "responder", "--as", "amir", stdin=as_amir())
    assert added.returncode == 0, added.stderr
    assert "Staff member: nurlan (responder)" in added.stdout
    listed = kalkan("staff", "list", "--data-dir", str(data))
    assert "nurlan" in listed.stdout and "active" in listed.stdout

    wrong = staff(data, "remove", "nurlan", "--as", "amir", stdin="not-it\n000000\n")
    assert wrong.returncode != 0
    assert "the username, passphrase or code is not right" in wrong.stderr

    reenrolled = staff(data, "reenrol", "nurlan", "--as", "amir", stdin=as_amir())
    assert reenrolled.returncode == 0, reenrolled.stderr
    assert "Passphrase:" in reenrolled.stdout

    removed = staff(data, "remove", "nurlan", "--as", "amir", stdin=as_amir())
    assert removed.returncode == 0, removed.stderr
    assert "organisation keys now at epoch 2" in removed.stdout
    assert "disabled" in kalkan("staff", "list", "--data-dir", str(data)).stdout

    yourself = staff(data, "remove", "amir", "--as", "amir", stdin=as_amir())
    assert "You cannot disable your own account." in yourself.stderr
    assert kalkan("audit", "verify", "--data-dir", str(data)).returncode == 0


def test_a_person_changes_their_passphrase_from_the_terminal(tmp_path):
    data = tmp_path / "inst"
    init = kalkan("init", "--data-dir", str(data), "--admin", "amir", "--non-interactive",
                  "--show-escrow")
    admin = dict(line.split("=", 1) for line in init.stdout.splitlines())

    def code() -> str:
        return fresh_code(data, "amir", admin["TOTP_URI"])

    weak = staff(data, "passphrase", "amir", stdin=f"{admin['PASSPHRASE']}\n{code()}\n12345\n")
    assert weak.returncode != 0
    assert "This password is too short." in weak.stderr
    new = "orbit-marmalade-spindle-harbor-cobalt-quietly"
    changed = staff(data, "passphrase", "amir", stdin=f"{admin['PASSPHRASE']}\n{code()}\n{new}\n")
    assert changed.returncode == 0, changed.stderr
    again = staff(data, "passphrase", "amir", stdin=f"{admin['PASSPHRASE']}\n{code()}\n{new}x\n")
    assert "the passphrase or code is not right" in again.stderr
    with sqlite3.connect(data / "kalkan.sqlite3") as db:
        # Counted like a failed login.
        assert db.execute("SELECT failed_logins FROM accounts_user").fetchone() == (1,)


def _make_wait(character) -> None:
    from kalkan.accounts import services

    for _ in range(settings.LOCKOUT_FAILURES):
        services.check_credentials(character.username, character.passphrase, "000000", purpose="t")


def test_unlock_ends_the_wait_from_the_terminal(bota, amir):
    from kalkan.accounts import services

    _make_wait(bota)
    held = services.check_credentials("bota", bota.passphrase, bota.code(), purpose="t")
    assert held.refusal is services.Refusal.DELAYED
    out = io.StringIO()
    call_command("staff", "list", stdout=out)
    assert "waiting after failed logins" in out.getvalue()
    call_command("staff", "unlock", "bota", stdout=out)
    assert "bota can log in again at once." in out.getvalue()
    assert services.check_credentials("bota", bota.passphrase, bota.code(), purpose="t").user
    entry = AuditEntry.objects.get(action="staff.unlock", object_id=str(bota.user.pk))
    assert entry.actor_id is None  # someone on the server
    assert read_details(entry, amir.keyring()) == {"via": "terminal"}


def test_unlock_names_an_unknown_person(db):
    with pytest.raises(CommandError, match="there is no staff member 'nobody'"):
        call_command("staff", "unlock", "nobody")
