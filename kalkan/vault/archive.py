"""The backup archive's envelope: one secretstream over everything, opened through key slots.

    magic, version, header length, header (JSON: the key slots), stream header,
    then frames: 4-byte length + one secretstream message (256 KiB of plaintext at most),
    the last one tagged FINAL.

Everything that says anything about the instance (row counts, sizes, usernames, audit
actions) is inside the stream. The header holds only key slots, each giving the random
archive key:

- `instance`: sealed to a key pair derived from the data directory's secret key, so the
  instance that made the archive (the weekly drill) opens it without a passphrase. Whoever
  holds that key holds the live instance the archive was made from anyway; a copy kept
  off-site, without the data directory, does not open with it;
- `escrow`: sealed to the escrow public key pinned in the data directory (the offline words);
- `admin`: one per administrator: their staff key as stored (Argon2id salt and limits, the
  secret wrapped under the passphrase's key) and the archive key sealed to their public key.
  No username is written: the one typed is checked inside the sealed slot.

Every message is bound (associated data) to a hash of the magic and header, so a changed
slot, a flipped byte, a reordered, missing or added frame and a cut-off end are all refused
(crypto.Tampered). Nothing here needs Django: a restore opens the archive before the new
instance's settings exist.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

import nacl.bindings as sodium
import nacl.exceptions

from kalkan.vault import crypto

MAGIC = b"KALKAN-BACKUP\n"
VERSION = 1
CHUNK = 256 * 1024
_MAX_HEADER = 1 << 20
_ABYTES = sodium.crypto_secretstream_xchacha20poly1305_ABYTES
_HEADERBYTES = sodium.crypto_secretstream_xchacha20poly1305_HEADERBYTES
_TAG_MESSAGE = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
_TAG_FINAL = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL


class NoKey(Exception):
    """None of the archive's slots opens with what was given (one line for the terminal)."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def instance_secret(secret_key: str) -> bytes:
    """The X25519 secret of the `instance` slot, from the data directory's secret key (a
    subkey of its own, like the row MACs')."""
    return hashlib.blake2b(
        secret_key.encode("utf-8"), digest_size=32, person=b"kalkan-backup"
    ).digest()


@dataclass(frozen=True)
class AdminSlotSource:
    """What an administrator's slot is made from: their staff key row as stored."""

    user_id: int
    username: str
    public_key: bytes
    salt: bytes
    opslimit: int
    memlimit: int
    wrapped_secret: bytes = field(repr=False)


def make_slots(
    archive_key: bytes, secret_key: str, escrow_public: bytes | None,
    admins: list[AdminSlotSource],
) -> list[dict[str, object]]:
    slots: list[dict[str, object]] = [{
        "kind": "instance",
        "sealed": _b64(crypto.seal_to(crypto.public_of(instance_secret(secret_key)), archive_key)),
    }]
    if escrow_public is not None:
        slots.append({"kind": "escrow", "sealed": _b64(crypto.seal_to(escrow_public, archive_key))})
    for admin in admins:
        slots.append({
            "kind": "admin",
            "user": admin.user_id,
            "salt": _b64(admin.salt),
            "opslimit": admin.opslimit,
            "memlimit": admin.memlimit,
            "wrapped": _b64(admin.wrapped_secret),
            "sealed": _b64(crypto.seal_to(
                admin.public_key, archive_key + admin.username.encode("utf-8")
            )),
        })
    return slots


class ArchiveWriter:
    """Plaintext written in any pieces is regrouped into CHUNK messages; `close()` sends the
    last one tagged FINAL. Only ciphertext reaches `out`."""

    def __init__(self, out: BinaryIO, archive_key: bytes, slots: list[dict[str, object]]) -> None:
        header = json.dumps({"version": VERSION, "slots": slots}).encode("ascii")
        prefix = MAGIC + bytes([VERSION]) + struct.pack(">I", len(header)) + header
        self.associated = hashlib.blake2b(prefix, digest_size=32).digest()
        self.out = out
        self.state = sodium.crypto_secretstream_xchacha20poly1305_state()
        out.write(prefix)
        out.write(sodium.crypto_secretstream_xchacha20poly1305_init_push(self.state, archive_key))
        self.buffer = bytearray()
        self.written = 0  # plaintext bytes

    def write(self, data: bytes) -> None:
        self.buffer += data
        self.written += len(data)
        while len(self.buffer) >= CHUNK:
            self._push(bytes(self.buffer[:CHUNK]), _TAG_MESSAGE)
            del self.buffer[:CHUNK]

    def _push(self, plain: bytes, tag: int) -> None:
        sealed = sodium.crypto_secretstream_xchacha20poly1305_push(
            self.state, plain, self.associated, tag
        )
        self.out.write(struct.pack(">I", len(sealed)) + sealed)

    def close(self) -> None:
        self._push(bytes(self.buffer), _TAG_FINAL)
        self.buffer.clear()


@dataclass(frozen=True)
class Header:
    prefix: bytes
    slots: list[dict[str, object]]


