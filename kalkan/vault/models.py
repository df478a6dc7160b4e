"""The key hierarchy as stored: only public keys and wrapped (encrypted) secrets.

ESCROW   its public key; the secret was shown once at `kalkan init` and lives offline.
ORG      one keypair per epoch; the secret only as sealed boxes to each staff member's public
         key and to the escrow key.
STAFF    a keypair whose secret is encrypted under a key derived from the passphrase.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models

from kalkan.vault.authentic import covers

# Every row below that holds a public key the vault seals to, or a wrap, carries a MAC
# (`mac`) under a key from the data directory (kalkan.vault.authentic): a database writer
# cannot forge it.


class Escrow(models.Model):
    public_key = models.BinaryField()
    mac = models.BinaryField(default=b"", editable=False)

    def __str__(self) -> str:
        return "escrow"


class OrgEpoch(models.Model):
    number = models.PositiveIntegerField(primary_key=True)
    public_key = models.BinaryField()
    started_on = models.DateField()
    mac = models.BinaryField(default=b"", editable=False)

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
    mac = models.BinaryField(default=b"", editable=False)

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
    mac = models.BinaryField(default=b"", editable=False)

    def __str__(self) -> str:
        return f"key of {self.user_id}"


class VaultState(models.Model):
    """A single row: whether panic has sealed the server until escrow recovery."""

    sealed_by_panic = models.BooleanField(default=False)

    def __str__(self) -> str:
        return "sealed" if self.sealed_by_panic else "open"


class Compartment(models.Model):
    """A restricted group of records (a restricted case) with a key pair of its own.

    Its secret is sealed only to the named members' staff keys and to the escrow key; the
    content keys of its records are wrapped under it instead of under the organisation
    epoch. Whoever is not a member holds no key that opens them, whatever a view checks.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    public_key = models.BinaryField()
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="compartments")
    # A member left while nobody who holds the key was at hand: the next member who opens
    # it moves its records to a new key (kalkan.vault.services.mend_compartment).
    rotate_pending = models.BooleanField(default=False)
    mac = models.BinaryField(default=b"", editable=False)

    def __str__(self) -> str:
        return f"compartment {self.id}"


class CompartmentWrap(models.Model):
    """A compartment's secret sealed to one member, or (holder empty) to the escrow key."""

    compartment = models.ForeignKey(Compartment, on_delete=models.CASCADE, related_name="wraps")
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.CASCADE,
        related_name="compartment_wraps",
    )
    sealed = models.BinaryField()
    mac = models.BinaryField(default=b"", editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["compartment", "holder"], name="one_compartment_wrap_per_holder"
            ),
        ]

    def __str__(self) -> str:
        return f"wrap of {self.compartment_id} for {self.holder_id or 'escrow'}"


class ContentKey(models.Model):
    """A record's own key, wrapped to an organisation epoch.

    Written at intake (nobody unlocked) it is a sealed box to the epoch's public key; once
    staff have unlocked, the re-wrap job turns it into a symmetric wrap under a key derived
    from the epoch secret, which is ~100 times cheaper to open at every unlock.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    epoch = models.ForeignKey(OrgEpoch, on_delete=models.PROTECT, related_name="content_keys")
    # The epoch when the record was first sealed: part of every field's associated data,
    # so it never changes, even when the key is re-wrapped to a later epoch.
    sealed_in_epoch = models.PositiveIntegerField()
    wrapped = models.BinaryField()
    by_intake = models.BooleanField(default=False)
    # Set for the records of a restricted case: then the key is wrapped under the
    # compartment's key, never under an organisation epoch.
    compartment = models.ForeignKey(
        Compartment, null=True, on_delete=models.PROTECT, related_name="content_keys"
    )
    # How the record's fields are bound (kalkan.vault.records.field_aad): 2 adds the model's
    # label, so a field cannot be moved to another table; keys made before that stay 1.
    fields_version = models.PositiveSmallIntegerField(default=2)
    mac = models.BinaryField(default=b"", editable=False)

    def __str__(self) -> str:
        return f"content key {self.id}"


class SealedRecord(models.Model):
    """Base for every model that stores what people typed: the random id, the record's own
    key, the day it was made, and a revision number for the working set to catch up with.

    Subclasses declare their encrypted columns as BinaryFields and list them in
    SEALED_FIELDS; they read and write them only through kalkan.vault.records.
    """

    SEALED_FIELDS: ClassVar[tuple[str, ...]] = ()
    SCHEMA_VERSION: ClassVar[int] = 1

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    content_key = models.OneToOneField(ContentKey, on_delete=models.PROTECT, related_name="+")
    created_on = models.DateField()
    revision = models.PositiveBigIntegerField(db_index=True)

    class Meta:
        abstract = True


class Revision(models.Model):
    """A single counter: every sealed write takes the next number (order, not time)."""

    last = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"revision {self.last}"


class Removed(models.Model):
    """A sealed record removed for good (kalkan.vault.records.remove_sealed): its row and its
    content key are gone; only its random id stays here, so that working sets and their
    encrypted snapshots, in this process and in others, forget it when they catch up (a
    deletion leaves no newer revision to catch up with). Rows are only ever added: their
    number tells a working set whether there is anything new to forget."""

    record_id = models.UUIDField(unique=True)

    def __str__(self) -> str:
        return f"removed {self.record_id}"


covers("vault.escrow", lambda r: (r.pk, r.public_key))
covers("vault.orgepoch", lambda r: (r.number, r.public_key))
covers("vault.orgkeywrap", lambda r: (r.epoch_id, r.holder_id, r.sealed))
covers(
    "vault.staffkey",
    lambda r: (
        r.user_id, r.public_key, r.salt, r.opslimit, r.memlimit, r.verifier_digest,
        r.wrapped_secret,
    ),
)
# The members too: a member's visit wraps the secret to every named member lacking a wrap
# (kalkan.vault.services.mend_compartment), so a name added by the writer must not count.
# A pending rotation too (someone left, who may have kept the secret): a writer who clears
# it would keep the case on the old key. Only when set, so that earlier MACs stay valid.
covers(
    "vault.compartment",
    lambda r: (
        r.pk,
        r.public_key,
        ",".join(str(m) for m in sorted(r.members.values_list("pk", flat=True))),
        *(("rotate",) if r.rotate_pending else ()),
    ),
)
covers("vault.compartmentwrap", lambda r: (r.compartment_id, r.holder_id, r.sealed))
covers(
    "vault.contentkey",
    lambda r: (
        r.pk, r.epoch_id, r.sealed_in_epoch, r.wrapped, r.by_intake, r.compartment_id,
        r.fields_version,
    ),
)
