"""What the public side stores: reports, their mailboxes, messages and evidence.

Everything a reporter typed or uploaded is a sealed field (kalkan.vault.records). In the
clear stay only what security.md allows: random ids, the day, the urgent flag, the status.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models

from kalkan.vault.authentic import covers
from kalkan.vault.models import SealedRecord


class ReceiptSalts(models.Model):
    """The two global salts that turn a receipt into a lookup key and an unlock key."""

    lookup_salt = models.BinaryField()
    unlock_salt = models.BinaryField()

    def __str__(self) -> str:
        return "receipt salts"


class Report(SealedRecord):
    SEALED_FIELDS: ClassVar[tuple[str, ...]] = ("narrative", "answers", "contact", "consent")

    class Status(models.TextChoices):
        NEW = "new"
        SEEN = "seen"
        SPAM = "spam"
        DUPLICATE = "duplicate"
        IN_CASE = "in_case"  # taken into a case: it leaves the triage inbox

    narrative = models.BinaryField(default=b"")
    # The guided questions, the urgent questions and the help wanted, as JSON.
    answers = models.BinaryField(default=b"")
    contact = models.BinaryField(default=b"")
    # Consent per purpose, as JSON ({"services": true, ...}); the ledger of the documentation
    # issue takes it over.
    consent = models.BinaryField(default=b"")
    urgent = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)

    class Meta:
        ordering = ["-urgent", "revision"]
        # The triage inbox and the alerts select by state without reading sealed columns.
        indexes = [models.Index(fields=["status", "urgent", "revision"])]

    def __str__(self) -> str:
        return f"report {self.id}"


class Mailbox(models.Model):
    """The reporter's way back: found by the receipt's lookup key, opened by its unlock key.

    Closed by a retention rule (kalkan.intake.services.close_mailbox): the reporter's key
    pair is destroyed and the lookup key replaced by one no receipt derives (it starts with
    CLOSED, never hex), so the receipt opens nothing; the messages stay with the report."""

    CLOSED = "closed-"

    report = models.OneToOneField(Report, on_delete=models.CASCADE, related_name="mailbox")
    lookup_key = models.CharField(max_length=64, unique=True)
    # How lookup_key and the unlock key come from the receipt (kalkan.intake.receipts):
    # 1 Argon2id (mailboxes made before 2026-12), 2 keyed BLAKE2b. Not under the MAC: a
    # writer who changes it only makes the mailbox unfindable, as deleting it would.
    receipt_scheme = models.PositiveSmallIntegerField(default=2, db_index=True)
    reporter_public_key = models.BinaryField()
    # The reporter's secret key, encrypted under the receipt's unlock key.
    wrapped_reporter_secret = models.BinaryField()
    # kalkan.vault.authentic: staff replies are sealed to reporter_public_key only if intake
    # wrote it.
    mac = models.BinaryField(default=b"", editable=False)

    def __str__(self) -> str:
        return f"mailbox of {self.report_id}"

    @property
    def is_closed(self) -> bool:
        return self.lookup_key.startswith(self.CLOSED)


class Message(SealedRecord):
    """A follow-up from the reporter or a reply from the team."""

    SEALED_FIELDS: ClassVar[tuple[str, ...]] = ("body",)

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="messages")
    from_reporter = models.BooleanField()
    body = models.BinaryField(default=b"")
    # A reply's copy for the reporter: a sealed box to their public key, readable with the
    # receipt. Empty for the reporter's own follow-ups, which are never shown back.
    reporter_copy = models.BinaryField(default=b"")
    # A follow-up the team has not opened yet (the triage inbox shows it).
    seen = models.BooleanField(default=False)
    # The reporter's public key is in the database: without this MAC a writer could seal a
    # text of their own to it and show it to the reporter as the team's reply.
    mac = models.BinaryField(default=b"", editable=False)

    class Meta:
        ordering = ["revision"]
        indexes = [models.Index(fields=["from_reporter", "seen"])]

    def __str__(self) -> str:
        return f"message {self.id}"


class Evidence(SealedRecord):
    """An uploaded file: the encrypted original, and for images an encrypted working copy
    re-encoded from pixels (no EXIF, GPS, XMP or thumbnails)."""

    SEALED_FIELDS: ClassVar[tuple[str, ...]] = ("meta",)

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="evidence")
    message = models.ForeignKey(Message, null=True, on_delete=models.CASCADE)
    original_file = models.CharField(max_length=64)
    working_file = models.CharField(max_length=64, blank=True)
    # JSON: original name (sanitised), content type, size, SHA-256, sanitised or not.
    meta = models.BinaryField(default=b"")

    def __str__(self) -> str:
        return f"evidence {self.id}"


covers(
    "intake.mailbox",
    lambda r: (r.report_id, r.lookup_key, r.reporter_public_key, r.wrapped_reporter_secret),
)
covers(
    "intake.message",
    lambda r: (r.pk, r.mailbox_id, r.from_reporter, r.reporter_copy),
)
