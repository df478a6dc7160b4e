"""The staff side on its own host (the staff onion, KALKAN_STAFF_HOSTS): the public host
answers 404 for every staff URL, as for an address that does not exist."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import LocalePrefixPattern, URLPattern, URLResolver, get_resolver, resolve
from django.utils import translation

from kalkan.core.testing import log_in

PUBLIC = "public7x.onion"
STAFF = "staff7x.onion"

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("staff_host"),
]


@pytest.fixture
def staff_host():
    with override_settings(STAFF_HOSTS=[STAFF], ALLOWED_HOSTS=[PUBLIC, STAFF, "testserver"]):
        yield


SAMPLES = {"int": "1", "uuid": str(uuid.uuid4()), "slug": "x", "str": "x", "path": "x"}


def _routes(patterns, prefix: str = "") -> list[str]:
    routes = []
    for pattern in patterns:
        # i18n_patterns' prefix: the English one (any language would do).
        part = "en/" if isinstance(pattern.pattern, LocalePrefixPattern) else str(pattern.pattern)
        route = prefix + part
        if isinstance(pattern, URLResolver):
            routes += _routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            routes.append(route)
    return routes


def staff_paths() -> list[str]:
    """Every staff route of the URL configuration, with sample values for its parameters."""
    paths = []
    for route in _routes(get_resolver().url_patterns):
        path = "/" + re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLES[m.group(1) or "str"], route)
        if "/staff/" in path or path.endswith("/staff"):
            paths.append(path)
    return paths


def test_the_walk_finds_the_staff_routes():
    paths = staff_paths()
    assert "/en/staff/login/" in paths
    assert len(paths) > 50
    with translation.override("en"):
        for path in paths:
            resolve(path)  # every sample is a real address


def test_every_staff_url_is_a_404_on_the_public_host(client):
    not_found = client.get("/en/no-such-page/", HTTP_HOST=PUBLIC)
    assert not_found.status_code == 404
    for path in staff_paths():
        for method in (client.get, client.post):
            response = method(path, HTTP_HOST=PUBLIC)
            assert response.status_code == 404, path
            assert response.content == not_found.content, path
            assert "Set-Cookie" not in response.headers and not response.cookies, path


@pytest.mark.parametrize("path", ["/staff/login/", "/staff", "/ky/staff/", "/en/staff"])
def test_addresses_without_a_language_or_slash_are_404_too(client, path):
    assert client.get(path, HTTP_HOST=PUBLIC).status_code == 404


def test_the_404_on_the_public_host_speaks_the_addresses_language(client):
    kazakh = client.get("/kk/staff/login/", HTTP_HOST=PUBLIC)
    assert kazakh.status_code == 404
    assert b'lang="kk"' in kazakh.content


def test_a_staff_session_does_not_open_staff_urls_on_the_public_host(client, bota):
    log_in(client, bota)
    assert client.get("/en/staff/", HTTP_HOST=STAFF).status_code == 200
    assert client.get("/en/staff/", HTTP_HOST=PUBLIC).status_code == 404


def test_staff_log_in_on_the_staff_host(client, bota):
    assert client.get("/en/staff/login/", HTTP_HOST=STAFF).status_code == 200
    response = client.post(
        "/en/staff/login/",
        {"username": "bota", "passphrase": bota.passphrase, "code": bota.code()},
        HTTP_HOST=STAFF,
    )
    assert response.status_code == 302
    home = client.get("/en/staff/", HTTP_HOST=f"{STAFF}:80")
    assert b"Welcome, bota" in home.content


def test_the_public_side_stays_on_the_public_host(client):
    assert client.get("/en/", HTTP_HOST=PUBLIC).status_code == 200


def test_without_staff_hosts_any_host_serves_staff_pages(client):
    with override_settings(STAFF_HOSTS=[]):
        assert client.get("/en/staff/login/", HTTP_HOST=PUBLIC).status_code == 200


def test_an_unknown_host_is_still_refused(client):
    assert client.get("/en/staff/login/", HTTP_HOST="elsewhere.example").status_code == 400


def test_the_setting_comes_from_the_environment_and_the_staff_hosts_are_allowed():
    env = {
        **os.environ,
        "KALKAN_DATA_DIR": str(settings.DATA_DIR),
        "KALKAN_ALLOWED_HOSTS": PUBLIC,
        "KALKAN_STAFF_HOSTS": f" {STAFF.upper()}. ",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", "from kalkan import settings as s; print(s.STAFF_HOSTS, s.ALLOWED_HOSTS)"],  # noqa: E501
        capture_output=True, text=True, env=env, check=True, timeout=60,
    ).stdout
    assert out.strip() == f"['{STAFF}'] ['{PUBLIC}', '{STAFF}']"


def test_the_middleware_runs_before_sessions_and_the_locale_redirect():
    order = settings.MIDDLEWARE
    mine = order.index("kalkan.accounts.middleware.StaffHostMiddleware")
    assert mine < order.index("django.contrib.sessions.middleware.SessionMiddleware")
    assert mine < order.index("django.middleware.locale.LocaleMiddleware")
    assert mine > order.index("kalkan.core.middleware.SecurityHeadersMiddleware")


def test_the_staff_host_is_its_own_host_not_a_suffix(client):
    # Another name that merely ends like the staff host is the public side.
    with override_settings(ALLOWED_HOSTS=[PUBLIC, STAFF, "x" + STAFF]):
        assert client.get("/en/staff/login/", HTTP_HOST="x" + STAFF).status_code == 404
