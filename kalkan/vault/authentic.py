"""The vault's own rows, authenticated against someone who can write to the database (threat 6).

Whoever can write to the database but holds neither the data directory nor a passphrase
could otherwise swap a public key the vault seals to (the escrow key, an epoch's, a
compartment's, a partner's, a reporter's mailbox), forge a wrap, or flip a content key's
`by_intake` flag, and so turn writes into reads or plant records that look genuine.

Every such row carries a MAC: keyed BLAKE2b over its table's name, its id and every column
the vault relies on, under a key derived (with a label of its own) from the data directory's
`secret_key`, which the database never sees. Intake, with nobody unlocked, can both write
and check them. Public keys are also checked against their secrets wherever a secret is at
hand (an epoch's at unlock, a compartment's when its wrap opens, a person's own).

The data directory also pins the escrow public key (`vault.json`): `kalkan init` writes it,
and once it exists every row must carry a valid MAC. An instance made before MACs existed
has no pin: its rows are authenticated at the first unlock by an administrator, who holds
the epoch secrets to check their public keys against (`authenticate_instance`); until then
nothing is sealed to a key that cannot be checked (docs/threat-model.md).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models

from kalkan.vault import crypto

LOG = logging.getLogger("kalkan.vault")
PIN_FILE = "vault.json"


class Untrusted(crypto.Tampered):
    """A key, wrap or flag in the database that the vault did not write: never used."""

    def __init__(self, table: str, row: object, why: str) -> None:
        self.table = table
        self.row = str(row)
        self.why = why
        super().__init__(f"{table} row {row}: {why}")


class NotYetAuthenticated(Untrusted):
    """An instance made before MACs existed, not yet authenticated by an administrator's
    first unlock: keys that only the database vouches for are not sealed to."""


# --- the MAC ------------------------------------------------------------------------------


def _mac_key() -> bytes:
    return _subkey(settings.SECRET_KEY)


@functools.lru_cache(maxsize=4)
def _subkey(secret_key: str) -> bytes:
    # A subkey of its own: the secret key also signs sessions and CSRF tokens.
    return hashlib.blake2b(
        secret_key.encode("utf-8"), digest_size=32, person=b"kalkan-rowmac"
    ).digest()


def _encode(part: object) -> bytes:
    if isinstance(part, memoryview):
        part = bytes(part)
    if isinstance(part, bytes):
        data = b"b" + part
    elif part is None:
        data = b"n"
    else:
        data = b"s" + str(part).encode("utf-8")
    return len(data).to_bytes(4, "big") + data


def mac(table: str, *parts: object) -> bytes:
    message = b"".join([_encode(p) for p in (table, *parts)])
    return hashlib.blake2b(message, key=_mac_key(), digest_size=32).digest()


# What each authenticated table's MAC covers: every column the vault relies on.
_PARTS: dict[str, Callable[[Any], tuple[object, ...]]] = {}


def covers(label: str, parts: Callable[[Any], tuple[object, ...]]) -> None:
    """Register the columns of a table (by model label) that its MAC covers."""
    _PARTS[label] = parts


def authenticated_tables() -> list[str]:
    return list(_PARTS)


def _label(row: models.Model) -> str:
    return row._meta.label_lower


def mac_of(label: str, row: Any) -> bytes:
    """The MAC a row of the table `label` with these values gets (before it exists)."""
    return mac(label, *_PARTS[label](row))


def stamp(row: models.Model) -> bytes:
    """Set (and return) the row's MAC over its current values; the caller saves it."""
    label = _label(row)
    value = mac(label, *_PARTS[label](row))
    row.mac = value  # type: ignore[attr-defined]
    return value


def is_genuine(row: models.Model) -> bool:
    stored = bytes(row.mac or b"")  # type: ignore[attr-defined]
    return bool(stored) and crypto.same(stored, mac(_label(row), *_PARTS[_label(row)](row)))


def check(row: models.Model, *, verifiable: bool = False) -> None:
    """Raise Untrusted unless the vault wrote this row as it is.

    A row without a MAC, on an instance not yet authenticated, passes only when the caller
    has just verified it with a secret it holds (`verifiable`); otherwise it raises
    NotYetAuthenticated, so nothing is sealed to a key only the database vouches for."""
    if is_genuine(row):
        return
    if not bytes(row.mac or b"") and not pinned():  # type: ignore[attr-defined]
        if verifiable:
            return
        raise NotYetAuthenticated(
            row._meta.db_table, row.pk, "not authenticated yet (an administrator's first "
            "unlock after the upgrade does it)"
        )
    raise Untrusted(row._meta.db_table, row.pk, "its MAC does not match")


def as_untrusted(problem: crypto.Tampered, row: models.Model) -> Untrusted:
    """A row whose wrap fails to open is as untrusted as one whose MAC fails."""
    if isinstance(problem, Untrusted):
        return problem
    return Untrusted(row._meta.db_table, row.pk, str(problem))


def check_public_key(row: models.Model, public_key: bytes, secret: bytes) -> None:
    """The row's public key must belong to the secret that was unwrapped for it."""
    if not crypto.same(crypto.public_of(secret), public_key):
        raise Untrusted(row._meta.db_table, row.pk, "the public key does not match its secret")


# --- the pin in the data directory -----------------------------------------------------------


def _pin_path() -> Path:
    return Path(settings.DATA_DIR) / PIN_FILE


def read_pin() -> dict[str, str] | None:
    try:
        return dict(json.loads(_pin_path().read_text(encoding="ascii")))
    except FileNotFoundError:
        return None


def pinned() -> bool:
    return _pin_path().exists()


def pinned_escrow_key() -> bytes | None:
    pin = read_pin()
    return base64.b64decode(pin["escrow_public_key"]) if pin else None


def pinned_epoch() -> int | None:
    """The newest organisation epoch this data directory has seen started."""
    pin = read_pin()
    return int(pin["epoch"]) if pin and "epoch" in pin else None


def write_pin(escrow_public_key: bytes, epoch: int) -> None:
    """Pin the escrow public key and the newest epoch in the data directory (0600,
    replaced atomically)."""
    path = _pin_path()
    partial = path.with_suffix(".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        json.dump(
            {
                "version": 1,
                "escrow_public_key": base64.b64encode(escrow_public_key).decode(),
                "epoch": epoch,
            },
            out,
        )
    partial.replace(path)


def pin_epoch(number: int) -> None:
    """A new epoch has committed: deleting it later (so that new records are sealed to an
    epoch a removed person still holds) is then refused."""
    escrow = pinned_escrow_key()
    seen = pinned_epoch()
    if escrow is not None and (seen is None or number > seen):
        write_pin(escrow, number)


# --- refusing --------------------------------------------------------------------------------


def report(problem: Untrusted, *, actor_id: int | None = None) -> None:
    """One line in the log and an audit entry (no details: nothing is sealed to a key that
    failed its check). Call it after the refused operation rolled back, so the entry stays."""
    from kalkan.audit.services import record

    if isinstance(problem, NotYetAuthenticated):
        # Not an attack: the upgrade waits for an administrator. Logged, not audited at
        # every public request.
        LOG.warning("vault: refused %s", problem)
        return
    LOG.error("vault: refused %s", problem)
    record("vault.tampered", actor_id=actor_id, object_id=f"{problem.table}:{problem.row}"[:64])
