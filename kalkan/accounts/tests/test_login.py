"""Staff login: passphrase + TOTP, reuse rejected, a growing wait by account (never by address)
that a stranger cannot turn against the owner."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.utils import timezone

from kalkan.audit.models import AuditEntry
from kalkan.core.testing import log_in

# The login page asks the vault whether the server is sealed.
pytestmark = pytest.mark.django_db

LOGIN = "/en/staff/login/"
HOME = "/en/staff/"
WRONG = "The username, passphrase or code is not right"


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


@pytest.fixture
def clock(monkeypatch):
    """Server time that a test moves on (TOTP codes keep using the real time)."""

    class Clock:
        now = timezone.now()

        def advance(self, **delta: float) -> None:
            self.now += timedelta(**delta)

    moved = Clock()
    monkeypatch.setattr(timezone, "now", lambda: moved.now)
    return moved


def wrong_code(character) -> str:
    return f"{(int(character.code()) + 500_000) % 1_000_000:06d}"


@override_settings(LOCKOUT_FAILURES=3)
def test_failures_make_the_account_wait_by_account_not_address(client, bota, dana):
    for _ in range(3):
        post_login(client, "bota", "wrong-passphrase", "000000", REMOTE_ADDR="127.0.0.1")
    bota.user.refresh_from_db()
    assert bota.user.is_locked()
    # Another account on the same address is not affected: lockout is by account only.
    other = post_login(client, "dana", dana.passphrase, dana.code(), REMOTE_ADDR="127.0.0.1")
    assert other.status_code == 302
    assert AuditEntry.objects.filter(action="staff.delayed", object_id=str(bota.user.pk)).exists()


@override_settings(LOCKOUT_FAILURES=3)
def test_attempts_while_the_account_waits_neither_count_nor_lengthen_the_wait(client, bota):
    for _ in range(3):
        post_login(client, "bota", "wrong-passphrase", "000000")
    bota.user.refresh_from_db()
    until = bota.user.locked_until
    for _ in range(10):
        response = post_login(client, "bota", "another-wrong-one", "000000")
        assert response.status_code == 403
        assert WRONG.encode() in response.content
    bota.user.refresh_from_db()
    assert (bota.user.failed_logins, bota.user.locked_until) == (3, until)


@override_settings(LOCKOUT_FAILURES=3)
def test_the_owner_gets_in_while_a_stranger_keeps_the_account_waiting(client, bota):
    stranger = Client()
    for _ in range(3):
        post_login(stranger, "bota", "wrong-passphrase", "000000")
    bota.user.refresh_from_db()
    assert bota.user.is_locked()
    # The right passphrase and a fresh code still get in, at once.
    assert post_login(client, "bota", bota.passphrase, bota.code()).status_code == 302
    assert b"Welcome, bota" in client.get(HOME).content
    bota.user.refresh_from_db()
    assert (bota.user.failed_logins, bota.user.locked_until) == (0, None)


def test_five_requests_every_15_minutes_cannot_keep_an_administrator_out(client, amir, clock):
    """The attack from the issue: a stranger spends five requests every quarter of an hour,
    timed to land as each wait ends, for a whole day; the administrator logs in whenever
    they like."""
    stranger = Client()
    for quarter in range(96):
        for _ in range(5):
            post_login(stranger, "amir", "guessed-passphrase-words", "123456")
            amir.user.refresh_from_db()
            if amir.user.locked_until:
                clock.now = max(clock.now, amir.user.locked_until)
        clock.advance(minutes=15)
        if quarter in (10, 50, 95):
            admin = Client()
            assert post_login(admin, "amir", amir.passphrase, amir.code()).status_code == 302
            assert admin.get("/en/staff/team/").status_code == 200


@override_settings(LOCKOUT_FAILURES=3)
def test_someone_guessing_codes_with_the_passphrase_waits_longer_each_time(client, bota, clock):
    for _ in range(3):
        post_login(client, "bota", bota.passphrase, wrong_code(bota))
    bota.user.refresh_from_db()
    assert bota.user.locked_until == clock.now + timedelta(seconds=30)
    # While it waits, even the right code is refused: codes are what can be guessed.
    refused = post_login(client, "bota", bota.passphrase, bota.code())
    assert refused.status_code == 403
    assert WRONG.encode() in refused.content
    waits = []
    for _ in range(5):
        bota.user.refresh_from_db()
        clock.now = bota.user.locked_until
        post_login(client, "bota", bota.passphrase, wrong_code(bota))
        bota.user.refresh_from_db()
        waits.append((bota.user.locked_until - clock.now).total_seconds())
    # Doubling, capped at KALKAN_LOGIN_DELAY_MAX_MINUTES (5).
    assert waits == [60, 120, 240, 300, 300]
    # The right credentials always work once the wait is over.
    clock.now = bota.user.locked_until
    assert post_login(client, "bota", bota.passphrase, bota.code()).status_code == 302


@override_settings(LOCKOUT_FAILURES=3)
def test_a_strangers_wait_gives_a_code_guesser_no_extra_tries(client, bota):
    stranger = Client()
    for _ in range(3):
        post_login(stranger, "bota", "wrong-passphrase", "000000")
    # Someone with the passphrase gets as many code tries as without the wait, no more.
    for _ in range(3):
        post_login(stranger, "bota", bota.passphrase, wrong_code(bota))
    bota.user.refresh_from_db()
    assert bota.user.code_failures == 3
    assert post_login(client, "bota", bota.passphrase, bota.code()).status_code == 403


@override_settings(LOCKOUT_FAILURES=3)
def test_it_lets_the_owner_in_after_the_wait(client, bota, clock):
    for _ in range(3):
        post_login(client, "bota", bota.passphrase, wrong_code(bota))
    clock.advance(seconds=31)
    assert post_login(client, "bota", bota.passphrase, bota.code()).status_code == 302


@override_settings(LOCKOUT_FAILURES=3)
def test_it_counts_a_wrong_code_towards_the_wait(client, bota):
    for _ in range(3):
        post_login(client, "bota", bota.passphrase, "000000")
    bota.user.refresh_from_db()
    assert bota.user.is_locked()


@override_settings(LOCKOUT_FAILURES=3)
def test_a_waiting_account_keeps_its_sessions(client, bota):
    log_in(client, bota)
    stranger = Client()
    for _ in range(6):
        post_login(stranger, "bota", bota.passphrase, wrong_code(bota))
    bota.user.refresh_from_db()
    assert bota.user.is_locked()
    assert client.get(HOME).status_code == 200
    # A refused re-authentication does not end the session either.
    confirm = client.post("/en/staff/confirm/", {"passphrase": bota.passphrase, "code": "1"})
    assert confirm.status_code == 200  # the form's own error: a code has six digits
    confirm = client.post(
        "/en/staff/confirm/", {"passphrase": bota.passphrase, "code": bota.code()}
    )
    assert confirm.status_code == 403
    assert WRONG.encode() in confirm.content
    assert client.get(HOME).status_code == 200


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


def _reused_code(bota) -> str:
    code = bota.code()
    assert post_login(Client(), "bota", bota.passphrase, code).status_code == 302
    return code


def _waiting(bota, passphrase: str) -> tuple[str, str, str]:
    """Make bota's account wait (codes guessed with the passphrase), then try this."""
    for _ in range(settings.LOCKOUT_FAILURES):
        post_login(Client(), "bota", bota.passphrase, wrong_code(bota))
    return ("bota", passphrase, bota.code())


