"""Strict security headers on every page, public and staff (security.md)."""

from __future__ import annotations

import re

import pytest

from kalkan.core.testing import csrf_token_in, log_in

# The login page asks the vault whether the server is sealed.
pytestmark = pytest.mark.django_db


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
    for url in ["/en/", "/en/report/", "/en/mailbox/", "/en/staff/", "/en/staff/team/",
                "/en/staff/team/add/", "/en/staff/audit/", "/en/staff/reports/"]:
        html = client.get(url).content.decode()
        assert "<script" not in html, url
        # The only address elsewhere is the quick-exit link on public pages; nothing is
        # loaded from anywhere but the app itself.
        outside = re.findall(r'(?:src|href)="(https?://[^"]*)"', html)
        assert outside in ([], ["https://www.wikipedia.org/"]), (url, outside)
        assert "@import" not in html and "url(" not in html, url


def test_session_and_csrf_cookies_are_strict(client, bota):
    response = client.post(
        "/en/staff/login/",
        {"username": "bota", "passphrase": bota.passphrase, "code": bota.code()},
    )
    session = response.cookies["kalkan_session"]
    assert session["httponly"]
    assert session["samesite"] == "Strict"


def _form_token(client, url: str) -> str:
    return csrf_token_in(client.get(url).content.decode())


@pytest.mark.parametrize(
    ("origin", "status"),
    [
        ("null", 302),  # what browsers send under Referrer-Policy: no-referrer
        ("https://attacker.example", 403),  # a real foreign origin is still refused
    ],
)
def test_the_origin_check_with_a_valid_token(csrf_client, bota, origin, status):
    token = _form_token(csrf_client, "/en/staff/login/")
    response = csrf_client.post(
        "/en/staff/login/",
        {"username": "bota", "passphrase": bota.passphrase, "code": bota.code(),
         "csrfmiddlewaretoken": token},
        HTTP_ORIGIN=origin,
    )
    assert response.status_code == status


def test_a_null_origin_without_the_token_is_refused(csrf_client, bota):
    response = csrf_client.post(
        "/en/staff/login/",
        {"username": "bota", "passphrase": bota.passphrase, "code": bota.code()},
        HTTP_ORIGIN="null",
    )
    assert response.status_code == 403
