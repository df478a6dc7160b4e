"""Threat 7 against the real `kalkan serve` on loopback: slow clients that trickle headers or
bodies do not stop it answering, and a body cut off half-way (the writing side closed, as a
dropped Tor circuit leaves it) stores nothing."""

from __future__ import annotations

import io
import re
import socket
import time
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from kalkan.core.testing import (
    Reporter,
    SlowClients,
    csrf_token_in,
    free_port,
    kalkan,
    new_instance,
    serve,
)
from kalkan.intake.tests.test_report import STORY

pytestmark = pytest.mark.django_db(transaction=True)

# What a reporter types, as a form without script sends it (one value per field).
TYPED = {name: value for name, value in STORY.items() if isinstance(value, str)}
SLOW_HEADERS = 60
SLOW_BODIES = 60
# A failure bound only: a server held by slow clients never answers at all.
PATIENCE = 30


def _instance(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    data = tmp_path / "inst"
    database = new_instance(data)
    return data, database


def _stored(data: Path, database: dict[str, str]) -> tuple[int, int]:
    """Reports in the instance's database and encrypted files in its data directory."""
    code = (
        "from kalkan.intake.models import Report; from kalkan.vault.files import files_dir; "
        "print('stored', Report.objects.count(), len(list(files_dir().iterdir())))"
    )
    shown = kalkan("shell", "-c", code, "--data-dir", str(data), env=database)
    assert shown.returncode == 0, shown.stderr
    counts = re.search(r"stored (\d+) (\d+)", shown.stdout)
    assert counts, shown.stdout
    return int(counts.group(1)), int(counts.group(2))


def test_sixty_slow_headers_and_sixty_slow_bodies_do_not_silence_it(tmp_path):
    data, database = _instance(tmp_path)
    port = free_port()
    server = serve(data, port, **database)
    base = f"http://127.0.0.1:{port}"
    slow = SlowClients(port, SLOW_HEADERS, SLOW_BODIES)
    try:
        while slow.rounds < 4:
            time.sleep(0.2)
        with urllib.request.urlopen(base + "/en/", timeout=PATIENCE) as page:  # noqa: S310
            assert page.status == 200
        receipt = Reporter(base).post_form("/en/report/", TYPED)
        assert re.search(r'<p class="secret">[\d ]+</p>', receipt)
        # Again, for a second reporter: the first did not just slip through a gap.
        again = Reporter(base).post_form("/en/report/", TYPED)
        assert re.search(r'<p class="secret">[\d ]+</p>', again)
        assert slow.still_attached() == SLOW_HEADERS + SLOW_BODIES
    finally:
        slow.stop()
        server.terminate()
        server.wait(timeout=30)
    assert _stored(data, database) == (2, 0)


def _form(base: str) -> tuple[str, str]:
    """The report form's CSRF token and cookie, as a browser would have them."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/en/report/", timeout=PATIENCE).read().decode()
    cookies = "; ".join(f"{c.name}={c.value}" for c in jar)
    return csrf_token_in(page), cookies


def _send_raw(port: int, cookies: str, body: bytes, arrived: int) -> bytes:
    """POST announcing the whole body, send `arrived` bytes of it, close the writing side and
    read whatever answer comes."""
    head = (
        "POST /en/report/ HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: null\r\nConnection: close\r\n"
        f"Cookie: {cookies}\r\nContent-Type: {MULTIPART_CONTENT}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=PATIENCE) as sock:
        sock.sendall(head + body[:arrived])
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def test_a_body_cut_off_half_way_is_never_stored(tmp_path):
    data, database = _instance(tmp_path)
    port = free_port()
    server = serve(data, port, **database)
    base = f"http://127.0.0.1:{port}"
    try:
        token, cookies = _form(base)
        photos = []
        for name in ("one.jpg", "two.jpg"):
            photo = io.BytesIO(b"\xff\xd8\xff" + b"\1" * 40_000)
            photo.name = name
            photos.append(photo)
        body = encode_multipart(
            BOUNDARY, dict(STORY, csrfmiddlewaretoken=token, files=photos)
        )
        # Cut in the story, in the first file, in the second file, before the last boundary.
        for arrived in (
            body.index(b'name="narrative"') + 60,
            body.index(b'filename="one.jpg"') + 20_000,
            body.index(b'filename="two.jpg"') + 20_000,
            len(body) - len(BOUNDARY) - 8,
        ):
            answer = _send_raw(port, cookies, body, arrived)
            # The server drops the connection, or says the report did not arrive: never a
            # receipt.
            assert b'class="secret"' not in answer
            assert answer == b"" or b"did not arrive complete" in answer
        assert _stored(data, database) == (0, 0)
        # The same request sent whole is a report: the cut ones failed for being cut.
        for photo in photos:
            photo.seek(0)
        whole = _send_raw(port, cookies, body, len(body))
        assert b'class="secret"' in whole
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert _stored(data, database) == (1, 2)


def _parse_upload(options: dict, body_bytes: int) -> bool:
    """Feed waitress's own request parser a report body of `body_bytes`, in network-sized
    pieces; whether it completed without error."""
    from waitress.adjustments import Adjustments
    from waitress.parser import HTTPRequestParser

    parser = HTTPRequestParser(Adjustments(**options))
    head = (
        f"POST /en/report/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {MULTIPART_CONTENT}\r\n"
        f"Content-Length: {body_bytes}\r\n\r\n"
    ).encode()
    data = head + b"x" * body_bytes
    while data and not parser.completed:
        data = data[parser.received(data[:65536]) :]
    return parser.completed and parser.error is None


def test_a_report_body_stays_in_memory_never_in_a_temporary_file(settings, monkeypatch):
    """Waitress writes large bodies to a temporary file unless told not to: that would be a
    report, in plaintext, on disk."""
    from waitress.buffers import TempfileBasedBuffer

    from kalkan.core.management.commands.serve import waitress_options

    settings.INTAKE_MAX_REPORT_BYTES = 3 * 1048576
    settings.INTAKE_MAX_FILE_BYTES = 1048576
    spilled: list[int] = []

    def newfile(self):
        spilled.append(1)
        return io.BytesIO()

    monkeypatch.setattr(TempfileBasedBuffer, "newfile", newfile)
    # Waitress's defaults would spill this body to disk.
    assert _parse_upload({}, 2 * 1048576)
    assert spilled
    spilled.clear()
    options = waitress_options(["127.0.0.1:0"])
    assert _parse_upload(options, settings.INTAKE_MAX_REPORT_BYTES)
    assert not spilled
    # A body larger than any report could be is refused before it is read.
    assert not _parse_upload(options, options["max_request_body_size"] + 1)
    assert not spilled
