"""The audit log: one row per staff action, each bound to the one before it by a hash.

`details` is the only free-form part. It holds no reporter identifiers, and once the vault
lands it is stored encrypted; the chain hashes the stored form, so verification never needs
a key.
"""

from __future__ import annotations

from typing import Any

from django.db import models


class AuditEntry(models.Model):
    seq = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField()
    # The staff member's id, not a foreign key: the entry must outlive the account.
    actor_id = models.BigIntegerField(null=True)
    action = models.CharField(max_length=40)
    object_id = models.CharField(max_length=64, blank=True)
    details = models.TextField(blank=True)
    # For a restricted case's entry: the key of its details, sealed to the case's compartment
    # (an anonymous sealed box: which compartment cannot be told from it). Outside the hash
    # chain, because a rotation re-seals it to the compartment's new key; the details it opens
    # are chained and bound to the entry's number, so a swapped key opens nothing. For an
    # entry of the earlier "c:" format, a copy of its details kept across rotations
    # (kalkan.audit.services._read_legacy).
    details_key = models.BinaryField(default=b"", blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError("audit entries are append-only")


class AuditHead(models.Model):
    """The newest entry's number and hash: a single row locked while appending.

    It serialises concurrent writers on PostgreSQL and lets verification notice entries
    removed from the end of the log.
    """

    seq = models.PositiveBigIntegerField(default=0)
    entry_hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"head #{self.seq}"
