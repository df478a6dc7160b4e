"""The staff side on its own host (the staff onion: KALKAN_STAFF_HOSTS and the local port it
forwards to, KALKAN_STAFF_PORT): the public host answers 404 for every staff URL, as for an
address that does not exist."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
import uuid

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import LocalePrefixPattern, URLPattern, URLResolver, get_resolver, resolve
from django.utils import translation

from kalkan.core.testing import free_port, log_in, new_instance, serve

PUBLIC = "public7x.onion"
STAFF = "staff7x.onion"
STAFF_PORT = 8001
# A request for the staff onion, as gunicorn hands it over from the staff port.
ON_STAFF = {"HTTP_HOST": STAFF, "SERVER_PORT": str(STAFF_PORT)}

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("staff_host"),
]


@pytest.fixture
def staff_host():
    with override_settings(
        STAFF_HOSTS=[STAFF], STAFF_PORT=STAFF_PORT, ALLOWED_HOSTS=[PUBLIC, STAFF, "testserver"]
    ):
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
    assert client.get("/en/staff/", **ON_STAFF).status_code == 200
    assert client.get("/en/staff/", HTTP_HOST=PUBLIC).status_code == 404


def test_staff_log_in_on_the_staff_host(client, bota):
    assert client.get("/en/staff/login/", **ON_STAFF).status_code == 200
    response = client.post(
        "/en/staff/login/",
        {"username": "bota", "passphrase": bota.passphrase, "code": bota.code()},
        **ON_STAFF,
    )
    assert response.status_code == 302
    home = client.get("/en/staff/", HTTP_HOST=f"{STAFF}:80", SERVER_PORT=str(STAFF_PORT))
    assert b"Welcome, bota" in home.content


def test_the_public_side_stays_on_the_public_host(client):
    assert client.get("/en/", HTTP_HOST=PUBLIC).status_code == 200


def test_a_visitor_of_the_public_onion_cannot_name_the_staff_host(client):
    # The Host header is the visitor's to choose; the port they came in on is not.
    assert client.get("/en/staff/login/", HTTP_HOST=STAFF, SERVER_PORT="8000").status_code == 404
    assert client.get("/en/staff/login/", HTTP_HOST=PUBLIC, SERVER_PORT="8001").status_code == 404


def test_without_staff_hosts_any_host_serves_staff_pages(client):
    with override_settings(STAFF_HOSTS=[], STAFF_PORT=0):
        assert client.get("/en/staff/login/", HTTP_HOST=PUBLIC).status_code == 200


def test_an_unknown_host_is_still_refused(client):
    elsewhere = {"HTTP_HOST": "elsewhere.example", "SERVER_PORT": str(STAFF_PORT)}
    assert client.get("/en/staff/login/", **elsewhere).status_code == 400


def _settings_with(**env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "KALKAN_DATA_DIR": str(settings.DATA_DIR), **env}
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    show = "from kalkan import settings as s; print(s.STAFF_HOSTS, s.STAFF_PORT, s.ALLOWED_HOSTS)"
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", show],
        capture_output=True, text=True, env=environment, check=False, timeout=60,
    )


def test_the_setting_comes_from_the_environment_and_the_staff_hosts_are_allowed():
    shown = _settings_with(
        KALKAN_ALLOWED_HOSTS=PUBLIC,
        KALKAN_STAFF_HOSTS=f" {STAFF.upper()}. ",
        KALKAN_STAFF_PORT="8001",
    )
    assert shown.stdout.strip() == f"['{STAFF}'] 8001 ['{PUBLIC}', '{STAFF}']"


def test_staff_hosts_without_a_staff_port_stop_with_a_clear_error():
    refused = _settings_with(KALKAN_STAFF_HOSTS=STAFF)
    assert refused.returncode != 0
    assert "KALKAN_STAFF_HOSTS needs KALKAN_STAFF_PORT" in refused.stderr


def test_the_middleware_runs_before_sessions_and_the_locale_redirect():
    order = settings.MIDDLEWARE
    mine = order.index("kalkan.accounts.middleware.StaffHostMiddleware")
    assert mine < order.index("django.contrib.sessions.middleware.SessionMiddleware")
    assert mine < order.index("django.middleware.locale.LocaleMiddleware")
    assert mine > order.index("kalkan.core.middleware.SecurityHeadersMiddleware")


def test_the_staff_host_is_its_own_host_not_a_suffix(client):
    # Another name that merely ends like the staff host is the public side.
    with override_settings(ALLOWED_HOSTS=[PUBLIC, STAFF, "x" + STAFF]):
        suffix = {"HTTP_HOST": "x" + STAFF, "SERVER_PORT": str(STAFF_PORT)}
        assert client.get("/en/staff/login/", **suffix).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_kalkan_serve_keeps_the_staff_side_on_its_own_port(tmp_path):
    """The real server listens on both ports, and naming the staff onion in the
    Host header on the public port does not reach the staff login."""
    data = tmp_path / "inst"
    database = new_instance(data)
    public_port, staff_port = free_port(), free_port()
    server = serve(
        data,
        public_port,
        KALKAN_ALLOWED_HOSTS=f"127.0.0.1,{PUBLIC}",
        KALKAN_STAFF_HOSTS=STAFF,
        KALKAN_STAFF_PORT=str(staff_port),
        **database,
    )

    def status(port: int, host: str, path: str) -> int:
        request = urllib.request.Request(  # noqa: S310
            f"http://127.0.0.1:{port}{path}", headers={"Host": host}
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                return int(response.status)
        except urllib.error.HTTPError as error:
            return error.code

    try:
        assert status(staff_port, STAFF, "/en/staff/login/") == 200
        assert status(public_port, STAFF, "/en/staff/login/") == 404
        assert status(public_port, PUBLIC, "/en/staff/login/") == 404
        assert status(public_port, PUBLIC, "/en/") == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
