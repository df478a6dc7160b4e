"""The web panic button: administrators only, after a fresh confirmation, with a checkbox."""

from __future__ import annotations

import pytest
from django.test import Client

from kalkan.core.testing import log_in
from kalkan.vault import services as vault

URL = "/en/staff/emergency/"


def test_it_sends_anonymous_visitors_to_login(client):
    assert client.get(URL)["Location"].startswith("/en/staff/login/")


@pytest.mark.parametrize("who", ["bota", "chingiz", "dana"])
def test_it_refuses_other_roles(client, request, who):
    log_in(client, request.getfixturevalue(who))
    assert client.post(URL, {"understood": "on"}).status_code == 403
    assert not vault.is_sealed()


def test_it_needs_a_fresh_confirmation(client, amir):
    log_in(client, amir, recent=False)
    response = client.post(URL, {"understood": "on", "back": URL})
    assert response["Location"].startswith("/en/staff/confirm/")
    assert not vault.is_sealed()


def test_it_needs_the_checkbox(client, amir):
    log_in(client, amir)
    response = client.post(URL, {})
    assert response.status_code == 200
    assert b"This field is required." in response.content
    assert not vault.is_sealed()


def test_it_requires_csrf(csrf_client, amir):
    log_in(csrf_client, amir)
    assert csrf_client.post(URL, {"understood": "on"}).status_code == 403
    assert not vault.is_sealed()


def test_it_seals_the_server_and_ends_every_session(client, amir, bota):
    colleague = log_in(Client(), bota)
    log_in(client, amir)
    assert b"Seal the server (panic)" in client.get(URL).content
    response = client.post(URL, {"understood": "on"}, follow=True)
    assert b"The server is sealed." in response.content
    assert vault.is_sealed()
    assert colleague.get("/en/staff/").status_code == 302
    keyring = vault.unlock(amir.user, amir.passphrase)
    assert keyring is not None
    assert keyring.org_secrets == {}
