"""Encrypted files under DATA_DIR/files: streamed in, never a byte of plaintext on disk.

The caller passes an iterable of plaintext pieces (an upload as it arrives); each is
encrypted into `<id>.partial` and the file is renamed into place only when complete and
synced, so a crash leaves either nothing or the whole file. The SHA-256 of the plaintext is
returned for the caller to seal into the record's metadata; it is never stored in the clear.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from kalkan.vault import crypto


@dataclass(frozen=True)
class StoredFile:
    name: str
    size: int
    # The plaintext's hash identifies the evidence: sealed in the metadata, never shown.
    sha256: str = field(repr=False)


def files_dir() -> Path:
    path = Path(settings.DATA_DIR) / "files"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def _aad(record_id: str, name: str, epoch: int) -> bytes:
    return crypto.aad("file", record_id, name, epoch)


class SealedFileWriter:
    """Write a file piece by piece as it arrives (an upload handler pushes each chunk);
    `close()` makes it permanent, `abort()` leaves nothing behind."""

    def __init__(self, key: bytes, record_id: str, epoch: int) -> None:
        self.name = secrets.token_hex(16)
        self.final = files_dir() / self.name
        self.partial = self.final.with_suffix(".partial")
        self.digest = hashlib.sha256()
        fd = os.open(self.partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self.out = os.fdopen(fd, "wb")
        self.encryptor = crypto.StreamEncryptor(key, self.out, _aad(record_id, self.name, epoch))

    def write(self, piece: bytes) -> None:
        self.digest.update(piece)
        self.encryptor.push(piece)

    def close(self) -> StoredFile:
        try:
            size = self.encryptor.finish()
            self.out.flush()
            os.fsync(self.out.fileno())
            self.out.close()
            os.replace(self.partial, self.final)
        except BaseException:
            self.abort()
            raise
        return StoredFile(self.name, size, self.digest.hexdigest())

    def abort(self) -> None:
        if not self.out.closed:
            self.out.close()
        self.partial.unlink(missing_ok=True)


def store_file(
    key: bytes, record_id: str, epoch: int, pieces: Iterable[bytes]
) -> StoredFile:
    writer = SealedFileWriter(key, record_id, epoch)
    try:
        for piece in pieces:
            writer.write(piece)
    except BaseException:
        writer.abort()
        raise
    return writer.close()


def open_file(key: bytes, record_id: str, epoch: int, name: str) -> Iterator[bytes]:
    """The plaintext in chunks; raises crypto.Tampered on any change or truncation."""
    if not name.isalnum():
        raise ValueError("bad file name")
    with (files_dir() / name).open("rb") as source:
        yield from crypto.decrypt_stream(key, source, _aad(record_id, name, epoch))


def delete_file(name: str) -> None:
    if name.isalnum():
        (files_dir() / name).unlink(missing_ok=True)
