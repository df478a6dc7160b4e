"""Every staff view against every character: anonymous, each role, and a disabled outsider.

Adding a view means adding it here; the matrix must match docs/roles.md.
"""

from __future__ import annotations

import pytest
from django.test import Client

from kalkan.accounts.models import User
from kalkan.core.testing import log_in

ANYONE_STAFF = {"amir", "bota", "chingiz", "dana"}
ADMINS = {"amir"}
LEGISLATION = {"amir", "chingiz", "dana"}
REPORTS = {"amir", "chingiz", "dana"}
CHARACTERS = ["anonymous", "amir", "bota", "chingiz", "dana", "erlan"]


def _member(users: dict[str, User]) -> int:
    return users["dana"].pk


# (name, method, path builder, who may use it)
VIEWS = [
    ("home", "get", lambda u: "/en/staff/", ANYONE_STAFF),
    ("confirm", "get", lambda u: "/en/staff/confirm/", ANYONE_STAFF),
    ("team", "get", lambda u: "/en/staff/team/", ADMINS),
    ("add", "get", lambda u: "/en/staff/team/add/", ADMINS),
    ("member", "get", lambda u: f"/en/staff/team/{_member(u)}/", ADMINS),
    ("unlock", "post", lambda u: f"/en/staff/team/{_member(u)}/unlock/", ADMINS),
    ("reenrol", "post", lambda u: f"/en/staff/team/{_member(u)}/reenrol/", ADMINS),
    ("audit", "get", lambda u: "/en/staff/audit/", ADMINS),
    ("retention", "get", lambda u: "/en/staff/retention/", ADMINS),
    ("laws", "get", lambda u: "/en/staff/laws/", LEGISLATION),
    ("new law", "get", lambda u: "/en/staff/laws/new/", LEGISLATION),
    ("dashboards", "get", lambda u: "/en/staff/dashboards/", REPORTS),
    ("chart", "get", lambda u: "/en/staff/dashboards/chart/by_region.svg", REPORTS),
    ("drafts", "get", lambda u: "/en/staff/drafts/", REPORTS),
]


@pytest.fixture
def cast(amir, bota, chingiz, dana, erlan):
    return {"amir": amir, "bota": bota, "chingiz": chingiz, "dana": dana, "erlan": erlan}


@pytest.mark.parametrize("who", CHARACTERS)
@pytest.mark.parametrize(("name", "method", "path", "allowed"), VIEWS, ids=[v[0] for v in VIEWS])
def test_role_matrix(client: Client, cast, who, name, method, path, allowed):
    users = {key: character.user for key, character in cast.items()}
    if who != "anonymous":
        log_in(client, cast[who])
    url = path(users)
    response = getattr(client, method)(url)
    if who in allowed:
        assert response.status_code in (200, 302), (who, name)
        if response.status_code == 302:
            assert "/login/" not in response["Location"]
    elif who in ("anonymous", "erlan"):
        # Not logged in (or disabled, which ends the session): off to the login page.
        assert response.status_code == 302
        assert response["Location"].startswith("/en/staff/login/?next=")
    else:
        assert response.status_code == 403
        assert b"Your role does not allow this." in response.content


POSTS = [
    ("/en/staff/logout/", {}),
    ("/en/staff/confirm/", {"passphrase": "x", "code": "000000"}),
    ("/en/staff/team/add/", {"username": "gulnara", "role": "analyst"}),
    ("/en/staff/team/{dana}/disable/", {}),
    ("/en/staff/team/{dana}/grant/", {}),
    ("/en/staff/team/{dana}/unlock/", {}),
    ("/en/staff/team/{dana}/reenrol/", {}),
    ("/en/staff/team/{dana}/role/", {"role": "admin"}),
]


def staff_state() -> list[tuple[str, str, bool, str]]:
    return list(
        User.objects.order_by("pk").values_list("username", "role", "is_active", "password")
    )


@pytest.mark.parametrize(("path", "data"), POSTS, ids=[p for p, _ in POSTS])
def test_every_change_needs_the_csrf_token(csrf_client, amir, dana, path, data):
    log_in(csrf_client, amir)
    before = staff_state()
    response = csrf_client.post(path.format(dana=dana.user.pk), data)
    assert response.status_code == 403
    assert b"The form had expired" in response.content
    assert staff_state() == before
