"""The cryptographic primitives, over libsodium (PyNaCl). Nothing else in Kalkan calls NaCl.

- fields: XChaCha20-Poly1305 with associated data that binds the ciphertext to its place
  (model, record id, field, key epoch, schema version), padded to 64-byte blocks plus a random
  number of extra blocks, so sizes leak little and the same text gives different sizes;
- files: secretstream in 64 KiB chunks, the last one padded and tagged FINAL, so a truncated
  or extended file is detected; plaintext never touches the disk;
- key wraps: the same AEAD without random padding (keys have a fixed size), or a sealed box
  to an X25519 public key when the wrapper has no secret (intake, escrow, new staff);
- passphrases: Argon2id gives 64 bytes: a key-encryption key and a separate login verifier.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Iterator
from typing import BinaryIO

import nacl.bindings as sodium
import nacl.exceptions
import nacl.public
import nacl.pwhash.argon2id as argon2id
from nacl._sodium import ffi as _ffi  # the binding PyNaCl itself calls libsodium through
from nacl._sodium import lib as _lib

KEY_BYTES = 32
SALT_BYTES = argon2id.SALTBYTES
FORMAT_VERSION = b"\x01"
FIELD_BLOCK = 64
FIELD_EXTRA_BLOCKS = 3
FILE_CHUNK = 64 * 1024
FILE_BLOCK = 4096
_NONCE = sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
_TAG_MESSAGE = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
_TAG_FINAL = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL
_STREAM_HEADER = sodium.crypto_secretstream_xchacha20poly1305_HEADERBYTES
_STREAM_ABYTES = sodium.crypto_secretstream_xchacha20poly1305_ABYTES


class Tampered(Exception):
    """A ciphertext failed authentication: changed, truncated, moved, or the wrong key."""


def random_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def aad(*parts: str | int) -> bytes:
    """Associated data from parts that cannot run into each other ("a|b" never equals "a", "|b")."""
    encoded = [str(x).encode() for x in parts]
    return b"".join([len(p).to_bytes(2, "big") + p for p in encoded])


def field_aad(
    record_id: str, field: str, epoch: int, schema: int = 1, model: str | None = None
) -> bytes:
    """Version 1 (model None): record id, field, epoch, schema. Version 2 adds the model's
    label, so a ciphertext cannot be moved to a row of another table with the same id."""
    if model is None:
        return aad("field", record_id, field, epoch, schema)
    return aad("field/2", model, record_id, field, epoch, schema)


def _pad(data: bytes, block: int, extra_blocks: int) -> bytes:
    padded = sodium.sodium_pad(data, block)
    if extra_blocks:
        padded += b"\x00" * (block * secrets.randbelow(extra_blocks + 1))
    return padded


def _unpad(data: bytes) -> bytes:
    # ISO/IEC 7816-4 padding (sodium_pad): the data, one 0x80 byte, then zeros, and our
    # random extra blocks are zeros too. The last non-zero byte is the marker.
    stripped = data.rstrip(b"\x00")
    if not stripped or stripped[-1] != 0x80:
        raise Tampered("bad padding")
    return stripped[:-1]


def encrypt(key: bytes, plaintext: bytes, associated: bytes, *, pad: bool = True) -> bytes:
    nonce = secrets.token_bytes(_NONCE)
    body = _pad(plaintext, FIELD_BLOCK, FIELD_EXTRA_BLOCKS) if pad else plaintext
    sealed = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(body, associated, nonce, key)
    return FORMAT_VERSION + nonce + sealed


def decrypt(key: bytes, blob: bytes, associated: bytes, *, pad: bool = True) -> bytes:
    if len(blob) < 1 + _NONCE or blob[:1] != FORMAT_VERSION:
        raise Tampered("not a Kalkan ciphertext")
    nonce, sealed = blob[1 : 1 + _NONCE], blob[1 + _NONCE :]
    body = _aead_open(sealed, associated, nonce, key)
    return _unpad(body) if pad else body


_KEY = sodium.crypto_aead_xchacha20poly1305_ietf_KEYBYTES
_ABYTES = sodium.crypto_aead_xchacha20poly1305_ietf_ABYTES


def _aead_open(sealed: bytes, associated: bytes, nonce: bytes, key: bytes) -> bytes:
    """libsodium's crypto_aead_xchacha20poly1305_ietf_decrypt, called as PyNaCl's binding
    calls it but without the binding's argument checks formatting their error messages at
    every call (a third of the time of decrypting a whole working set): the same lengths
    are checked here, and a result other than 0 is refused."""
    if not isinstance(sealed, bytes):
        raise TypeError("a ciphertext is bytes")  # as the binding says
    if len(key) != _KEY or len(nonce) != _NONCE or len(sealed) < _ABYTES:
        raise Tampered("authentication failed")
    message = _ffi.new("unsigned char[]", len(sealed) - _ABYTES)
    length = _ffi.new("unsigned long long *")
    if _lib.crypto_aead_xchacha20poly1305_ietf_decrypt(
        message, length, _ffi.NULL, sealed, len(sealed), associated, len(associated), nonce, key
    ) != 0:
        raise Tampered("authentication failed")
    return bytes(_ffi.buffer(message, length[0]))


def wrap_key(kek: bytes, key: bytes, associated: bytes) -> bytes:
    return encrypt(kek, key, associated, pad=False)


def unwrap_key(kek: bytes, blob: bytes, associated: bytes) -> bytes:
    return decrypt(kek, blob, associated, pad=False)


# --- asymmetric ---------------------------------------------------------------------------


def new_keypair() -> tuple[bytes, bytes]:
    """(secret key, public key), X25519."""
    secret = nacl.public.PrivateKey.generate()
    return bytes(secret), bytes(secret.public_key)


def public_of(secret_key: bytes) -> bytes:
    return bytes(nacl.public.PrivateKey(secret_key).public_key)


def seal_to(public_key: bytes, data: bytes) -> bytes:
    return bytes(nacl.public.SealedBox(nacl.public.PublicKey(public_key)).encrypt(data))


def open_sealed(secret_key: bytes, blob: bytes) -> bytes:
    try:
        return bytes(nacl.public.SealedBox(nacl.public.PrivateKey(secret_key)).decrypt(blob))
    except nacl.exceptions.CryptoError:
        raise Tampered("sealed box does not open with this key") from None


# --- passphrases --------------------------------------------------------------------------


def derive_from_passphrase(
    passphrase: str, salt: bytes, opslimit: int, memlimit: int
) -> tuple[bytes, bytes]:
    """(key-encryption key, login verifier) from one Argon2id run."""
    out = argon2id.kdf(64, passphrase.encode("utf-8"), salt, opslimit=opslimit, memlimit=memlimit)
    return out[:32], out[32:]


def verifier_digest(verifier: bytes) -> bytes:
    """What is stored to check a login: a hash of the verifier, never the verifier itself."""
    return hashlib.blake2b(verifier, digest_size=32, person=b"kalkan-login").digest()


def fingerprint(public_key: bytes) -> str:
    """What people read to each other to check a public key (the escrow sheet, a partner on
    the phone): the first 128 bits of its SHA-256 in groups of four hex digits."""
    digest = hashlib.sha256(public_key).hexdigest()[:32]
    return " ".join(digest[i : i + 4] for i in range(0, len(digest), 4))


def same(a: bytes, b: bytes) -> bool:
    return hmac.compare_digest(a, b)


# --- files --------------------------------------------------------------------------------


class StreamEncryptor:
    """Encrypts pieces of plaintext as they arrive (an upload, chunk by chunk) into `out`.

    Pieces of any size are regrouped into FILE_CHUNK chunks; `finish()` pads the rest (to
    FILE_BLOCK) into the last chunk, tagged FINAL, and returns the plaintext length.
    """

    def __init__(self, key: bytes, out: BinaryIO, associated: bytes) -> None:
        self.out = out
        self.associated = associated
        self.state = sodium.crypto_secretstream_xchacha20poly1305_state()
        out.write(
            FORMAT_VERSION + sodium.crypto_secretstream_xchacha20poly1305_init_push(self.state, key)
        )
        self.buffer = bytearray()
        self.total = 0

    def push(self, piece: bytes) -> None:
        # Full chunks go out as they fill; the rest (< FILE_CHUNK) waits for the last one,
        # which therefore never exceeds FILE_CHUNK either. Large pieces are pushed without
        # copying them through the buffer: copies would cost a third of the speed.
        self.total += len(piece)
        if not self.buffer and len(piece) >= FILE_CHUNK:
            data = piece
        else:
            self.buffer += piece
            if len(self.buffer) < FILE_CHUNK:
                return
            data, self.buffer = bytes(self.buffer), bytearray()
        full = len(data) - len(data) % FILE_CHUNK
        for start in range(0, full, FILE_CHUNK):
            chunk = data if len(data) == FILE_CHUNK else data[start : start + FILE_CHUNK]
            self.out.write(
                sodium.crypto_secretstream_xchacha20poly1305_push(
                    self.state, chunk, self.associated, _TAG_MESSAGE
                )
            )
        self.buffer += data[full:]

    def finish(self) -> int:
        last = _pad(bytes(self.buffer), FILE_BLOCK, 0)
        self.out.write(
            sodium.crypto_secretstream_xchacha20poly1305_push(
                self.state, last, self.associated, _TAG_FINAL
            )
        )
        return self.total


def encrypt_stream(key: bytes, chunks: Iterable[bytes], out: BinaryIO, associated: bytes) -> int:
    """Encrypt a stream of plaintext pieces into `out`; return the plaintext length."""
    encryptor = StreamEncryptor(key, out, associated)
    for piece in chunks:
        encryptor.push(piece)
    return encryptor.finish()


def decrypt_stream(key: bytes, source: BinaryIO, associated: bytes) -> Iterator[bytes]:
    """Yield the plaintext in chunks; raise Tampered on any change, truncation or extension."""
    if source.read(1) != FORMAT_VERSION:
        raise Tampered("not a Kalkan file")
    header = source.read(_STREAM_HEADER)
    if len(header) != _STREAM_HEADER:
        raise Tampered("file header truncated")
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    try:
        sodium.crypto_secretstream_xchacha20poly1305_init_pull(state, header, key)
    except nacl.exceptions.CryptoError:
        raise Tampered("bad file header") from None
    while True:
        block = source.read(FILE_CHUNK + _STREAM_ABYTES)
        if not block:
            raise Tampered("file truncated: the final chunk is missing")
        try:
            plain, tag = sodium.crypto_secretstream_xchacha20poly1305_pull(
                state, block, associated
            )
        except nacl.exceptions.CryptoError:
            raise Tampered("file chunk failed authentication") from None
        if tag == _TAG_FINAL:
            if source.read(1):
                raise Tampered("data after the final chunk")
            yield _unpad(bytes(plain))
            return
        yield bytes(plain)
