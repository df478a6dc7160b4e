"""The key hierarchy as stored: only public keys and wrapped (encrypted) secrets.

ESCROW   its public key; the secret was shown once at `kalkan init` and lives offline.
ORG      one keypair per epoch; the secret only as sealed boxes to each staff member's public
         key and to the escrow key.
STAFF    a keypair whose secret is encrypted under a key derived from the passphrase.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Escrow(models.Model):
    public_key = models.BinaryField()

    def __str__(self) -> str:
        return "escrow"


class OrgEpoch(models.Model):
    number = models.PositiveIntegerField(primary_key=True)
    public_key = models.BinaryField()
    started_on = models.DateField()

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"epoch {self.number}"


class OrgKeyWrap(models.Model):
    """ORG_SK of one epoch sealed to one staff member, or (holder empty) to the escrow key."""

    epoch = models.ForeignKey(OrgEpoch, on_delete=models.CASCADE, related_name="wraps")
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="org_wraps"
    )
    sealed = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["epoch", "holder"], name="one_wrap_per_holder"),
            models.UniqueConstraint(
                fields=["epoch"],
                condition=models.Q(holder__isnull=True),
                name="one_escrow_wrap_per_epoch",
            ),
        ]

    def __str__(self) -> str:
        return f"wrap of epoch {self.epoch_id} for {self.holder_id or 'escrow'}"


class StaffKey(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="key"
    )
    public_key = models.BinaryField()
    salt = models.BinaryField()
    opslimit = models.PositiveIntegerField()
    memlimit = models.PositiveBigIntegerField()
    # BLAKE2b of the login verifier; the verifier itself and the KEK are never stored.
    verifier_digest = models.BinaryField()
    wrapped_secret = models.BinaryField()

    def __str__(self) -> str:
        return f"key of {self.user_id}"


class VaultState(models.Model):
    """A single row: whether panic has sealed the server until escrow recovery."""

    sealed_by_panic = models.BooleanField(default=False)

    def __str__(self) -> str:
        return "sealed" if self.sealed_by_panic else "open"
