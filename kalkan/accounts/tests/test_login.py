"""Staff login: passphrase + TOTP, reuse rejected, lockout by account (never by address)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from kalkan.accounts.models import User
from kalkan.audit.models import AuditEntry

# The login page asks the vault whether the server is sealed.
pytestmark = pytest.mark.django_db

LOGIN = "/en/staff/login/"
HOME = "/en/staff/"
WRONG = "The username, passphrase or code is not right"
LOCKED = "This account is locked"


def post_login(client: Client, username: str, passphrase: str, code: str, **extra):
    return client.post(
        LOGIN, {"username": username, "passphrase": passphrase, "code": code}, **extra
    )


def test_it_shows_the_login_form(client):
    response = client.get(LOGIN)
    assert response.status_code == 200
    assert b'name="passphrase"' in response.content
    assert b'name="code"' in response.content


def test_it_logs_in_with_passphrase_and_code(client, bota):
    response = post_login(client, "bota", bota.passphrase, bota.code())
    assert response.status_code == 302
    assert response["Location"] == "/en/staff/"
    home = client.get(HOME)
    assert home.status_code == 200
    assert b"Welcome, bota" in home.content
    assert AuditEntry.objects.filter(action="login", actor_id=bota.user.pk).exists()


def test_it_keeps_only_an_argon2id_verifier_of_the_passphrase(bota):
    from django.conf import settings

    from kalkan.vault.models import StaffKey

    key = StaffKey.objects.get(user=bota.user)
    assert len(bytes(key.salt)) == 16
    assert (key.opslimit, key.memlimit) == (settings.VAULT_OPSLIMIT, settings.VAULT_MEMLIMIT)
    assert len(bytes(key.verifier_digest)) == 32
    assert bota.passphrase.encode() not in bytes(key.wrapped_secret)
    # Django's own password field is never usable: the vault checks passphrases.
    assert not bota.user.has_usable_password()
    assert len(bota.passphrase.split("-")) == 6


def test_the_tuned_argon2_parameters_are_the_defaults():
    from kalkan import settings as production

    assert production.VAULT_OPSLIMIT == 3
    assert production.VAULT_MEMLIMIT == 256 * 1024 * 1024


def test_it_refuses_a_wrong_passphrase(client, bota):
    response = post_login(client, "bota", bota.passphrase + "x", bota.code())
    assert response.status_code == 403
    assert WRONG.encode() in response.content
    assert client.get(HOME).status_code == 302


def test_it_refuses_a_wrong_code(client, bota):
    right = bota.code()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    response = post_login(client, "bota", bota.passphrase, wrong)
    assert response.status_code == 403
    assert WRONG.encode() in response.content
    assert client.get(HOME).status_code == 302


def test_it_refuses_an_expired_code(client, bota, monkeypatch):
    code = bota.code()
    # Ten minutes later the code is far outside the one-step tolerance.
    later = timezone.now().timestamp() + 600
    monkeypatch.setattr("time.time", lambda: later)
    response = post_login(client, "bota", bota.passphrase, code)
    assert response.status_code == 403


def test_it_refuses_a_reused_code(client, bota):
    code = bota.code()
    assert post_login(client, "bota", bota.passphrase, code).status_code == 302
    client.post("/en/staff/logout/")
    again = Client()
    response = post_login(again, "bota", bota.passphrase, code)
    assert response.status_code == 403
    assert again.get(HOME).status_code == 302


def test_it_gives_the_same_answer_for_an_unknown_name(client, bota):
    response = post_login(client, "nobody", "some-thing-long-enough", "123456")
    assert response.status_code == 403
    assert WRONG.encode() in response.content


def test_it_explains_a_missing_field(client):
    response = client.post(LOGIN, {"username": "bota", "passphrase": "", "code": ""})
    assert response.status_code == 200
    assert b"This field is required." in response.content


@override_settings(LOCKOUT_FAILURES=3)
def test_it_locks_the_account_even_when_every_request_comes_from_localhost(client, bota, dana):
    for _ in range(3):
        post_login(client, "bota", "wrong-passphrase", "000000", REMOTE_ADDR="127.0.0.1")
    # The right passphrase and a fresh code no longer get in.
    response = post_login(client, "bota", bota.passphrase, bota.code(), REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 403
    assert LOCKED.encode() in response.content
    # Another account on the same address is not affected: lockout is by account only.
    other = post_login(client, "dana", dana.passphrase, dana.code(), REMOTE_ADDR="127.0.0.1")
    assert other.status_code == 302


@override_settings(LOCKOUT_FAILURES=3)
def test_it_unlocks_after_the_lockout_period(client, bota):
    for _ in range(3):
        post_login(client, "bota", "wrong-passphrase", "000000")
    User.objects.filter(pk=bota.user.pk).update(
        locked_until=timezone.now() - timedelta(seconds=1)
    )
    assert post_login(client, "bota", bota.passphrase, bota.code()).status_code == 302


@override_settings(LOCKOUT_FAILURES=3)
def test_it_counts_a_wrong_code_towards_the_lockout(client, bota):
    for _ in range(3):
        post_login(client, "bota", bota.passphrase, "000000")
    bota.user.refresh_from_db()
    assert bota.user.is_locked()


def test_it_refuses_a_disabled_account(client, erlan):
    response = post_login(client, "erlan", erlan.passphrase, erlan.code())
    assert response.status_code == 403
    assert client.get(HOME).status_code == 302


def test_it_ignores_an_offsite_next_address(client, bota):
    response = client.post(
        LOGIN + "?next=https://example.org/",
        {"username": "bota", "passphrase": bota.passphrase, "code": bota.code()},
    )
    assert response["Location"] == "/en/staff/"


def test_it_goes_on_to_the_requested_page(client, amir):
    response = client.get("/en/staff/team/")
    assert response.status_code == 302
    assert response["Location"] == "/en/staff/login/?next=%2Fen%2Fstaff%2Fteam%2F"
    response = client.post(
        response["Location"],
        {"username": "amir", "passphrase": amir.passphrase, "code": amir.code()},
    )
    assert response["Location"] == "/en/staff/team/"


def test_it_requires_csrf(csrf_client, bota):
    response = csrf_client.post(
        LOGIN, {"username": "bota", "passphrase": bota.passphrase, "code": bota.code()}
    )
    assert response.status_code == 403
    assert b"The form had expired" in response.content


@pytest.mark.parametrize("method", ["put", "delete"])
def test_it_refuses_other_methods(client, method):
    assert getattr(client, method)(LOGIN).status_code == 405