def read_header(source: BinaryIO) -> Header:
    magic = source.read(len(MAGIC) + 1)
    if magic[: len(MAGIC)] != MAGIC:
        raise crypto.Tampered("not a Kalkan backup archive")
    if magic[len(MAGIC):] != bytes([VERSION]):
        raise crypto.Tampered("an archive format this version of Kalkan does not know")
    length_bytes = source.read(4)
    if len(length_bytes) != 4:
        raise crypto.Tampered("the archive is truncated")
    (length,) = struct.unpack(">I", length_bytes)
    if length > _MAX_HEADER:
        raise crypto.Tampered("the archive header is damaged")
    header = source.read(length)
    if len(header) != length:
        raise crypto.Tampered("the archive is truncated")
    try:
        slots = list(json.loads(header)["slots"])
    except (ValueError, KeyError, TypeError):
        raise crypto.Tampered("the archive header is damaged") from None
    return Header(magic + length_bytes + header, slots)


def _open_seal(secret: bytes, slot: dict[str, object]) -> bytes | None:
    try:
        return crypto.open_sealed(secret, base64.b64decode(str(slot["sealed"])))
    except (crypto.Tampered, KeyError, ValueError):
        return None


def key_from_instance(header: Header, secret_key: str) -> bytes:
    for slot in header.slots:
        if slot.get("kind") == "instance":
            key = _open_seal(instance_secret(secret_key), slot)
            if key is not None:
                return key
    raise NoKey("this archive was not made by this instance (its secret key does not open it)")


def key_from_escrow(header: Header, escrow_secret: bytes) -> bytes:
    for slot in header.slots:
        if slot.get("kind") == "escrow":
            key = _open_seal(escrow_secret, slot)
            if key is not None:
                return key
    raise NoKey("these escrow words do not open this archive")


def key_from_admin(header: Header, username: str, passphrase: str) -> bytes:
    """One Argon2id run per administrator slot (the username is not written outside the
    stream, so every slot is tried); the username typed must be the slot's."""
    wanted = username.strip().lower().encode("utf-8")
    for slot in header.slots:
        if slot.get("kind") != "admin":
            continue
        try:
            kek, _ = crypto.derive_from_passphrase(
                passphrase, base64.b64decode(str(slot["salt"])),
                int(str(slot["opslimit"])), int(str(slot["memlimit"])),
            )
            staff_secret = crypto.unwrap_key(
                kek, base64.b64decode(str(slot["wrapped"])),
                crypto.aad("staff-secret", int(str(slot["user"]))),
            )
        except (crypto.Tampered, KeyError, ValueError, nacl.exceptions.CryptoError):
            continue
        opened = _open_seal(staff_secret, slot)
        if opened is not None and crypto.same(opened[crypto.KEY_BYTES:], wanted):
            return opened[: crypto.KEY_BYTES]
    raise NoKey("no administrator of this archive has that username and passphrase")


class ArchiveReader:
    """The plaintext, read in exact amounts, authenticated message by message; `finish()`
    insists that the FINAL message was reached and nothing follows it."""

    def __init__(self, source: BinaryIO, header: Header, archive_key: bytes) -> None:
        self.source = source
        self.associated = hashlib.blake2b(header.prefix, digest_size=32).digest()
        stream_header = source.read(_HEADERBYTES)
        if len(stream_header) != _HEADERBYTES:
            raise crypto.Tampered("the archive is truncated")
        self.state = sodium.crypto_secretstream_xchacha20poly1305_state()
        try:
            sodium.crypto_secretstream_xchacha20poly1305_init_pull(
                self.state, stream_header, archive_key
            )
        except nacl.exceptions.CryptoError:
            raise crypto.Tampered("the archive header is damaged") from None
        self.buffer = bytearray()
        self.final = False

    def _pull(self) -> None:
        if self.final:
            raise crypto.Tampered("the archive ends in the middle of its contents")
        length_bytes = self.source.read(4)
        if len(length_bytes) != 4:
            raise crypto.Tampered("the archive is truncated: its end is missing")
        (length,) = struct.unpack(">I", length_bytes)
        if length < _ABYTES or length > CHUNK + _ABYTES:
            raise crypto.Tampered("the archive is damaged (a frame has a bad length)")
        sealed = self.source.read(length)
        if len(sealed) != length:
            raise crypto.Tampered("the archive is truncated: its end is missing")
        try:
            plain, tag = sodium.crypto_secretstream_xchacha20poly1305_pull(
                self.state, sealed, self.associated
            )
        except nacl.exceptions.CryptoError:
            raise crypto.Tampered(
                "the archive is damaged or was changed (a part failed authentication)"
            ) from None
        self.buffer += plain
        self.final = tag == _TAG_FINAL

    def read(self, size: int) -> bytes:
        while len(self.buffer) < size:
            self._pull()
        piece = bytes(self.buffer[:size])
        del self.buffer[:size]
        return piece

    def pieces(self, size: int) -> Iterator[bytes]:
        """`size` bytes as they are decrypted, never all at once."""
        left = size
        while left:
            if not self.buffer:
                self._pull()
            piece = bytes(self.buffer[:left])
            del self.buffer[: len(piece)]
            left -= len(piece)
            yield piece

    def finish(self) -> None:
        while not self.final and not self.buffer:
            self._pull()  # the FINAL message may be empty
        if self.buffer or not self.final:
            raise crypto.Tampered("the archive is damaged (contents after their end)")
        if self.source.read(1):
            raise crypto.Tampered("the archive is damaged (data after its end)")
