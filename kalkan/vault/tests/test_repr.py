"""Secrets never show in repr: a keyring, the founding escrow secret, a new passphrase, an
upload's key or a reporter's words in a log line or a traceback's locals open nothing."""

from __future__ import annotations

import base64
import uuid

from kalkan.accounts.roles import Role
from kalkan.accounts.services import enrol_staff
from kalkan.intake.services import Submission
from kalkan.intake.uploads import SealedUpload
from kalkan.vault import crypto
from kalkan.vault.escrow_words import to_words
from kalkan.vault.files import StoredFile
from kalkan.vault.records import new_content_key


def _forms(secret: bytes) -> list[str]:
    return [repr(secret), secret.hex(), base64.b64encode(secret).decode(), str(list(secret))]


def assert_hidden(obj: object, *secrets: bytes | str) -> None:
    shown = repr(obj) + str(obj)
    for secret in secrets:
        forms = _forms(secret) if isinstance(secret, bytes) else [secret]
        for form in forms:
            assert form not in shown, (form, shown)


def test_keyrings_and_the_founding_secret(organisation, amir):
    keyring = amir.keyring()
    secrets = [keyring.staff_secret or b"", *keyring.org_secrets.values()]
    keyring.compartment_secrets["c"] = crypto.random_key()
    assert_hidden(keyring, *secrets, keyring.compartment_secrets["c"])
    assert "epochs=[1]" in repr(keyring)  # which keys, not the keys
    escrow = organisation.escrow_secret
    assert_hidden(organisation, escrow, *organisation.keyring.org_secrets.values(),
                  " ".join(to_words(escrow)))


def test_a_new_passphrase_and_totp_secret(organisation):
    enrolment = enrol_staff("gulnara", Role.ANALYST, actor=None, keyring=organisation.keyring)
    secret = enrolment.totp_uri.split("secret=", 1)[1].split("&", 1)[0]
    assert_hidden(enrolment, enrolment.passphrase, secret, enrolment.totp_uri)
    assert "gulnara" in repr(enrolment)


def test_an_upload_and_a_submission(organisation):
    row, key = new_content_key(None)
    upload = SealedUpload(uuid.uuid4(), row, key, "Aibek-at-the-station.jpg", "image/jpeg",
                          StoredFile("f" * 32, 1000, "ab" * 32), b"\xff\xd8\xff-first-bytes")
    assert_hidden(upload, key, "Aibek-at-the-station", "ab" * 32, b"\xff\xd8\xff-first-bytes")
    told = Submission(narrative="Aibek was taken at the station",
                      contact={"contact_details": "@aibek-signal"},
                      answers={"place": "Kara-Suu"})
    assert_hidden(told, "Aibek", "@aibek-signal", "Kara-Suu")
