"""The staff home page: every role gets in; menus follow the role matrix."""

from __future__ import annotations

import pytest

from kalkan.core.testing import log_in

HOME = "/en/staff/"


def test_it_sends_anonymous_visitors_to_login(client):
    response = client.get(HOME)
    assert response.status_code == 302
    assert response["Location"] == "/en/staff/login/?next=%2Fen%2Fstaff%2F"


def test_it_requires_the_totp_step(client, bota):
    # Logged in by passphrase only (no verified device in the session): not enough.
    client.force_login(bota.user)
    assert client.get(HOME).status_code == 302


@pytest.mark.parametrize(
    ("who", "sees_team"),
    [("amir", True), ("bota", False), ("chingiz", False), ("dana", False)],
)
def test_it_shows_the_menu_of_the_role(client, request, who, sees_team):
    log_in(client, request.getfixturevalue(who))
    response = client.get(HOME)
    assert response.status_code == 200
    assert (b'href="/en/staff/team/"' in response.content) is sees_team
    assert (b'href="/en/staff/audit/"' in response.content) is sees_team
