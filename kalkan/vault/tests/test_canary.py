"""The canary test of security.md: plant unique strings in everything a person types or
uploads, let staff unlock, view and work, then search every byte on disk for them, in raw,
base64, hex, UTF-16 and lower-case form. Also: the server's secrets alone open nothing.
"""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client

from kalkan.audit.models import AuditEntry
from kalkan.audit.services import read_details, record
from kalkan.vault import crypto, workingset
from kalkan.vault import services as vault
from kalkan.vault.files import files_dir, open_file, store_file
from kalkan.vault.models import ContentKey, OrgKeyWrap, StaffKey
from kalkan.vault.records import new_sealed, open_content_key, read, write
from kalkan.vault.session import SESSION_FIELD
from kalkan.vault.tests.sealed_notes.models import Note

pytestmark = pytest.mark.django_db(transaction=True)


def canary(label: str) -> bytes:
    return f"CANARY-{label}-{secrets.token_hex(8)}".encode()


def forms_of(secret: bytes) -> list[bytes]:
    """The shapes a leaked secret could take in a file."""
    shapes = [secret, secret.lower(), secret.hex().encode(), secret.hex().upper().encode()]
    shapes += [
        secret.decode("latin-1").encode("utf-16-le"),
        secret.decode("latin-1").encode("utf-16-be"),
    ]
    # Base64 of a substring depends on its offset: take each alignment and drop the edges.
    for offset in range(3):
        encoded = base64.b64encode(b"\x00" * offset + secret)
        shapes.append(encoded[4:-4])
        shapes.append(base64.urlsafe_b64encode(b"\x00" * offset + secret)[4:-4])
    return [s for s in shapes if len(s) >= 12]


def every_file_on_disk() -> list[Path]:
    roots = [Path(settings.DATA_DIR)]
    if os.environ.get("KALKAN_TEST_PG_DATA"):
        roots.append(Path(os.environ["KALKAN_TEST_PG_DATA"]))
    # os.walk passes over directories that vanish mid-walk (PostgreSQL's own temporary ones).
    return [
        Path(folder) / name
        for root in roots
        for folder, _, names in os.walk(root)
        for name in names
        if (Path(folder) / name).is_file()
    ]


def contents_of_every_file() -> list[tuple[str, bytes]]:
    blobs = []
    for path in every_file_on_disk():
        try:
            blobs.append((str(path), path.read_bytes()))
        except FileNotFoundError:
            # PostgreSQL writes and removes files of its own (pg_internal.init, temp files)
            # while we walk its data directory; a file that is gone holds nothing to leak.
            continue
    return blobs


def pg_dump() -> bytes:
    params = connection.settings_dict
    binary = Path(os.environ.get("KALKAN_TEST_PG_BIN", "/usr/bin")) / "pg_dump"
    return subprocess.run(  # noqa: S603
        [
            str(binary),
            "-h",
            params["HOST"],
            "-p",
            str(params["PORT"]),
            "-U",
            params["USER"],
            params["NAME"],
        ],
        capture_output=True,
        check=True,
    ).stdout


def find_leaks(secrets_by_name: dict[str, bytes]) -> list[str]:
    connection.close()  # let SQLite checkpoint nothing more in memory; everything is on disk
    blobs = contents_of_every_file()
    if connection.vendor == "postgresql":
        blobs.append(("pg_dump", pg_dump()))
    # Each blob lowered once: lowering hundreds of megabytes of PostgreSQL data for every
    # shape of every secret kept the suite minutes in this one scan.
    searched = [(where, data, data.lower()) for where, data in blobs]
    leaks = []
    for name, secret in secrets_by_name.items():
        for shape in forms_of(secret):
            for where, data, lowered in searched:
                if shape in data or shape in lowered:
                    leaks.append(f"{name} as {shape[:20]!r} in {where}")
    return leaks


def test_nothing_typed_or_uploaded_is_readable_on_disk(amir, bota, caplog):
    planted = {
        "title": canary("title"),
        "narrative": canary("narrative"),
        "contact": canary("contact"),
        "file-bytes": canary("file-bytes"),
        "file-name": canary("file-name"),
        "audit": canary("audit"),
        "passphrase": canary("passphrase"),
    }
    # A report arrives with nobody logged in (intake), another is written by staff.
    intake, intake_key = new_sealed(Note, None)
    write(intake, intake_key, title=planted["title"].decode(), body=planted["narrative"].decode())
    staff_keyring = bota.keyring()
    note, key = new_sealed(Note, staff_keyring)
    upload = os.urandom(100_000) + planted["file-bytes"] + os.urandom(1000)
    stored = store_file(key, str(note.id), note.content_key.sealed_in_epoch, [upload])
    note.file_name = stored.name
    write(
        note,
        key,
        body=planted["contact"].decode(),
        file_meta=f"{planted['file-name'].decode()}.jpg {stored.sha256} {stored.size}",
    )
    record("test.note", actor_id=bota.user.pk, details={"note": planted["audit"].decode()})
    # A staff member chooses a passphrase that is itself a canary.
    new_passphrase = planted["passphrase"].decode() + "-long-enough"
    assert vault.change_passphrase(bota.user, bota.passphrase, new_passphrase)

    assert find_leaks(planted) == []

    # Staff log in through the real form (their keys go into the session), view and work.
    client = Client()
    response = client.post(
        "/en/staff/login/",
        {"username": "bota", "passphrase": new_passphrase, "code": bota.code()},
    )
    assert response.status_code == 302
    admin = Client()
    admin.post(
        "/en/staff/login/", {"username": "amir", "passphrase": amir.passphrase, "code": amir.code()}
    )
    page = admin.get("/en/staff/audit/")
    assert planted["audit"] in page.content  # readable to staff who unlocked...
    keyring = vault.unlock(bota.user, new_passphrase)
    assert keyring is not None
    intake_row = Note.objects.get(pk=intake.pk)
    assert read(intake_row, open_content_key(intake_row.content_key, keyring))["body"] == (
        planted["narrative"].decode()
    )
    note_row = Note.objects.get(pk=note.pk)
    note_key = open_content_key(note_row.content_key, keyring)
    assert planted["file-bytes"] in b"".join(
        open_file(note_key, str(note.id), note_row.content_key.sealed_in_epoch, note_row.file_name)
    )
    entry = AuditEntry.objects.get(action="test.note")
    assert read_details(entry, keyring) == {"note": planted["audit"].decode()}
    # The login built the working set (and its encrypted snapshot); search it.
    found = workingset.for_session("canary-search", keyring).search(planted["narrative"].decode())
    assert found == [str(intake.id)]

    # ...and still nowhere on disk, nor are the unlocked keys themselves.
    unlocked = {f"org-key-{e}": k for e, k in keyring.org_secrets.items()}
    unlocked["staff-key"] = keyring.staff_secret or b""
    unlocked["content-key"] = note_key
    assert list((Path(settings.DATA_DIR) / "workingset").glob("*.snap"))
    assert find_leaks({**planted, **unlocked}) == []
    assert not any(s.decode() in caplog.text for s in planted.values())


