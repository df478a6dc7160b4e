"""A staff member changes their own passphrase; the rules are explained in their language."""

from __future__ import annotations

from django.test import Client, override_settings

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
    response = client.post(
        URL, {"current": dana.passphrase, "code": dana.code(), "new": NEW, "repeat": NEW}
    )
    assert response.status_code == 302
    assert vault.unlock(dana.user, dana.passphrase) is None
    assert vault.unlock(dana.user, NEW) is not None
    assert AuditEntry.objects.filter(action="passphrase.change", actor_id=dana.user.pk).exists()
    login = Client().post(
        "/en/staff/login/", {"username": "dana", "passphrase": NEW, "code": dana.code()}
    )
    assert login.status_code == 302


def test_it_refuses_a_wrong_current_passphrase_or_code(client, dana):
    log_in(client, dana)
    for current, code in [("not-it", dana.code()), (dana.passphrase, "000000")]:
        response = client.post(URL, {"current": current, "code": code, "new": NEW, "repeat": NEW})
        # The same answer as at login: it tells nobody which of the two was wrong.
        assert b"The username, passphrase or code is not right" in response.content
    assert vault.unlock(dana.user, dana.passphrase) is not None


@override_settings(LOCKOUT_FAILURES=3)
def test_a_wrong_current_passphrase_counts_like_a_failed_login(client, dana):
    log_in(client, dana)
    for expected in (1, 2, 3):
        client.post(URL, {"current": "not-it", "code": "000000", "new": NEW, "repeat": NEW})
        dana.user.refresh_from_db()
        assert dana.user.failed_logins == expected
    assert dana.user.is_locked()
    assert AuditEntry.objects.filter(action="passphrase.failed", actor_id=dana.user.pk).count() == 3
    # While the account waits, tries are refused and not counted, the same as at login …
    client.post(URL, {"current": "still-not-it", "code": "000000", "new": NEW, "repeat": NEW})
    dana.user.refresh_from_db()
    assert dana.user.failed_logins == 3
    wait = client.post(URL, {"current": "not-it", "code": "000000", "new": NEW, "repeat": NEW})
    assert b"must wait a few minutes" in wait.content
    # … and the login form sees the same wait: the counter is the account's.
    login = Client().post(
        "/en/staff/login/", {"username": "dana", "passphrase": "wrong", "code": "000000"}
    )
    dana.user.refresh_from_db()
    assert login.status_code == 403 and dana.user.failed_logins == 3
    # The person is still logged in.
    assert client.get("/en/staff/").status_code == 200


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
