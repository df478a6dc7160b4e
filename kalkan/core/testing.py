"""Test characters and helpers, shared by the whole suite through the root conftest.py.

The cast (all fictional): Amir the administrator, Bota the responder, Chingiz the
documentation officer, Dana the analyst, and Erlan, an outsider whose account was disabled
after he left the organisation.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from kalkan.accounts.decorators import REAUTH_KEY
from kalkan.accounts.models import User
from kalkan.accounts.roles import Role
from kalkan.accounts.services import disable_staff, enrol_staff
from kalkan.accounts.totp import current_code, device_of
from kalkan.vault.keyring import Keyring
from kalkan.vault.services import Founding, found_organisation, unlock
from kalkan.vault.session import COOKIE_NAME, seal_into


@dataclass
class Character:
    user: User
    passphrase: str = field(repr=False)

    @property
    def username(self) -> str:
        return self.user.username

    def keyring(self) -> Keyring:
        keyring = unlock(self.user, self.passphrase)
        if keyring is None:
            raise RuntimeError(f"{self.user} cannot unlock")
        return keyring

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


@pytest.fixture(autouse=True)
def no_working_sets_between_tests() -> Iterator[None]:
    """Working sets and rate-limit counters live in process memory, snapshots in the data
    directory: each test starts and ends without any."""
    import shutil

    from django.conf import settings
    from django.core.cache import cache

    from kalkan.vault import workingset

    def forget() -> None:
        workingset.drop_all()
        cache.clear()  # rate-limit counters too
        shutil.rmtree(settings.DATA_DIR / "workingset", ignore_errors=True)

    forget()
    yield
    forget()


@pytest.fixture
def organisation(db: None) -> Founding:
    """The organisation's keys, as `kalkan init` makes them (escrow secret included)."""
    return found_organisation()


def _character(founding: Founding, username: str, role: str) -> Character:
    enrolment = enrol_staff(username, role, actor=None, keyring=founding.keyring)
    return Character(enrolment.user, enrolment.passphrase)


@pytest.fixture
def amir(organisation: Founding) -> Character:
    return _character(organisation, "amir", Role.ADMIN)


@pytest.fixture
def bota(organisation: Founding) -> Character:
    return _character(organisation, "bota", Role.RESPONDER)


@pytest.fixture
def chingiz(organisation: Founding) -> Character:
    return _character(organisation, "chingiz", Role.DOCUMENTER)


@pytest.fixture
def dana(organisation: Founding) -> Character:
    return _character(organisation, "dana", Role.ANALYST)


@pytest.fixture
def erlan(organisation: Founding, amir: Character) -> Character:
    erlan = _character(organisation, "erlan", Role.RESPONDER)
    disable_staff(erlan.user, actor=amir.user, keyring=amir.keyring())
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


