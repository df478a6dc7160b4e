"""The backup archive's envelope: one secretstream over everything, opened through key slots.

    magic, version, archive id (16 random bytes), slot list length, slot list (JSON),
    stream header, then frames: 4-byte length + one secretstream message (256 KiB of
    plaintext at most), the last one tagged FINAL.

Everything that says anything about the instance (row counts, sizes, usernames, audit
actions) is inside the stream. The slot list holds only key slots, each giving the random
archive key (sealed together with the archive id, so a slot copied in from another archive
does not open here):

- `instance`: sealed to a key pair derived from the data directory's secret key, so the
  instance that made the archive (the weekly drill) opens it without a passphrase.
  Only archives kept ON the server carry it: whoever holds that key holds the live instance
  the archive was made from anyway. `copy_offsite` writes the copy that leaves the machine
  without it;
- `escrow`: sealed to the escrow public key pinned in the data directory (the offline words);
- `admin`: one per administrator: their staff key as stored (Argon2id salt and limits, the
  secret wrapped under the passphrase's key) and the archive key sealed to their public key.
  No username is written: the one typed is checked inside the sealed slot.

Every message is bound (associated data) to a hash of the magic, the version, the archive id
and the stream header, NOT to the slot list, so a flipped byte, a reordered, missing or added
frame and a cut-off end are refused (crypto.Tampered) while the slot list can be rewritten
without the archive key. That is what lets the off-site copy drop the instance slot with the
frames copied verbatim, and it gives nothing to whoever changes the list:

- removing a slot only narrows who can open the archive (a holder of the archive could
  delete it outright anyway);
- adding a slot that works needs the archive key, i.e. someone who could open the archive
  already; a slot sealed to anything else yields no key, or a key under which the stream's
  first frame fails authentication (refused as damaged), never other contents: the stream
  header and every frame are authenticated under the one archive key.

Garbage in the slot list (not an object, missing fields, Argon2id limits out of range) is
passed over like a slot that does not open. Nothing here needs Django: a restore opens the
archive before the new instance's settings exist.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, Protocol

import nacl.bindings as sodium
import nacl.exceptions

from kalkan.vault import crypto

MAGIC = b"KALKAN-BACKUP\n"
VERSION = 2  # 1: frames bound to the slot list (no off-site copy possible)
ID_BYTES = 16
CHUNK = 256 * 1024
_MAX_HEADER = 1 << 20
_MAX_SLOTS = 256
# The Argon2id limits an administrator slot may ask for (those `kalkan` settings allow).
_OPSLIMIT = range(1, 21)
_MEMLIMIT = range(8 << 20, (4096 << 20) + 1)
_ABYTES = sodium.crypto_secretstream_xchacha20poly1305_ABYTES
_HEADERBYTES = sodium.crypto_secretstream_xchacha20poly1305_HEADERBYTES
_TAG_MESSAGE = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
_TAG_FINAL = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL


class Readable(Protocol):
    def read(self, size: int, /) -> bytes: ...


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
    archive_key: bytes, archive_id: bytes, secret_key: str, escrow_public: bytes | None,
    admins: list[AdminSlotSource],
) -> list[dict[str, object]]:
    sealed_key = archive_key + archive_id
    slots: list[dict[str, object]] = [{
        "kind": "instance",
        "sealed": _b64(crypto.seal_to(crypto.public_of(instance_secret(secret_key)), sealed_key)),
    }]
    if escrow_public is not None:
        slots.append({"kind": "escrow", "sealed": _b64(crypto.seal_to(escrow_public, sealed_key))})
    for admin in admins:
        slots.append({
            "kind": "admin",
            "user": admin.user_id,
            "salt": _b64(admin.salt),
            "opslimit": admin.opslimit,
            "memlimit": admin.memlimit,
            "wrapped": _b64(admin.wrapped_secret),
            "sealed": _b64(crypto.seal_to(
                admin.public_key, sealed_key + admin.username.encode("utf-8")
            )),
        })
    return slots


def new_archive_id() -> bytes:
    return crypto.random_key()[:ID_BYTES]


def prefix(archive_id: bytes, slots: list[dict[str, object]]) -> bytes:
    listed = json.dumps({"version": VERSION, "slots": slots}).encode("ascii")
    return MAGIC + bytes([VERSION]) + archive_id + struct.pack(">I", len(listed)) + listed


def _associated(archive_id: bytes, stream_header: bytes) -> bytes:
    """What every frame is bound to: everything before the frames except the slot list."""
    return hashlib.blake2b(
        MAGIC + bytes([VERSION]) + archive_id + stream_header, digest_size=32
    ).digest()


class ArchiveWriter:
    """Plaintext written in any pieces is regrouped into CHUNK messages; `close()` sends the
    last one tagged FINAL. Only ciphertext reaches `out`."""

    def __init__(
        self, out: BinaryIO, archive_key: bytes, archive_id: bytes,
        slots: list[dict[str, object]],
    ) -> None:
        self.out = out
        self.state = sodium.crypto_secretstream_xchacha20poly1305_state()
        out.write(prefix(archive_id, slots))
        stream_header = sodium.crypto_secretstream_xchacha20poly1305_init_push(
            self.state, archive_key
        )
        out.write(stream_header)
        self.associated = _associated(archive_id, stream_header)
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
    archive_id: bytes
    slots: list[dict[str, object]]

    def kinds(self) -> list[str]:
        return [str(slot.get("kind")) for slot in self.slots]


def read_header(source: BinaryIO) -> Header:
    magic = source.read(len(MAGIC) + 1)
    if magic[: len(MAGIC)] != MAGIC:
        raise crypto.Tampered("not a Kalkan backup archive")
    if magic[len(MAGIC):] != bytes([VERSION]):
        raise crypto.Tampered(
            "an archive format this version of Kalkan does not know (made by a newer one, "
            "or by a pre-release of backups)"
        )
    archive_id = source.read(ID_BYTES)
    length_bytes = source.read(4)
    if len(archive_id) != ID_BYTES or len(length_bytes) != 4:
        raise crypto.Tampered("the archive is truncated")
    (length,) = struct.unpack(">I", length_bytes)
    if length > _MAX_HEADER:
        raise crypto.Tampered("the archive header is damaged")
    listed = source.read(length)
    if len(listed) != length:
        raise crypto.Tampered("the archive is truncated")
    try:
        slots = list(json.loads(listed)["slots"])
    except (ValueError, KeyError, TypeError):
        raise crypto.Tampered("the archive header is damaged") from None
    if len(slots) > _MAX_SLOTS:
        raise crypto.Tampered("the archive header is damaged (too many key slots)")
    # Anything that is not an object is garbage: passed over like a slot that does not open.
    return Header(archive_id, [slot for slot in slots if isinstance(slot, dict)])


def _open_seal(secret: bytes, slot: dict[str, object], archive_id: bytes) -> bytes | None:
    """The archive key and what was sealed after it (an administrator's username), if the
    slot opens with `secret` and was made for this archive."""
    try:
        opened = crypto.open_sealed(secret, base64.b64decode(str(slot["sealed"])))
    except (crypto.Tampered, KeyError, ValueError, nacl.exceptions.CryptoError):
        return None
    end = crypto.KEY_BYTES + ID_BYTES
    if len(opened) < end or not crypto.same(opened[crypto.KEY_BYTES:end], archive_id):
        return None
    return opened[: crypto.KEY_BYTES] + opened[end:]


def key_from_instance(header: Header, secret_key: str) -> bytes:
    if "instance" not in header.kinds():
        raise NoKey(
            "this archive carries no instance key (an off-site copy): open it with an "
            "administrator's passphrase (--user NAME) or the escrow words (--escrow)"
        )
    for slot in header.slots:
        if slot.get("kind") == "instance":
            key = _open_seal(instance_secret(secret_key), slot, header.archive_id)
            if key is not None:
                return key[: crypto.KEY_BYTES]
    raise NoKey("this archive was not made by this instance (its secret key does not open it)")


def key_from_escrow(header: Header, escrow_secret: bytes) -> bytes:
    for slot in header.slots:
        if slot.get("kind") == "escrow":
            key = _open_seal(escrow_secret, slot, header.archive_id)
            if key is not None:
                return key[: crypto.KEY_BYTES]
    raise NoKey("these escrow words do not open this archive")


def _limits(slot: dict[str, object]) -> tuple[int, int] | None:
    try:
        opslimit, memlimit = int(str(slot["opslimit"])), int(str(slot["memlimit"]))
    except (KeyError, ValueError):
        return None
    if opslimit not in _OPSLIMIT or memlimit not in _MEMLIMIT:
        return None  # not a slot Kalkan wrote: no hours of Argon2id, no gigabytes
    return opslimit, memlimit


def key_from_admin(header: Header, username: str, passphrase: str) -> bytes:
    """One Argon2id run per administrator slot (the username is not written outside the
    stream, so every slot is tried); the username typed must be the slot's."""
    wanted = username.strip().lower().encode("utf-8")
    for slot in header.slots:
        limits = _limits(slot) if slot.get("kind") == "admin" else None
        if limits is None:
            continue
        try:
            kek, _ = crypto.derive_from_passphrase(
                passphrase, base64.b64decode(str(slot["salt"])), *limits
            )
            staff_secret = crypto.unwrap_key(
                kek, base64.b64decode(str(slot["wrapped"])),
                crypto.aad("staff-secret", int(str(slot["user"]))),
            )
        except (crypto.Tampered, KeyError, ValueError, nacl.exceptions.CryptoError):
            continue
        opened = _open_seal(staff_secret, slot, header.archive_id)
        if opened is not None and crypto.same(opened[crypto.KEY_BYTES:], wanted):
            return opened[: crypto.KEY_BYTES]
    raise NoKey("no administrator of this archive has that username and passphrase")


class ArchiveReader:
    """The plaintext, read in exact amounts, authenticated message by message; `finish()`
    insists that the FINAL message was reached and nothing follows it."""

    def __init__(self, source: Readable, header: Header, archive_key: bytes) -> None:
        self.source = source
        stream_header = source.read(_HEADERBYTES)
        if len(stream_header) != _HEADERBYTES:
            raise crypto.Tampered("the archive is truncated")
        self.associated = _associated(header.archive_id, stream_header)
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


class _Tee:
    """Whatever is read from `source` is also written to `out`, byte for byte."""

    def __init__(self, source: BinaryIO, out: BinaryIO) -> None:
        self.source = source
        self.out = out

    def read(self, size: int) -> bytes:
        data = self.source.read(size)
        self.out.write(data)
        return data


OFFSITE_KINDS = ("admin", "escrow")


def copy_offsite(
    source: BinaryIO, out: BinaryIO, find_key: Callable[[Header], bytes]
) -> list[str]:
    """The archive in `source` to `out` with only its administrator and escrow slots: the
    stream header and every frame verbatim, each authenticated on the way (with the key
    `find_key` gives: the instance's own), so a damaged archive is not copied as if whole.
    Returns the kinds of the slots kept."""
    header = read_header(source)
    kept = [slot for slot in header.slots if slot.get("kind") in OFFSITE_KINDS]
    if not kept:
        raise NoKey(
            "this archive has no administrator and no escrow slot: without the instance's "
            "key nothing would open its copy"
        )
    archive_key = find_key(header)
    out.write(prefix(header.archive_id, kept))
    reader = ArchiveReader(_Tee(source, out), header, archive_key)
    while not reader.final:
        reader._pull()
        reader.buffer.clear()  # authenticated; the plaintext is not needed
    reader.finish()
    return [str(slot["kind"]) for slot in kept]
