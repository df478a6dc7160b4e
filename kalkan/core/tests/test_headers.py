"""Strict security headers on every page, public and staff (security.md)."""

from __future__ import annotations

import pytest

from kalkan.core.testing import log_in


@pytest.mark.parametrize("url", ["/en/", "/ru/staff/login/", "/en/no-such-page/"])
def test_it_sends_strict_headers(client, url):
    response = client.get(url)
    csp = response["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src" not in csp  # nothing may run: default-src 'none' covers scripts
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cache-Control"] == "no-store"
    assert "Server" not in response


def test_it_serves_its_own_stylesheet(client):
    response = client.get("/static/kalkan/kalkan.css")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")


def test_pages_load_nothing_from_elsewhere_and_need_no_script(client, amir):
    log_in(client, amir)
    for url in ["/en/", "/en/staff/", "/en/staff/team/", "/en/staff/team/add/",
                "/en/staff/audit/"]:
        html = client.get(url).content.decode()
        assert "<script" not in html, url
        assert "http://" not in html and "https://" not in html, url


def test_session_and_csrf_cookies_are_strict(client, bota):
    response = client.post(
        "/en/staff/login/",
        {"username": "bota", "passphrase": bota.passphrase, "code": bota.code()},
    )
    session = response.cookies["kalkan_session"]
    assert session["httponly"]
    assert session["samesite"] == "Strict"
