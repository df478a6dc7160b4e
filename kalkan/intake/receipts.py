"""Receipts: what a reporter keeps to come back to their mailbox.

25 random digits (83 bits), shown in five groups of five so it can pass for a bank or phone
number if it is found. Argon2id with two different global salts turns it into (a) the lookup
key stored with the mailbox and (b) the key that opens the reporter's own key pair, which
opens the team's replies. Neither the receipt nor anything that opens the report itself is
stored: a receipt seized at a checkpoint shows the replies, never the report.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import transaction

from kalkan.intake.models import ReceiptSalts
from kalkan.vault import crypto

DIGITS = 25
GROUP = 5


def new_receipt() -> str:
    digits = "".join(str(secrets.randbelow(10)) for _ in range(DIGITS))
    return " ".join(digits[i : i + GROUP] for i in range(0, DIGITS, GROUP))


def normalise(text: str) -> str | None:
    """The 25 digits of a typed receipt (spaces, dashes and dots ignored), or None."""
    digits = "".join(ch for ch in text if not ch.isspace() and ch not in "-.")
    if len(digits) != DIGITS or not digits.isascii() or not digits.isdigit():
        return None
    return digits


def _salts() -> ReceiptSalts:
    with transaction.atomic():
        salts, _ = ReceiptSalts.objects.get_or_create(
            pk=1,
            defaults={
                "lookup_salt": secrets.token_bytes(crypto.SALT_BYTES),
                "unlock_salt": secrets.token_bytes(crypto.SALT_BYTES),
            },
        )
    return salts


def derive(digits: str) -> tuple[str, bytes]:
    """(lookup key as hex, unlock key) for the normalised receipt."""
    salts = _salts()
    ops, mem = settings.RECEIPT_OPSLIMIT, settings.RECEIPT_MEMLIMIT
    lookup, _ = crypto.derive_from_passphrase(digits, bytes(salts.lookup_salt), ops, mem)
    unlock, _ = crypto.derive_from_passphrase(digits, bytes(salts.unlock_salt), ops, mem)
    return lookup.hex(), unlock
