"""Unlock, passphrase change, re-enrolment, removal with a new epoch, panic and recovery."""

from __future__ import annotations

import threading

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from kalkan.accounts.services import disable_staff, reenrol_staff
from kalkan.audit.models import AuditEntry
from kalkan.audit.services import read_details, record
from kalkan.core.testing import kalkan, log_in
from kalkan.vault import crypto
from kalkan.vault import services as vault
from kalkan.vault.escrow_words import BadEscrowWords, from_words, to_words
from kalkan.vault.models import OrgEpoch, OrgKeyWrap


def sealed_note(text: str) -> AuditEntry:
    """Something written without any unlock and readable only with organisation keys."""
    return record("test.note", actor_id=None, details={"note": text})


def test_it_unlocks_the_organisation_key_with_the_passphrase(bota):
    keyring = vault.unlock(bota.user, bota.passphrase)
    assert keyring is not None
    epoch = OrgEpoch.objects.get(number=1)
    assert crypto.public_of(keyring.org_secret(1)) == bytes(epoch.public_key)


def test_a_wrong_passphrase_or_unknown_person_unlocks_nothing(bota):
    assert vault.unlock(bota.user, bota.passphrase + "-x") is None
    assert vault.unlock(None, bota.passphrase) is None


def test_it_changes_the_passphrase_without_touching_the_organisation_keys(bota):
    before = bota.keyring()
    assert not vault.change_passphrase(bota.user, "wrong", "a-new-long-passphrase-here")
    assert vault.change_passphrase(bota.user, bota.passphrase, "a-new-long-passphrase-here")
    assert vault.unlock(bota.user, bota.passphrase) is None
    after = vault.unlock(bota.user, "a-new-long-passphrase-here")
    assert after is not None
    assert after.org_secrets == before.org_secrets
    assert after.staff_secret == before.staff_secret


def test_a_forgotten_passphrase_loses_no_data(amir, bota):
    note = sealed_note("written before bota forgot")
    enrolment = reenrol_staff(bota.user, actor=amir.user, keyring=amir.keyring())
    assert vault.unlock(bota.user, bota.passphrase) is None
    keyring = vault.unlock(bota.user, enrolment.passphrase)
    assert keyring is not None
    assert read_details(note, keyring) == {"note": "written before bota forgot"}


def test_removing_someone_starts_an_epoch_their_old_keys_cannot_open(amir, bota, dana):
    dana_old = dana.keyring()
    their_session = log_in(Client(), dana)
    before = sealed_note("before dana left")
    epoch = disable_staff(dana.user, actor=amir.user, keyring=amir.keyring())
    assert epoch == 2
    after = sealed_note("after dana left")
    assert after.details.startswith("2:")
    # The old keys still open what they could already see (revocation is forward-only)...
    assert read_details(before, dana_old) == {"note": "before dana left"}
    # ...but nothing written afterwards.
    assert read_details(after, dana_old) is None
    assert not OrgKeyWrap.objects.filter(holder=dana.user).exists()
    assert their_session.get("/en/staff/").status_code == 302
    # Those who stay can read both, with the same passphrase as before.
    bota_now = vault.unlock(bota.user, bota.passphrase)
    assert bota_now is not None
    assert read_details(after, bota_now) == {"note": "after dana left"}
    assert read_details(before, bota_now) == {"note": "before dana left"}


def test_panic_leaves_nothing_that_opens(amir, bota):
    log_in(Client(), bota)
    note = sealed_note("before the raid")
    vault.panic()
    assert Session.objects.count() == 0
    for person in (amir, bota):
        keyring = vault.unlock(person.user, person.passphrase)
        assert keyring is not None and keyring.org_secrets == {}
        assert read_details(note, keyring) is None
    login = Client().post(
        "/en/staff/login/",
        {"username": "amir", "passphrase": amir.passphrase, "code": amir.code()},
    )
    assert login.status_code == 403
    assert b"This server is sealed (panic)." in login.content


def test_escrow_recovery_restores_access_for_a_new_admin(organisation, amir, bota):
    note = sealed_note("kept through the raid")
    disable_staff(bota.user, actor=amir.user, keyring=amir.keyring())  # a second epoch
    note2 = sealed_note("epoch two")
    vault.panic()
    keyring = vault.open_with_escrow(organisation.escrow_secret)
    assert set(keyring.org_secrets) == {1, 2}
    assert read_details(note, keyring) == {"note": "kept through the raid"}
    assert read_details(note2, keyring) == {"note": "epoch two"}
    with pytest.raises(vault.BadEscrowSecret):
        vault.open_with_escrow(crypto.random_key())


def test_escrow_words_round_trip_and_catch_mistakes():
    secret = crypto.random_key()
    words = to_words(secret)
    assert len(words) == 21
    assert from_words(" ".join(words)) == secret
    assert from_words("-".join(words).upper()) == secret
    swapped = [*words[:10], words[11], words[10], *words[12:]]
    with pytest.raises(BadEscrowWords, match="check word"):
        from_words(" ".join(swapped))
    with pytest.raises(BadEscrowWords, match="word 3"):
        from_words(" ".join([*words[:2], "notaword", *words[3:]]))
    with pytest.raises(BadEscrowWords, match="expected 21 words"):
        from_words(" ".join(words[:-1]))


