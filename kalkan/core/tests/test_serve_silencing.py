"""Threat 7 against the real `kalkan serve` on loopback: slow clients that trickle headers or
bodies do not stop it answering, and a body cut off half-way (the writing side closed, as a
dropped Tor circuit leaves it) stores nothing."""

from __future__ import annotations

import re
import socket
import threading
import time
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from kalkan.core.testing import Reporter, csrf_token_in, free_port, fresh_database, kalkan, serve
from kalkan.intake.tests.test_report import STORY

pytestmark = pytest.mark.django_db(transaction=True)

# What a reporter types, as a form without script sends it (one value per field).
TYPED = {name: value for name, value in STORY.items() if isinstance(value, str)}
SLOW_HEADERS = 60
SLOW_BODIES = 60
# A failure bound only: a server held by slow clients never answers at all.
PATIENCE = 30


class SlowClients:
    """Connections that each send one more byte every half second and never finish: half of
    them inside the headers, half inside a report body. A thread keeps them trickling until
    stop() (or for at most three minutes, so the test ends whatever happens)."""

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
            sock = socket.create_connection(("127.0.0.1", port), timeout=PATIENCE)
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
                try:
                    sock.send(b"a")
                except OSError:
                    pass
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


def _instance(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    data = tmp_path / "inst"
    database = fresh_database()
    init = kalkan(
        "init", "--data-dir", str(data), "--admin", "amir", "--non-interactive", env=database
    )
    assert init.returncode == 0, init.stderr
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
    import io

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
