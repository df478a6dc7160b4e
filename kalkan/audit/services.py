"""Writing to and verifying the audit log."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from kalkan.audit.models import AuditEntry, AuditHead
from kalkan.vault import crypto
from kalkan.vault import services as vault
from kalkan.vault.keyring import Keyring
from kalkan.vault.models import Compartment

GENESIS_HASH = "0" * 64
DETAILS = "audit-details"
RESTRICTED = "r:"


def read_details(entry: AuditEntry, keyring: Keyring) -> dict[str, object] | None:
    """The entry's details for someone holding its key; None otherwise."""
    if not entry.details:
        return {}
    if entry.details.startswith(RESTRICTED):
        # A restricted case's entry: its key opens with one of the reader's compartments
        # (a member's few, or every one for the escrow key); which one is not stored.
        key = _open_details_key(entry.seq, bytes(entry.details_key), keyring)
        if key is None:
            return None
        blob = base64.b64decode(entry.details[len(RESTRICTED):])
        return dict(json.loads(crypto.decrypt(key, blob, _restricted_aad(entry.seq))))
    if entry.details.startswith(LEGACY):
        plain = _read_legacy(entry.seq, entry.details, bytes(entry.details_key),
                             keyring.compartment_secrets)
        return None if plain is None else dict(json.loads(plain))
    data = vault.open_for_organisation(entry.details, DETAILS, keyring)
    return None if data is None else dict(json.loads(data))


def _restricted_aad(seq: int) -> bytes:
    return crypto.aad(DETAILS, "restricted", seq)


def _key_aad(seq: int) -> bytes:
    return crypto.aad(DETAILS, "key", seq)


def _open_key_with(secret: bytes, seq: int, sealed: bytes) -> bytes | None:
    try:
        plain = crypto.open_sealed(secret, sealed)
    except crypto.Tampered:
        return None  # sealed to another compartment
    prefix = _key_aad(seq)
    if not plain.startswith(prefix):
        raise crypto.Tampered("an audit key moved to another entry")
    return plain[len(prefix):]


def _open_details_key(seq: int, sealed: bytes, keyring: Keyring) -> bytes | None:
    for secret in keyring.compartment_secrets.values():
        key = _open_key_with(secret, seq, sealed)
        if key is not None:
            return key
    return None


def reseal_restricted(old: Compartment, new: Compartment, keyring: Keyring) -> None:
    """A compartment moved to a new key pair (a member left): re-seal the keys of its audit
    entries to the new public key, so members and the escrow key still read them once the
    old key is gone. The entries do not say which compartment they belong to: every
    restricted entry's key is tried (one sealed-box open each, ~34 µs). Entries of the
    earlier format get a copy of their details under the new compartment (_read_legacy)."""
    secret = keyring.compartment_secret(old.id)
    entries = AuditEntry.objects.filter(details__startswith=RESTRICTED).values_list(
        "pk", "seq", "details_key"
    )
    for pk, seq, sealed in entries.iterator():
        key = _open_key_with(secret, seq, bytes(sealed))
        if key is not None:
            AuditEntry.objects.filter(pk=pk).update(
                details_key=crypto.seal_to(
                    vault.compartment_public_key(new), _key_aad(seq) + key
                )
            )
    new_secret = keyring.compartment_secret(new.id)
    legacy = AuditEntry.objects.filter(details__startswith=LEGACY).values_list(
        "pk", "seq", "details", "details_key"
    )
    for pk, seq, details, copy in legacy.iterator():
        plain = _read_legacy(seq, details, bytes(copy), {str(old.id): secret})
        if plain is not None:
            AuditEntry.objects.filter(pk=pk).update(details_key=crypto.encrypt(
                _legacy_copy_key(new_secret), plain, _legacy_aad(seq, details)))


# Entries written before 2026-12: "c:<compartment id>:<details sealed to the compartment>".
# They name the compartment and, once its key rotates, nothing opens the sealed details; so
# at each rotation a copy of the details is kept in details_key, encrypted under a key
# derived from the new compartment secret (symmetric: a database writer, who can seal to a
# public key, cannot forge it) and bound to the entry's number and chained details.
LEGACY = "c:"


def _legacy_copy_key(compartment_secret: bytes) -> bytes:
    return hashlib.blake2b(compartment_secret, digest_size=32, person=b"kalkan-audcopy").digest()


def _legacy_aad(seq: int, details: str) -> bytes:
    return crypto.aad(DETAILS, "copy", seq, hashlib.sha256(details.encode()).hexdigest())