def test_escrow_words_with_a_hyphen_of_their_own_still_recover():
    """t-shirt, yo-yo, drop-down and felt-tip are list words: a secret that spells one of
    them (about one instance in a hundred) must come back, however the words are joined."""
    from kalkan.core.words import WORDS

    for word in ("t-shirt", "yo-yo", "drop-down", "felt-tip"):
        number = WORDS.index(word) * len(WORDS) ** 18 + 12345
        secret = number.to_bytes(32, "big")
        words = to_words(secret)
        assert word in words
        assert from_words(" ".join(words)) == secret
        assert from_words("  ".join(words).upper()) == secret


def test_parallel_unlocks_are_capped(bota, settings):
    settings.VAULT_UNLOCK_WAIT_SECONDS = 0.2
    slots = vault._slots
    vault._slots = threading.BoundedSemaphore(1)
    try:
        vault._slots.acquire()  # another login is deriving its key
        response = Client().post(
            "/en/staff/login/",
            {"username": "bota", "passphrase": bota.passphrase, "code": bota.code()},
        )
        assert response.status_code == 403
        assert b"The server is busy checking other logins." in response.content
        bota.user.refresh_from_db()
        assert bota.user.failed_logins == 0
    finally:
        vault._slots = slots


# --- the command line: panic, then recovery with the escrow words ------------------------


def test_panic_and_recover_from_the_command_line(tmp_path):
    data = tmp_path / "inst"
    init = kalkan("init", "--data-dir", str(data), "--admin", "amir", "--non-interactive",
                  "--show-escrow")
    values = dict(line.split("=", 1) for line in init.stdout.splitlines())
    refused = kalkan("panic", "--data-dir", str(data))
    assert refused.returncode != 0
    assert "pass --yes" in refused.stderr
    sealed = kalkan("panic", "--yes", "--data-dir", str(data))
    assert sealed.returncode == 0, sealed.stderr
    assert "The server is sealed" in sealed.stdout

    wrong = crypto.random_key()
    bad = _recover(data, " ".join(to_words(wrong)), "nadira")
    assert bad.returncode != 0
    assert "belong to another Kalkan instance" in bad.stderr
    words = values["ESCROW_WORDS"].split()
    typo = _recover(data, " ".join(["zzz", *words[1:]]), "nadira")
    assert "is not in the word list" in typo.stderr

    good = _recover(data, values["ESCROW_WORDS"], "nadira")
    assert good.returncode == 0, good.stderr
    assert "Recovered. Administrator: nadira" in good.stdout
    verify = kalkan("audit", "verify", "--data-dir", str(data))
    assert verify.returncode == 0


def _recover(data, words: str, admin: str):
    import subprocess
    import sys

    from kalkan.core.testing import cli_env

    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "kalkan.cli", "recover", "--admin", admin, "--data-dir", str(data)],
        input=words + "\n", capture_output=True, text=True, env=cli_env(), timeout=120,
        check=False,
    )


def test_a_colleague_logged_in_during_a_removal_gets_the_new_epoch(client, amir, bota, dana):
    from kalkan.vault.session import keyring_of

    colleague = log_in(Client(), bota)
    log_in(client, amir)
    client.post(f"/en/staff/team/{dana.user.pk}/disable/")
    assert OrgEpoch.objects.count() == 2
    response = colleague.get("/en/staff/")
    assert response.status_code == 200
    keyring = keyring_of(response.wsgi_request)
    assert keyring is not None and set(keyring.org_secrets) == {1, 2}
    # The administrator's own session holds the new epoch too.
    admin_keyring = keyring_of(client.get("/en/staff/").wsgi_request)
    assert admin_keyring is not None and 2 in admin_keyring.org_secrets


def test_logout_and_the_idle_timeout_destroy_the_unlocked_keys(bota, settings):
    from kalkan.accounts.middleware import LAST_SEEN_KEY
    from kalkan.vault.session import COOKIE_NAME, SESSION_FIELD

    def sealed_keys_in_sessions() -> int:
        return sum(SESSION_FIELD in s.get_decoded() for s in Session.objects.all())

    client = Client()
    response = client.post(
        "/en/staff/login/",
        {"username": "bota", "passphrase": bota.passphrase, "code": bota.code()},
    )
    assert response.cookies[COOKIE_NAME]["httponly"]
    assert response.cookies[COOKIE_NAME]["samesite"] == "Strict"
    assert sealed_keys_in_sessions() == 1
    logout = client.post("/en/staff/logout/")
    assert sealed_keys_in_sessions() == 0
    assert logout.cookies[COOKIE_NAME].value == ""  # the browser is told to forget it

    log_in(client, bota)
    session = client.session
    session[LAST_SEEN_KEY] = 0
    session.save()
    client.get("/en/staff/")
    assert sealed_keys_in_sessions() == 0


def test_a_session_without_its_cookie_key_opens_nothing(bota):
    from kalkan.vault.session import COOKIE_NAME

    client = log_in(Client(), bota)
    client.cookies[COOKIE_NAME] = "AAAA" + client.cookies[COOKIE_NAME].value[4:]
    response = client.get("/en/staff/", follow=True)
    assert b"Your session has ended. Please log in again." in response.content
