"""Staff addresses written oddly (no trailing slash, doubled slashes, percent-encoding, other
letter case, a language variant, no prefix) reach no staff view for a stranger, and none on
the public host."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from kalkan.accounts.tests.test_staff_hosts import PUBLIC, STAFF, STAFF_PORT

TRICKS = [
    "/en/staff", "/en/staff/", "//en/staff/", "/en//staff/", "/en/%73taff/", "/EN/staff/",
    "/En/staff/", "/en-us/staff/", "/en-US/staff/", "/xx/staff/", "/staff/", "/staff",
    "/en/staff/team/", "/en/STAFF/team/", "/en/%73taff/team/", "/en/staff/./team/",
    "/en/staff/audit/", "/en/./staff/audit/", "/en/staff/audit", "/ru/staff/reports/",
    "/en/staff/search/", "/en/staff/records/", "/en/staff/emergency/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("path", TRICKS)
@override_settings(STAFF_HOSTS=[STAFF], STAFF_PORT=STAFF_PORT,
                   ALLOWED_HOSTS=[PUBLIC, STAFF, "testserver"])
def test_a_stranger_reaches_no_staff_view(path):
    client = Client()
    response = client.get(path, follow=True, HTTP_HOST=STAFF, SERVER_PORT=str(STAFF_PORT))
    assert response.status_code in (200, 404), (path, response.status_code)
    if response.status_code == 200:
        # Only the login page opens for a stranger.
        landed = response.request["PATH_INFO"]
        assert landed.endswith("/staff/login/"), (path, response.redirect_chain)


@pytest.mark.django_db
@pytest.mark.parametrize("path", TRICKS)
@pytest.mark.parametrize("host", [PUBLIC, f"{STAFF}.", STAFF.upper(), f"{STAFF}:{STAFF_PORT}"])
def test_the_public_side_shows_no_staff_page(path, host):
    with override_settings(
        STAFF_HOSTS=[STAFF], STAFF_PORT=STAFF_PORT, ALLOWED_HOSTS=[PUBLIC, STAFF, f"{STAFF}.",
                                                                  "testserver"]
    ):
        client = Client()
        response = client.get(path, follow=True, HTTP_HOST=host, SERVER_PORT="8000",
                              HTTP_X_FORWARDED_HOST=STAFF)
        assert response.status_code in (404, 400), (path, host, response.redirect_chain)