def fresh_database() -> dict[str, str]:
    """The environment for a new, empty database on the backend this suite runs on (a new
    PostgreSQL database; for SQLite nothing: the instance makes its own file)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return {}
    name = f"kalkan_cli_{uuid.uuid4().hex[:12]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    parts = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
    return {"DATABASE_URL": urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))}


# A printed passphrase: six list words joined by "-". Four list words have a hyphen of their
# own (t-shirt, yo-yo, drop-down, felt-tip), so a line may show up to nine.
PASSPHRASE_PATTERN = r"[a-z]+(?:-[a-z]+){5,9}"  # noqa: S105 (a pattern, not a secret)

CLI_ENV_DROPPED = ("DATABASE_URL", "KALKAN_DATA_DIR", "DJANGO_SETTINGS_MODULE")


def kalkan(*args: str, env: dict[str, str] | None = None,
           input: str | None = None) -> subprocess.CompletedProcess[str]:  # noqa: A002
    """Run the real `kalkan` command in a fresh process (`input` is its standard input)."""
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "kalkan.cli", *args],
        capture_output=True,
        text=True,
        input=input,
        env=cli_env(env),
        timeout=120,
        check=False,
    )


def new_instance(data: Path) -> dict[str, str]:
    """`kalkan init` (scripted) of an instance in `data` on the suite's backend; returns the
    environment naming its database, for `kalkan` and `serve`."""
    database = fresh_database()
    init = kalkan("init", "--data-dir", str(data), "--admin", "amir", "--non-interactive",
                  "--show-escrow", env=database)
    assert init.returncode == 0, init.stderr  # noqa: S101 (a test helper)
    return database


def serve(data: Path, port: int, **env: str) -> subprocess.Popen[str]:
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "kalkan.cli", "serve", "--data-dir", str(data), "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=cli_env(env), text=True,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/en/", timeout=2)  # noqa: S310
            return server
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise AssertionError("kalkan serve did not start")


def csrf_token_in(page: str) -> str:
    """The CSRF token of the form on a page, as a browser would send it back."""
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if token is None:
        raise RuntimeError("no form with a CSRF token on this page")
    return token.group(1)


class Reporter:
    """A browser-like client: its own cookies (session and CSRF), the form's token."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def post_form(
        self, path: str, fields: dict[str, str], files: list[tuple[str, bytes]] | None = None
    ) -> str:
        """The form's answer; `files` (name, content) go with it as a browser uploads them."""
        page = self.opener.open(self.base + path, timeout=30).read().decode()  # noqa: S310
        form = {**fields, "csrfmiddlewaretoken": csrf_token_in(page)}
        headers = {"Origin": "null"}
        if files is None:
            data = urllib.parse.urlencode(form).encode()
        else:
            uploads = []
            for name, content in files:
                upload = io.BytesIO(content)
                upload.name = name
                uploads.append(upload)
            data = encode_multipart(BOUNDARY, {**form, "files": uploads})
            headers["Content-Type"] = MULTIPART_CONTENT
        request = urllib.request.Request(  # noqa: S310 (http on loopback)
            self.base + path, data=data, headers=headers
        )
        try:
            return self.opener.open(request, timeout=60).read().decode()  # noqa: S310
        except urllib.error.HTTPError as error:
            return error.read().decode()


def log_in(client: Client, character: Character, *, recent: bool = True) -> Client:
    """Start a verified, unlocked staff session without going through the login form."""
    client.force_login(character.user)
    session = client.session
    device = _device(character.user)
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    if recent:
        session[REAUTH_KEY] = int(time.time())
    # A disabled person's keys are gone; their stale session still carries an (empty) keyring.
    keyring = unlock(character.user, character.passphrase) or Keyring(character.user.pk, None)
    cookie = seal_into(session, character.user.pk, keyring)
    session.save()
    client.cookies[COOKIE_NAME] = cookie
    return client


@pytest.fixture
def csrf_client() -> Client:
    return Client(enforce_csrf_checks=True)


class SlowClients:
    """Connections that each send one more byte every half second and never finish:
    `headers` of them inside the headers, `bodies` inside a report body (threat 7). A thread
    keeps them trickling until stop(), or for three minutes at most, so a run always ends."""

    def __init__(self, port: int, headers: int, bodies: int) -> None:
        self.sockets: list[socket.socket] = []
        self.rounds = 0
        self._stop = threading.Event()
        body_head = (
            "POST /en/report/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: {MULTIPART_CONTENT}\r\nContent-Length: 1000000\r\n\r\n"
            f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"narrative\"\r\n\r\n"
        ).encode()
        for i in range(headers + bodies):
            sock = socket.create_connection(("127.0.0.1", port), timeout=30)
            sock.sendall(
                b"GET /en/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " if i < headers else body_head
            )
            self.sockets.append(sock)
        self._thread = threading.Thread(target=self._trickle, daemon=True)
        self._thread.start()

    def _trickle(self) -> None:
        deadline = time.monotonic() + 180
        while not self._stop.is_set() and time.monotonic() < deadline:
            for sock in self.sockets:
                with contextlib.suppress(OSError):  # counted by still_attached()
                    sock.send(b"a")
            self.rounds += 1
            self._stop.wait(0.5)

    def still_attached(self) -> int:
        """How many the server has not closed (a closed one reads as end-of-file)."""
        attached = 0
        for sock in self.sockets:
            sock.setblocking(False)
            try:
                attached += sock.recv(1) != b""
            except BlockingIOError:
                attached += 1
            except OSError:
                pass
        return attached

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        for sock in self.sockets:
            sock.close()