def test_the_database_and_every_server_secret_open_nothing(amir, bota, dana):
    """Everything but a passphrase: try every stored key blob with every key-sized value the
    server holds (database, secret key, TOTP secrets, session data), and fail every time."""
    keyring = bota.keyring()
    note, key = new_sealed(Note, keyring)
    write(note, key, body="the body")
    intake, intake_key = new_sealed(Note, None)
    write(intake, intake_key, body="from the public form")
    record("test.note", actor_id=None, details={"note": "sealed"})
    Client().post(
        "/en/staff/login/", {"username": "dana", "passphrase": dana.passphrase, "code": dana.code()}
    )
    assert Session.objects.filter(session_data__isnull=False).exists()

    candidates: set[bytes] = set()
    secret_key = settings.SECRET_KEY.encode()
    import hashlib

    candidates |= {
        hashlib.sha256(secret_key).digest(),
        hashlib.blake2b(secret_key, digest_size=32).digest(),
        secret_key[:32],
    }
    from django_otp.plugins.otp_totp.models import TOTPDevice

    for device in TOTPDevice.objects.all():
        candidates.add(bytes.fromhex(device.key).ljust(32, b"\x00")[:32])
    binary_values: list[bytes] = []
    for model, fields in [
        (OrgKeyWrap, ["sealed"]),
        (StaffKey, ["public_key", "salt", "verifier_digest", "wrapped_secret"]),
        (ContentKey, ["wrapped"]),
        (Note, ["title", "body", "file_meta"]),
    ]:
        for row in model._default_manager.all():
            for field in fields:
                binary_values.append(bytes(getattr(row, field)))
    from kalkan.vault.models import Escrow, OrgEpoch

    binary_values += [bytes(e.public_key) for e in OrgEpoch.objects.all()]
    binary_values += [bytes(e.public_key) for e in Escrow.objects.all()]
    for session in Session.objects.all():
        sealed = session.get_decoded().get(SESSION_FIELD)
        if sealed:
            binary_values.append(base64.b64decode(sealed))
    for value in binary_values:
        for start in range(0, max(1, len(value) - 31), 8):
            if len(value[start : start + 32]) == 32:
                candidates.add(value[start : start + 32])

    opened = []
    sealed_blobs = [bytes(w.sealed) for w in OrgKeyWrap.objects.all()]
    sealed_blobs += [bytes(c.wrapped) for c in ContentKey.objects.filter(by_intake=True)]
    symmetric = [
        (bytes(s.wrapped_secret), crypto.aad("staff-secret", s.user_id))
        for s in StaffKey.objects.all()
    ]
    symmetric += [
        (bytes(c.wrapped), crypto.aad("content-key", str(c.id), c.epoch_id))
        for c in ContentKey.objects.filter(by_intake=False)
    ]
    for candidate in candidates:
        for blob in sealed_blobs:
            try:
                crypto.open_sealed(candidate, blob)
                opened.append("sealed box")
            except crypto.Tampered:
                pass
        for blob, associated in symmetric:
            for derived in (
                candidate,
                hashlib.blake2b(candidate, digest_size=32, person=b"kalkan-ckwrap").digest(),
            ):
                try:
                    crypto.unwrap_key(derived, blob, associated)
                    opened.append("symmetric wrap")
                except crypto.Tampered:
                    pass
    assert len(candidates) > 100
    assert opened == []


def test_the_search_would_find_plaintext(organisation):
    """The canary search is not blind: a value stored in the clear (a username) is found,
    in the database files or the dump, and so is a file written in the clear."""
    from kalkan.accounts.models import User

    name = f"plain-{secrets.token_hex(6)}"
    User.objects.create_user(username=name, role="analyst")
    (files_dir() / "careless.txt").write_bytes(b"CANARY-careless-" + name.encode())
    leaks = find_leaks({"username": name.encode(), "careless": b"CANARY-careless-"})
    assert any(leak.startswith("username") and "careless" not in leak for leak in leaks)
    assert any(leak.startswith("careless") for leak in leaks)
    (files_dir() / "careless.txt").unlink()
