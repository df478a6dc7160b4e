"""`kalkan staff` from the terminal: the acting administrator unlocks with passphrase + code."""

from __future__ import annotations

import base64
import sqlite3
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

from django_otp.oath import TOTP

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
    weak = staff(data, "passphrase", "amir", stdin=f"{admin['PASSPHRASE']}\n12345\n")
    assert weak.returncode != 0
    assert "This password is too short." in weak.stderr
    new = "orbit-marmalade-spindle-harbor-cobalt-quietly"
    changed = staff(data, "passphrase", "amir", stdin=f"{admin['PASSPHRASE']}\n{new}\n")
    assert changed.returncode == 0, changed.stderr
    again = staff(data, "passphrase", "amir", stdin=f"{admin['PASSPHRASE']}\n{new}x\n")
    assert "this is not the current passphrase" in again.stderr
