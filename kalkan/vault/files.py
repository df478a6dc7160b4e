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
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from kalkan.vault import crypto


@dataclass(frozen=True)
class StoredFile:
    name: str
    size: int
    sha256: str


def files_dir() -> Path:
    path = Path(settings.DATA_DIR) / "files"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def _aad(record_id: str, name: str, epoch: int) -> bytes:
    return crypto.aad("file", record_id, name, epoch)


def store_file(
    key: bytes, record_id: str, epoch: int, pieces: Iterable[bytes]
) -> StoredFile:
    name = secrets.token_hex(16)
    final = files_dir() / name
    partial = final.with_suffix(".partial")
    digest = hashlib.sha256()

    def hashed() -> Iterator[bytes]:
        for piece in pieces:
            digest.update(piece)
            yield piece

    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            size = crypto.encrypt_stream(key, hashed(), out, _aad(record_id, name, epoch))
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, final)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return StoredFile(name, size, digest.hexdigest())


def open_file(key: bytes, record_id: str, epoch: int, name: str) -> Iterator[bytes]:
    """The plaintext in chunks; raises crypto.Tampered on any change or truncation."""
    if not name.isalnum():
        raise ValueError("bad file name")
    with (files_dir() / name).open("rb") as source:
        yield from crypto.decrypt_stream(key, source, _aad(record_id, name, epoch))


def delete_file(name: str) -> None:
    if name.isalnum():
        (files_dir() / name).unlink(missing_ok=True)