REFUSALS = {
    "unknown name": lambda bota, erlan: ("nobody", "some-thing-long-enough", "123456"),
    "disabled account": lambda bota, erlan: ("erlan", erlan.passphrase, erlan.code()),
    "wrong passphrase": lambda bota, erlan: ("bota", bota.passphrase + "x", bota.code()),
    "wrong code": lambda bota, erlan: ("bota", bota.passphrase, wrong_code(bota)),
    "reused code": lambda bota, erlan: ("bota", bota.passphrase, _reused_code(bota)),
    "waiting, right credentials": lambda bota, erlan: _waiting(bota, bota.passphrase),
    "waiting, wrong passphrase": lambda bota, erlan: _waiting(bota, "wrong-passphrase"),
}


@pytest.mark.parametrize("cause", REFUSALS)
def test_every_refusal_does_the_same_work_and_says_the_same(
    client, bota, erlan, monkeypatch, cause
):
    from kalkan.accounts import services
    from kalkan.vault import crypto
    from kalkan.vault.models import StaffKey

    username, passphrase, code = REFUSALS[cause](bota, erlan)
    derived: list[bytes] = []
    padded: list[float] = []
    real_derive, real_pad = crypto.derive_from_passphrase, services.pad_refusal

    def derive(passphrase: str, salt: bytes, *args: int) -> tuple[bytes, bytes]:
        derived.append(salt)
        return real_derive(passphrase, salt, *args)

    def pad(started: float) -> None:
        padded.append(started)
        real_pad(started)

    monkeypatch.setattr(crypto, "derive_from_passphrase", derive)
    monkeypatch.setattr(services, "pad_refusal", pad)
    response = post_login(client, username, passphrase, code)
    assert response.status_code == 403
    assert WRONG.encode() in response.content
    assert b"must wait a few minutes" in response.content
    # One Argon2id run, then padded to the same floor, whatever the cause.
    assert len(derived) == 1
    assert len(padded) == 1
    if username == "bota":
        assert derived == [bytes(StaffKey.objects.get(user=bota.user).salt)]
    else:
        # No usable account: the same derivation against a dummy verifier.
        assert derived == [b"\x00" * 16]


@override_settings(LOGIN_REFUSAL_SECONDS=2)
def test_a_refusal_is_held_until_the_floor(monkeypatch):
    from kalkan.accounts import services

    slept: list[float] = []
    monkeypatch.setattr(services.time, "monotonic", lambda: 100.5)
    monkeypatch.setattr(services.time, "sleep", slept.append)
    services.pad_refusal(started=100.0)
    services.pad_refusal(started=97.0)  # already slower than the floor: no extra wait
    assert slept == [1.5]


def test_the_refusal_is_explained_in_the_persons_language(client, bota):
    response = client.post(
        "/kk/staff/login/", {"username": "bota", "passphrase": "wrong", "code": "000000"}
    )
    assert "тіркелгі бірнеше минут күтуі керек" in response.content.decode()
