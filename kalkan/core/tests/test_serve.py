"""`kalkan serve` runs waitress with migrations applied and static files served."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request

import pytest

from kalkan.core.testing import free_port, kalkan, new_instance, serve


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.mark.django_db(transaction=True)
def test_it_initialises_serves_and_verifies_on_the_suites_database(tmp_path):
    data = tmp_path / "inst"
    database = new_instance(data)
    port = free_port()
    server = serve(data, port, **database)
    base = f"http://127.0.0.1:{port}"
    try:
        status, headers, body = _get(base + "/ru/staff/login/")
        assert status == 200
        assert "Вход для сотрудников".encode() in body
        # No server software or version is announced.
        assert "Server" not in headers or not any(ch.isdigit() for ch in headers["Server"])
        assert headers["Cache-Control"] == "no-store"
        assert "default-src 'none'" in headers["Content-Security-Policy"]
        css_status, css_headers, _ = _get(base + "/static/kalkan/kalkan.css")
        assert css_status == 200
        assert css_headers["Content-Type"].startswith("text/css")
        missing, _, page = _get(base + "/en/nothing-here/")
        assert missing == 404
        assert b"Page not found" in page
    finally:
        server.terminate()
        server.wait(timeout=30)
    verify = kalkan("audit", "verify", "--data-dir", str(data), env=database)
    assert verify.returncode == 0, verify.stderr
    assert "audit log intact: 1 entries" in verify.stdout
    # Nothing in the data directory is readable by other users.
    for path in data.rglob("*"):
        assert path.stat().st_mode & 0o077 == 0, path
