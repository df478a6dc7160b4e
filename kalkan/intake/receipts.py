"""Receipts: what a reporter keeps to come back to their mailbox.

25 random digits (83 bits), shown in five groups of five so it can pass for a bank or phone
number if it is found. Keyed BLAKE2b, with two different global salts and a pepper from the
instance's secret key (which the database never holds), turns it into (a) the lookup key
stored with the mailbox and (b) the key that opens the reporter's own key pair, which opens
the team's replies. Neither the receipt nor anything that opens the report itself is stored: a
receipt seized at a checkpoint shows the replies, never the report.

Why no key stretching (threat-model.md, "Receipts"): stretching buys time against guessing a
secret of low entropy. A receipt is 83 random bits; even someone holding the database and the
secret key, trying every receipt against all of, say, 2^20 mailboxes at once at 10^10 keyed
hashes a second, needs 2^63 tries, about thirty GPU-years, to open one random mailbox's
replies. Argon2id made every report cost 150 ms of CPU and 128 MiB, which let a few visitors
slow the form for everyone. Mailboxes made before this change keep their Argon2id keys
(scheme 1) and are still found.
"""

from __future__ import annotations

import functools
import hashlib
import secrets

from django.conf import settings
from django.db import connection, transaction

from kalkan.intake.models import ReceiptSalts
from kalkan.vault import crypto

DIGITS = 25
GROUP = 5

# Mailbox.receipt_scheme
ARGON2ID = 1  # before Kalkan 2026-12: two Argon2id derivations (settings.RECEIPT_*)
KEYED_HASH = 2


def new_receipt() -> str:
    digits = str(secrets.randbelow(10**DIGITS)).zfill(DIGITS)
    return " ".join(digits[i : i + GROUP] for i in range(0, DIGITS, GROUP))


def normalise(text: str) -> str | None:
    """The 25 digits of a typed receipt (spaces, dashes and dots ignored), or None."""
    digits = "".join(ch for ch in text if not ch.isspace() and ch not in "-.")
    if len(digits) != DIGITS or not digits.isascii() or not digits.isdigit():
        return None
    return digits


# The table's own name; the id is a parameter.
_READ_SALTS = f"SELECT lookup_salt, unlock_salt FROM {ReceiptSalts._meta.db_table} WHERE id = %s"  # noqa: S608, E501


def _salts() -> ReceiptSalts:
    # Read on every report and every mailbox visit: as values, without building a query
    # (the ORM's filter and compiler were most of this under load, py-spy). Read each time,
    # not kept in memory: a restored or re-created database brings its own salts.
    with connection.cursor() as cursor:
        cursor.execute(_READ_SALTS, [1])
        row = cursor.fetchone()
    if row is not None:
        return ReceiptSalts(pk=1, lookup_salt=bytes(row[0]), unlock_salt=bytes(row[1]))
    with transaction.atomic():
        salts, _ = ReceiptSalts.objects.get_or_create(
            pk=1,
            defaults={
                "lookup_salt": secrets.token_bytes(crypto.SALT_BYTES),
                "unlock_salt": secrets.token_bytes(crypto.SALT_BYTES),
            },
        )
    return salts


@functools.lru_cache(maxsize=4)
def _pepper(secret_key: str) -> bytes:
    # A subkey of its own: the secret key also signs sessions and keys the row MACs.
    return hashlib.blake2b(
        secret_key.encode("utf-8"), digest_size=32, person=b"kalkan-receipts"
    ).digest()


def derive(digits: str) -> tuple[str, bytes]:
    """(lookup key as hex, unlock key) for the normalised receipt (scheme KEYED_HASH)."""
    salts = _salts()
    pepper = _pepper(settings.SECRET_KEY)

    def keyed(salt: bytes, purpose: bytes) -> bytes:
        return hashlib.blake2b(
            digits.encode("ascii"), digest_size=32, key=pepper + salt, person=purpose
        ).digest()

    return (
        keyed(bytes(salts.lookup_salt), b"receipt-lookup").hex(),
        keyed(bytes(salts.unlock_salt), b"receipt-unlock"),
    )


def derive_argon2id(digits: str) -> tuple[str, bytes]:
    """The same pair for a mailbox of scheme ARGON2ID, made before the keyed hash."""
    salts = _salts()
    ops, mem = settings.RECEIPT_OPSLIMIT, settings.RECEIPT_MEMLIMIT
    lookup, _ = crypto.derive_from_passphrase(digits, bytes(salts.lookup_salt), ops, mem)
    unlock, _ = crypto.derive_from_passphrase(digits, bytes(salts.unlock_salt), ops, mem)
    return lookup.hex(), unlock