RECEIPT_PATTERN = r'<p class="secret">([\d ]+)</p>'


class ReportBurst:
    """`clients` reporters sending reports with two files each (a 2 MB document and a
    photo) as fast as the server takes them, until stop(); the receipts answered are kept:
    those reports were acknowledged. Requests that fail (the server was killed) count as
    not acknowledged. A thread stops after three minutes at most, so a run always ends."""

    def __init__(self, base: str, clients: int, photo: bytes) -> None:
        self.receipts: list[str] = []
        self.failed = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._files = [("minutes.pdf", os.urandom(2 * 1048576)), ("yard.jpg", photo)]
        self._base = base
        self._threads = [threading.Thread(target=self._send, args=(n,), daemon=True)
                         for n in range(clients)]
        for thread in self._threads:
            thread.start()

    def _send(self, n: int) -> None:
        deadline = time.monotonic() + 180
        sent = 0
        while not self._stop.is_set() and time.monotonic() < deadline:
            sent += 1
            fields = {"reporter_role": "witness", "narrative": f"burst {n}-{sent}"}
            try:
                page = Reporter(self._base).post_form("/en/report/", fields, self._files)
            except (OSError, http.client.HTTPException):
                with self._lock:
                    self.failed += 1
                self._stop.wait(0.2)
                continue
            receipt = re.search(RECEIPT_PATTERN, page)
            with self._lock:
                if receipt:
                    self.receipts.append(receipt.group(1))
                else:
                    self.failed += 1

    def acknowledged(self) -> int:
        with self._lock:
            return len(self.receipts)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=70)


def kill_mid_write(server: subprocess.Popen[str], data: Path, patience: float = 30) -> bool:
    """SIGKILL the server as soon as an upload is being written (a `.partial` file in its
    data directory), or after `patience` seconds. Returns whether it was caught mid-write."""
    files = data / "files"
    deadline = time.monotonic() + patience
    caught = False
    while time.monotonic() < deadline and not caught:
        with contextlib.suppress(FileNotFoundError):
            caught = any(p.suffix == ".partial" for p in files.iterdir())
        if not caught:
            time.sleep(0.002)
    os.kill(server.pid, signal.SIGKILL)
    server.wait(timeout=30)
    return caught


@dataclass(frozen=True)
class AfterCrash:
    lost: int  # acknowledged reports missing, or missing a file
    orphan_files: int  # encrypted files (and `.partial` ones) no record names
    orphan_keys: int  # content-key rows no record uses


_AFTER_CRASH = """
import json
from kalkan.core.cleanup import _referenced_files, _unreferenced_keys
from kalkan.intake.models import Evidence
from kalkan.intake.services import find_mailbox
from kalkan.vault.files import files_dir
present = {p.name for p in files_dir().iterdir()}
lost = 0
for receipt in json.loads(%r):
    found = find_mailbox(receipt)
    evidence = Evidence.objects.filter(report_id=found[0].report_id) if found else []
    names = [n for e in evidence for n in (e.original_file, e.working_file) if n]
    lost += found is None or len(evidence) != %d or not set(names) <= present
used = _referenced_files()
print("aftercrash", lost, len([n for n in present if n not in used]), len(_unreferenced_keys()))
"""


def after_crash(data: Path, env: dict[str, str], receipts: list[str], files: int = 2) -> AfterCrash:
    """What the instance holds now (the server stopped): acknowledged reports lost, and
    orphans a crash left that nothing cleaned."""
    shown = kalkan("shell", "-c", _AFTER_CRASH % (json.dumps(receipts), files),
                   "--data-dir", str(data), env=env)
    counts = re.search(r"aftercrash (\d+) (\d+) (\d+)", shown.stdout)
    if counts is None:
        raise RuntimeError(f"the instance could not be inspected: {shown.stderr[-2000:]}")
    return AfterCrash(*(int(c) for c in counts.groups()))
