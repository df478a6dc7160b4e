"""Test characters and helpers, shared by the whole suite through the root conftest.py.

The cast (all fictional): Amir the administrator, Bota the responder, Chingiz the
documentation officer, Dana the analyst, and Erlan, an outsider whose account was disabled
after he left the organisation.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from kalkan.accounts.decorators import REAUTH_KEY
from kalkan.accounts.models import User
from kalkan.accounts.roles import Role
from kalkan.accounts.services import enrol_staff
from kalkan.accounts.totp import current_code, device_of


@dataclass
class Character:
    user: User
    passphrase: str

    @property
    def username(self) -> str:
        return self.user.username

    def code(self) -> str:
        """A valid code that has not been used yet (tests that are about reuse don't call this).

        The device forgets the last time step it accepted and any throttling, as if the
        next 30-second window had begun.
        """
        device = _device(self.user)
        device.last_t = -1
        device.throttling_failure_count = 0
        device.throttling_failure_timestamp = None
        device.save()
        return current_code(device)


def _device(user: User) -> TOTPDevice:
    device = device_of(user)
    if device is None:
        raise RuntimeError(f"{user} has no TOTP device")
    return device


def _character(username: str, role: str) -> Character:
    enrolment = enrol_staff(username, role, actor=None)
    return Character(enrolment.user, enrolment.passphrase)


@pytest.fixture
def amir(db: None) -> Character:
    return _character("amir", Role.ADMIN)


@pytest.fixture
def bota(db: None) -> Character:
    return _character("bota", Role.RESPONDER)


@pytest.fixture
def chingiz(db: None) -> Character:
    return _character("chingiz", Role.DOCUMENTER)


@pytest.fixture
def dana(db: None) -> Character:
    return _character("dana", Role.ANALYST)


@pytest.fixture
def erlan(db: None, amir: Character) -> Character:
    from kalkan.accounts.services import set_active

    erlan = _character("erlan", Role.RESPONDER)
    set_active(erlan.user, False, actor=amir.user)
    return erlan


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for running `kalkan` as a user would: no test settings, SQLite unless
    `extra` names a database."""
    env = {k: v for k, v in os.environ.items() if k not in CLI_ENV_DROPPED}
    env.update(extra or {})
    return env


CLI_ENV_DROPPED = ("DATABASE_URL", "KALKAN_DATA_DIR", "DJANGO_SETTINGS_MODULE")


def kalkan(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real `kalkan` command in a fresh process."""
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "kalkan.cli", *args],
        capture_output=True,
        text=True,
        env=cli_env(env),
        timeout=120,
        check=False,
    )


def log_in(client: Client, character: Character, *, recent: bool = True) -> Client:
    """Start a verified staff session without going through the login form."""
    client.force_login(character.user)
    session = client.session
    device = _device(character.user)
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    if recent:
        session[REAUTH_KEY] = int(time.time())
    session.save()
    return client


@pytest.fixture
def csrf_client() -> Client:
    return Client(enforce_csrf_checks=True)