def _read_legacy(
    seq: int, details: str, copy: bytes, secrets: dict[str, bytes]
) -> bytes | None:
    _, compartment_id, b64 = details.split(":", 2)
    secret = secrets.get(compartment_id)
    if secret is not None:  # the compartment it was sealed to still exists
        return crypto.open_sealed(secret, base64.b64decode(b64))
    for held in secrets.values() if copy else ():
        try:
            return crypto.decrypt(_legacy_copy_key(held), copy, _legacy_aad(seq, details))
        except crypto.Tampered:
            continue  # a copy under another compartment
    return None


def _entry_hash(
    prev_hash: str,
    seq: int,
    at: datetime,
    actor_id: int | None,
    action: str,
    object_id: str,
    details: str,
) -> str:
    canonical = json.dumps(
        [prev_hash, seq, at.isoformat(), actor_id, action, object_id, details],
        ensure_ascii=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def record(
    action: str,
    *,
    actor_id: int | None,
    object_id: str = "",
    details: dict[str, str | int | bool] | None = None,
    compartment: Compartment | None = None,
) -> AuditEntry:
    """Append one entry. Runs in its own atomic block so it commits with the action it logs.

    Details are sealed to the organisation's current key: written without any unlock,
    readable only by staff. The chain hashes the sealed form (for a restricted case, the
    details sealed under the entry's own key, not that key's seal, which rotations change).
    """
    details_key = b""
    key = b""
    if compartment is not None:
        # About a restricted case: which one is sealed, under a key of the entry's own that
        # only the case's members and the escrow key can open; nothing in the clear names
        # the case, and a rotation re-seals the key (reseal_restricted). The log tells
        # others only that a case they cannot see was touched, and by whom.
        details = {**(details or {}), "object": object_id}
        object_id = ""
        key = crypto.random_key()
        stored_details = RESTRICTED  # completed below, once the entry's number is known
    elif details:
        stored_details = vault.seal_for_organisation(
            json.dumps(details, sort_keys=True).encode(), DETAILS
        )
    else:
        stored_details = ""
    at = timezone.now().replace(microsecond=0)
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(
            pk=1, defaults={"seq": 0, "entry_hash": GENESIS_HASH}
        )
        seq = head.seq + 1
        if compartment is not None:
            sealed = crypto.encrypt(
                key, json.dumps(details, sort_keys=True).encode(), _restricted_aad(seq)
            )
            stored_details = RESTRICTED + base64.b64encode(sealed).decode("ascii")
            details_key = crypto.seal_to(
                vault.compartment_public_key(compartment), _key_aad(seq) + key
            )
        entry_hash = _entry_hash(
            head.entry_hash, seq, at, actor_id, action, object_id, stored_details
        )
        entry = AuditEntry.objects.create(
            seq=seq,
            at=at,
            actor_id=actor_id,
            action=action,
            object_id=object_id,
            details=stored_details,
            details_key=details_key,
            prev_hash=head.entry_hash,
            entry_hash=entry_hash,
        )
        head.seq = seq
        head.entry_hash = entry_hash
        head.save(update_fields=["seq", "entry_hash"])
    return entry


@dataclass(frozen=True)
class Verification:
    entries: int
    head_hash: str
    problem: str  # empty when the chain is intact

    @property
    def intact(self) -> bool:
        return not self.problem


def verify() -> Verification:
    """Recompute the chain; report the first changed, removed, inserted or reordered entry."""
    prev_hash = GENESIS_HASH
    expected_seq = 1
    count = 0
    for entry in AuditEntry.objects.order_by("seq").iterator():
        if entry.seq != expected_seq:
            return Verification(count, prev_hash, f"entry #{expected_seq} is missing")
        if entry.prev_hash != prev_hash:
            return Verification(count, prev_hash, f"entry #{entry.seq} is out of order")
        recomputed = _entry_hash(
            prev_hash,
            entry.seq,
            entry.at,
            entry.actor_id,
            entry.action,
            entry.object_id,
            entry.details,
        )
        if recomputed != entry.entry_hash:
            return Verification(count, prev_hash, f"entry #{entry.seq} was changed")
        prev_hash = entry.entry_hash
        expected_seq += 1
        count += 1
    head = AuditHead.objects.filter(pk=1).first()
    head_seq = head.seq if head else 0
    if head_seq != count or (head is not None and head.entry_hash != prev_hash):
        return Verification(
            count, prev_hash, f"the log ends at #{count} but entry #{head_seq} was written"
        )
    return Verification(count, prev_hash, "")
