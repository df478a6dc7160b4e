"""Round trips, tampering, truncation, swapping and size leaks of the primitives."""

from __future__ import annotations

import io
import os

import pytest

from kalkan.vault import crypto
from kalkan.vault.crypto import Tampered


@pytest.fixture
def key():
    return crypto.random_key()


@pytest.mark.parametrize(
    "text",
    [b"", b"a", b"\x00", b"ends with zeros\x00\x00", b"\x80", "Айгүл, Қарағанды".encode(),
     os.urandom(5000)],
)
def test_fields_round_trip(key, text):
    where = crypto.field_aad("rec-1", "narrative", 1)
    assert crypto.decrypt(key, crypto.encrypt(key, text, where), where) == text


def test_the_same_text_gives_different_ciphertexts_and_sizes(key):
    where = crypto.field_aad("rec-1", "narrative", 1)
    blobs = [crypto.encrypt(key, b"detained at the district station", where) for _ in range(40)]
    assert len(set(blobs)) == 40
    assert len({len(b) for b in blobs}) > 1


def test_a_flipped_byte_is_detected(key):
    where = crypto.field_aad("rec-1", "narrative", 1)
    blob = bytearray(crypto.encrypt(key, b"secret", where))
    for position in (1, 30, len(blob) - 1):
        changed = bytearray(blob)
        changed[position] ^= 0x01
        with pytest.raises(Tampered):
            crypto.decrypt(key, bytes(changed), where)


def test_a_ciphertext_moved_to_another_field_or_record_is_detected(key):
    blob = crypto.encrypt(key, b"secret", crypto.field_aad("rec-1", "narrative", 1))
    for elsewhere in (
        crypto.field_aad("rec-1", "contact", 1),
        crypto.field_aad("rec-2", "narrative", 1),
        crypto.field_aad("rec-1", "narrative", 2),
        crypto.field_aad("rec-1", "narrative", 1, schema=2),
    ):
        with pytest.raises(Tampered):
            crypto.decrypt(key, blob, elsewhere)


def test_the_wrong_key_fails_cleanly(key):
    where = crypto.field_aad("rec-1", "narrative", 1)
    with pytest.raises(Tampered):
        crypto.decrypt(crypto.random_key(), crypto.encrypt(key, b"x", where), where)


def test_fields_open_as_libsodium_through_pynacl_opens_them(key):
    """decrypt calls libsodium's AEAD itself (kalkan.vault.crypto._aead_open): it opens what
    PyNaCl's binding opens, and refuses what the binding refuses, short keys and nonces too."""
    import nacl.bindings as sodium

    nonce, associated = os.urandom(24), b"field|record"
    for message in (b"", b"x", "Свидетель видел задержание".encode() * 40):
        sealed = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
            message, associated, nonce, key)
        assert crypto._aead_open(sealed, associated, nonce, key) == message
        for bad in (sealed[:-1], sealed[:15], bytes([sealed[0] ^ 1]) + sealed[1:]):
            with pytest.raises(Tampered):
                crypto._aead_open(bad, associated, nonce, key)
        for args in ((sealed, b"other", nonce, key), (sealed, associated, nonce[:23], key),
                     (sealed, associated, nonce, key[:31]), (sealed, associated, nonce,
                                                              os.urandom(32))):
            with pytest.raises(Tampered):
                crypto._aead_open(*args)


def test_associated_parts_cannot_run_into_each_other():
    assert crypto.aad("ab", "c") != crypto.aad("a", "bc")


def test_key_wraps_round_trip_and_bind_their_place(key):
    inner = crypto.random_key()
    wrapped = crypto.wrap_key(key, inner, crypto.aad("record-key", "rec-1", 1))
    assert crypto.unwrap_key(key, wrapped, crypto.aad("record-key", "rec-1", 1)) == inner
    with pytest.raises(Tampered):
        crypto.unwrap_key(key, wrapped, crypto.aad("record-key", "rec-2", 1))


def test_sealed_boxes_round_trip():
    secret, public = crypto.new_keypair()
    assert crypto.public_of(secret) == public
    sealed = crypto.seal_to(public, b"org key")
    assert crypto.open_sealed(secret, sealed) == b"org key"
    other, _ = crypto.new_keypair()
    with pytest.raises(Tampered):
        crypto.open_sealed(other, sealed)


def test_a_passphrase_gives_a_key_and_a_separate_verifier():
    salt = os.urandom(crypto.SALT_BYTES)
    kek, verifier = crypto.derive_from_passphrase("ox-ox-ox", salt, 1, 8 * 1024 * 1024)
    again = crypto.derive_from_passphrase("ox-ox-ox", salt, 1, 8 * 1024 * 1024)
    assert (kek, verifier) == again
    assert kek != verifier
    wrong = crypto.derive_from_passphrase("ox-ox-oy", salt, 1, 8 * 1024 * 1024)
    assert wrong[0] != kek and wrong[1] != verifier


def _sealed_file(key: bytes, data: bytes, where: bytes, piece: int = 10_000) -> bytes:
    out = io.BytesIO()
    pieces = [data[i : i + piece] for i in range(0, len(data), piece)]
    assert crypto.encrypt_stream(key, pieces, out, where) == len(data)
    return out.getvalue()


@pytest.mark.parametrize(
    "size", [0, 1, 4095, 4096, crypto.FILE_CHUNK - 1, crypto.FILE_CHUNK, 3 * crypto.FILE_CHUNK + 7]
)
def test_files_round_trip(key, size):
    data = os.urandom(size)
    where = crypto.aad("file", "ev-1", 1)
    sealed = _sealed_file(key, data, where)
    assert b"".join(crypto.decrypt_stream(key, io.BytesIO(sealed), where)) == data
    # Padded: without the per-chunk overhead the size is a whole number of 4 KiB blocks,
    # so it says only roughly how big the file is.
    chunks = size // crypto.FILE_CHUNK + 1
    assert (len(sealed) - 1 - 24 - 17 * chunks) % crypto.FILE_BLOCK == 0


def test_a_truncated_file_is_detected(key):
    where = crypto.aad("file", "ev-1", 1)
    sealed = _sealed_file(key, os.urandom(3 * crypto.FILE_CHUNK), where)
    whole_chunks = 1 + 24 + 2 * (crypto.FILE_CHUNK + 17)
    for cut in (whole_chunks, len(sealed) - 1, 10):
        with pytest.raises(Tampered):
            b"".join(crypto.decrypt_stream(key, io.BytesIO(sealed[:cut]), where))


def test_a_changed_or_extended_file_is_detected(key):
    where = crypto.aad("file", "ev-1", 1)
    sealed = bytearray(_sealed_file(key, os.urandom(100_000), where))
    sealed[5000] ^= 0x10
    with pytest.raises(Tampered):
        b"".join(crypto.decrypt_stream(key, io.BytesIO(bytes(sealed)), where))
    sealed[5000] ^= 0x10
    with pytest.raises(Tampered):
        b"".join(crypto.decrypt_stream(key, io.BytesIO(bytes(sealed) + b"more"), where))
    with pytest.raises(Tampered):
        b"".join(crypto.decrypt_stream(key, io.BytesIO(bytes(sealed)), crypto.aad("file", "x", 1)))
