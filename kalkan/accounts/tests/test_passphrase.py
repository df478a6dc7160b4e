"""A staff member changes their own passphrase; the rules are explained in their language."""

from __future__ import annotations

from django.test import Client

from kalkan.audit.models import AuditEntry
from kalkan.core.testing import log_in
from kalkan.vault import services as vault

URL = "/en/staff/passphrase/"
NEW = "quietly-orbit-marmalade-spindle-harbor-cobalt"


def test_it_sends_anonymous_visitors_to_login(client):
    assert client.get(URL)["Location"].startswith("/en/staff/login/")


def test_it_offers_a_generated_passphrase(client, dana):
    log_in(client, dana)
    body = client.get(URL).content.decode()
    assert '<p class="secret">' in body


def test_it_changes_the_passphrase(client, dana):
    log_in(client, dana)
    response = client.post(URL, {"current": dana.passphrase, "new": NEW, "repeat": NEW})
    assert response.status_code == 302
    assert vault.unlock(dana.user, dana.passphrase) is None
    assert vault.unlock(dana.user, NEW) is not None
    assert AuditEntry.objects.filter(action="passphrase.change", actor_id=dana.user.pk).exists()
    login = Client().post(
        "/en/staff/login/", {"username": "dana", "passphrase": NEW, "code": dana.code()}
    )
    assert login.status_code == 302


def test_it_refuses_a_wrong_current_passphrase(client, dana):
    log_in(client, dana)
    response = client.post(URL, {"current": "not-it", "new": NEW, "repeat": NEW})
    assert b"This is not your current passphrase." in response.content
    assert vault.unlock(dana.user, dana.passphrase) is not None


def test_it_refuses_a_weak_or_mistyped_passphrase(client, dana):
    log_in(client, dana)
    short = client.post(URL, {"current": dana.passphrase, "new": "12345678", "repeat": "12345678"})
    assert b"This password is too short." in short.content
    assert b"This password is entirely numeric." in short.content
    mistyped = client.post(URL, {"current": dana.passphrase, "new": NEW, "repeat": NEW + "x"})
    assert b"The two new passphrases are not the same." in mistyped.content
    assert vault.unlock(dana.user, dana.passphrase) is not None


def test_it_explains_the_rules_in_kazakh(client, dana):
    log_in(client, dana)
    weak = {"current": dana.passphrase, "new": "12345678", "repeat": "12345678"}
    response = client.post("/kk/staff/passphrase/", weak)
    body = response.content.decode()
    # Django's Kazakh catalogue has none of these rules; ours does (no English, no Russian).
    assert "Бұл құпия сөз тек сандардан тұрады." in body
    assert "Бұл құпия сөз тым қысқа. Онда кемінде 20 таңба болуы керек." in body
    assert "This password" not in body and "пароль" not in body


def test_it_requires_csrf(csrf_client, dana):
    log_in(csrf_client, dana)
    response = csrf_client.post(URL, {"current": dana.passphrase, "new": NEW, "repeat": NEW})
    assert response.status_code == 403
    assert vault.unlock(dana.user, dana.passphrase) is not None
