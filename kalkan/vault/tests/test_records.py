"""Sealed records and files through the real database: round trips, intake without unlock,
re-wrapping to a new epoch, and tampering that moves ciphertext around."""

from __future__ import annotations

import os

import pytest
from django.db import connection

from kalkan.accounts.services import disable_staff
from kalkan.vault import crypto
from kalkan.vault.files import files_dir, open_file, store_file
from kalkan.vault.models import ContentKey
from kalkan.vault.records import (
    new_sealed,
    open_content_key,
    read,
    rewrap_content_keys,
    write,
)
from kalkan.vault.tests.sealed_notes.models import Note


def make_note(keyring, **fields) -> Note:
    note, key = new_sealed(Note, keyring)
    write(note, key, **fields)
    return note


def test_a_record_round_trips_through_the_database(bota):
    keyring = bota.keyring()
    note = make_note(keyring, title="Жалоба", body="Detained at the station in Kara-Suu")
    stored = Note.objects.select_related("content_key").get(pk=note.pk)
    key = open_content_key(stored.content_key, keyring)
    assert read(stored, key) == {
        "title": "Жалоба",
        "body": "Detained at the station in Kara-Suu",
        "file_meta": "",
    }
    assert b"Kara-Suu" not in bytes(stored.body)


def test_intake_writes_without_any_unlock_and_staff_read_it(organisation, bota):
    note = make_note(None, body="written by someone anonymous")
    row = ContentKey.objects.get(pk=note.content_key_id)
    assert row.by_intake
    key = open_content_key(row, bota.keyring())
    assert read(Note.objects.get(pk=note.pk), key)["body"] == "written by someone anonymous"


def test_ciphertext_swapped_between_fields_or_records_is_detected(bota):
    keyring = bota.keyring()
    one = make_note(keyring, title="one", body="first body")
    two = make_note(keyring, title="two", body="second body")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE sealed_notes_note SET title = body WHERE id = %s", [one.pk.hex]
            if connection.vendor == "sqlite" else [one.pk]
        )
    stored = Note.objects.get(pk=one.pk)
    with pytest.raises(crypto.Tampered):
        read(stored, open_content_key(stored.content_key, keyring))
    # Move record two's body into record one, whose key is different anyway; then give
    # record one record two's key too: the associated data still refuses it.
    stolen = Note.objects.get(pk=two.pk)
    target = Note.objects.get(pk=one.pk)
    target.title = b""
    target.body = stolen.body
    with pytest.raises(crypto.Tampered):
        read(target, open_content_key(stolen.content_key, keyring))


def test_rewrapping_moves_keys_to_the_new_epoch(organisation, amir, bota, dana):
    intake_note = make_note(None, body="from the public form")
    staff_note = make_note(bota.keyring(), body="a case note")
    dana_old = dana.keyring()
    disable_staff(dana.user, actor=amir.user, keyring=amir.keyring())
    # disable_staff re-wraps at once: every key is now a symmetric wrap in epoch 2.
    assert set(ContentKey.objects.values_list("epoch_id", "by_intake")) == {(2, False)}
    assert rewrap_content_keys(amir.keyring()) == 0
    bota_now = bota.keyring()
    for note in (intake_note, staff_note):
        stored = Note.objects.get(pk=note.pk)
        assert read(stored, open_content_key(stored.content_key, bota_now))["body"]
        with pytest.raises(PermissionError):
            open_content_key(stored.content_key, dana_old)
    later = make_note(bota_now, body="after dana left")
    with pytest.raises(PermissionError):
        open_content_key(ContentKey.objects.get(pk=later.content_key_id), dana_old)


def test_files_round_trip_and_leave_only_ciphertext(bota):
    data = os.urandom(200_000) + b"CANARY-FILE-BYTES"
    pieces = [data[i : i + 7000] for i in range(0, len(data), 7000)]
    stored = store_file(b"k" * 32, "rec-1", 1, pieces)
    assert stored.size == len(data)
    assert b"".join(open_file(b"k" * 32, "rec-1", 1, stored.name)) == data
    on_disk = (files_dir() / stored.name).read_bytes()
    assert b"CANARY-FILE-BYTES" not in on_disk
    assert list(files_dir().glob("*.partial")) == []


def test_a_failed_upload_leaves_nothing(bota):
    def broken():
        yield b"first part"
        raise ConnectionError("the reporter's connection dropped")

    before = set(files_dir().iterdir())
    with pytest.raises(ConnectionError):
        store_file(b"k" * 32, "rec-1", 1, broken())
    assert set(files_dir().iterdir()) == before


def test_a_truncated_stored_file_is_detected(bota):
    stored = store_file(b"k" * 32, "rec-1", 1, [os.urandom(150_000)])
    path = files_dir() / stored.name
    path.write_bytes(path.read_bytes()[:70_000])
    with pytest.raises(crypto.Tampered):
        b"".join(open_file(b"k" * 32, "rec-1", 1, stored.name))


def test_records_sealed_in_bulk_are_what_one_by_one_makes(bota):
    """bulk_create_sealed (imports, demo data) inserts rows without model instances: what
    lands must read, authenticate and be found exactly as a record written one by one."""
    from django.utils import timezone

    from kalkan.vault import authentic
    from kalkan.vault.records import bulk_create_sealed

    keyring = bota.keyring()
    single = make_note(keyring, title="one by one")
    first, second = bulk_create_sealed(Note, keyring, [
        ({"title": "Жалоба", "body": "Задержан у вокзала в Кара-Суу"}, {"file_name": "a.pdf"}),
        {"title": "second"},
    ])
    today = timezone.now().date()
    for pk, expected in ((first, {"title": "Жалоба", "body": "Задержан у вокзала в Кара-Суу",
                                  "file_meta": ""}),
                         (second, {"title": "second", "body": "", "file_meta": ""})):
        # Found by id, day, epoch and the key's join as Django stores them on this database.
        stored = Note.objects.select_related("content_key").get(
            pk=str(pk), created_on=today, content_key__epoch__number=1)
        authentic.check(stored.content_key)
        assert stored.content_key.fields_version == single.content_key.fields_version == 2
        assert not stored.content_key.by_intake and stored.content_key.compartment_id is None
        assert read(stored, open_content_key(stored.content_key, keyring)) == expected
        assert stored.revision > single.revision
    assert Note.objects.get(pk=first).file_name == "a.pdf"
    assert Note.objects.get(pk=second).file_name == ""  # the field's default
    # Their ciphertexts are bound to their own rows as any record's are.
    a, b = Note.objects.get(pk=first), Note.objects.get(pk=second)
    a.title = bytes(b.title)
    a.save()
    with pytest.raises(crypto.Tampered):
        read(a, open_content_key(ContentKey.objects.get(pk=a.content_key_id), keyring))
