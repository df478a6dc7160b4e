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


def read_details(entry: AuditEntry, keyring: Keyring) -> dict[str, object] | None:
    """The entry's details for someone holding its epoch's key; None otherwise."""
    if not entry.details:
        return {}
    if entry.details.startswith("c:"):
        # A restricted case's entry: only its members hold the key.
        _, compartment_id, b64 = entry.details.split(":", 2)
        secret = keyring.compartment_secrets.get(compartment_id)
        if secret is None:
            return None
        plain = crypto.open_sealed(secret, base64.b64decode(b64))
        return dict(json.loads(plain))
    data = vault.open_for_organisation(entry.details, DETAILS, keyring)
    return None if data is None else dict(json.loads(data))


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
    readable only by staff. The chain hashes the sealed form.
    """
    if compartment is not None:
        # About a restricted case: which one is sealed to its members, so the log tells
        # others only that a case they cannot see was touched, and by whom.
        details = {**(details or {}), "object": object_id}
        object_id = ""
        sealed = crypto.seal_to(
            vault.compartment_public_key(compartment), json.dumps(details, sort_keys=True).encode()
        )
        stored_details = f"c:{compartment.id}:{base64.b64encode(sealed).decode('ascii')}"
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
