"""The write operations of the public side, and the staff side's reply.

    receipt = submit_report(submission, uploads)      # nobody logged in
    box = find_mailbox(receipt)                       # None for a wrong receipt
    replies_for_reporter(box, unlock_key)             # the team's replies, never the report
    add_follow_up(box, text, uploads)
    reply(box, keyring, text)                         # staff
    close_mailbox(box)                                # a retention rule

A report and its follow-ups are sealed to the organisation only; the team's replies are also
sealed to the reporter's own public key, which the receipt opens.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.utils import timezone

from kalkan.intake import receipts
from kalkan.intake.models import Evidence, Mailbox, Message, Report
from kalkan.intake.uploads import SealedUpload, reencode_image, sniff_image
from kalkan.vault import authentic, crypto
from kalkan.vault.files import open_file, store_file
from kalkan.vault.keyring import Keyring
from kalkan.vault.records import new_sealed, write


@dataclass
class Submission:
    """What a reporter gave, already validated by the form."""

    # What the person typed stays out of repr (logs, tracebacks).
    narrative: str = field(repr=False)
    answers: dict[str, object] = field(default_factory=dict, repr=False)
    contact: dict[str, str] = field(default_factory=dict, repr=False)
    consent: dict[str, bool] = field(default_factory=dict)
    urgent: bool = False


def _reporter_secret_aad(lookup_key: str) -> bytes:
    return crypto.aad("reporter-secret", lookup_key)


def submit_report(
    submission: Submission, uploads: list[SealedUpload], keyring: Keyring | None = None
) -> str:
    """Seal and store the report with its evidence; return the receipt (shown once).
    `keyring` is given when staff enter a report on someone's behalf."""
    receipt = receipts.new_receipt()
    lookup_key, unlock_key = receipts.derive(receipts.normalise(receipt) or "")
    reporter_secret, reporter_public = crypto.new_keypair()
    prepare_evidence(uploads)
    with transaction.atomic():
        report, key = new_sealed(Report, keyring, urgent=submission.urgent)
        write(
            report,
            key,
            narrative=submission.narrative,
            answers=json.dumps(submission.answers, ensure_ascii=False),
            contact=json.dumps(submission.contact, ensure_ascii=False),
            consent=json.dumps(submission.consent),
        )
        box = Mailbox(
            report=report,
            lookup_key=lookup_key,
            receipt_scheme=receipts.KEYED_HASH,
            reporter_public_key=reporter_public,
            wrapped_reporter_secret=crypto.wrap_key(
                unlock_key, reporter_secret, _reporter_secret_aad(lookup_key)
            ),
        )
        authentic.stamp(box)
        box.save()
        attach_evidence(report, None, uploads)
    return receipt


def prepare_evidence(uploads: list[SealedUpload]) -> None:
    """Make each image's working copy, re-encoded from pixels and sealed, before any write
    transaction: decoding takes seconds, and SQLite has one writer, so doing it inside would
    hold every other report back until "database is locked". ImageTooLarge (a decompression
    bomb) refuses the submission; the caller's handler then removes what was written."""
    for upload in uploads:
        if upload.stored is None or upload.working is not None:
            continue
        if not sniff_image(upload.head):
            continue
        original = b"".join(
            open_file(upload.key, str(upload.evidence_id),
                      upload.content_key.sealed_in_epoch, upload.stored.name)
        )
        clean = reencode_image(original)
        del original
        if clean is not None:
            upload.working = store_file(
                upload.key, str(upload.evidence_id), upload.content_key.sealed_in_epoch, [clean]
            )


def attach_evidence(report: Report, message: Message | None, uploads: list[SealedUpload]) -> None:
    """Evidence records, with their content keys, for uploaded (already encrypted) files;
    call inside the record's transaction, after prepare_evidence. Images have a working
    copy re-encoded from pixels; everything else is marked not sanitised."""
    for upload in uploads:
        if upload.stored is None:
            continue
        image_type = sniff_image(upload.head)
        working_name = upload.working.name if upload.working is not None else ""
        upload.content_key.save()
        evidence = Evidence(
            id=upload.evidence_id,
            content_key=upload.content_key,
            created_on=timezone.now().date(),
            report=report,
            message=message,
            original_file=upload.stored.name,
            working_file=working_name,
        )
        meta = {
            "name": upload.name,
            "declared_type": upload.content_type,
            "detected_type": image_type or "",
            "size": upload.stored.size,
            "sha256": upload.stored.sha256,
            "sanitised": bool(working_name),
        }
        write(evidence, upload.key, meta=json.dumps(meta, ensure_ascii=False))


def find_mailbox(typed_receipt: str) -> tuple[Mailbox, bytes] | None:
    """The mailbox and its unlock key for a receipt, or None. While mailboxes of the old
    Argon2id scheme remain, every receipt not found the new way is also tried the old way,
    so a wrong receipt costs the same whether or not it looks like an old one."""
    digits = receipts.normalise(typed_receipt) or "0" * receipts.DIGITS
    found = None
    lookup_key, unlock_key = receipts.derive(digits)
    box = Mailbox.objects.filter(lookup_key=lookup_key, receipt_scheme=receipts.KEYED_HASH)
    if (mailbox := box.first()) is not None:
        found = (mailbox, unlock_key)
    elif Mailbox.objects.filter(receipt_scheme=receipts.ARGON2ID).exists():
        lookup_key, unlock_key = receipts.derive_argon2id(digits)
        box = Mailbox.objects.filter(lookup_key=lookup_key, receipt_scheme=receipts.ARGON2ID)
        if (mailbox := box.first()) is not None:
            found = (mailbox, unlock_key)
    return found if receipts.normalise(typed_receipt) is not None else None


def _reporter_secret(box: Mailbox, unlock_key: bytes) -> bytes:
    return crypto.unwrap_key(
        unlock_key, bytes(box.wrapped_reporter_secret), _reporter_secret_aad(box.lookup_key)
    )


@dataclass(frozen=True)
class MailboxEntry:
    day: date
    from_reporter: bool
    text: str  # the team's words; empty for the reporter's own follow-ups (never shown back)


def replies_for_reporter(box: Mailbox, unlock_key: bytes) -> list[MailboxEntry]:
    secret = _reporter_secret(box, unlock_key)
    entries = []
    for message in box.messages.order_by("revision"):
        try:
            authentic.check(message)
        except authentic.Untrusted as problem:
            # Not written by Kalkan (or not yet authenticated after the upgrade): never
            # shown as the team's words.
            authentic.report(problem)
            continue
        text = ""
        if not message.from_reporter and message.reporter_copy:
            text = crypto.open_sealed(secret, bytes(message.reporter_copy)).decode("utf-8")
        entries.append(MailboxEntry(message.created_on, message.from_reporter, text))
    return entries


def add_follow_up(box: Mailbox, text: str, uploads: list[SealedUpload]) -> Message:
    prepare_evidence(uploads)
    with transaction.atomic():
        # Into the case's compartment when the report is in a restricted case.
        message, key = new_sealed(
            Message, None, box.report.content_key.compartment, mailbox=box, from_reporter=True
        )
        authentic.stamp(message)
        write(message, key, body=text)
        attach_evidence(box.report, message, uploads)
    return message


class MailboxClosed(Exception):
    """The reporter's mailbox was closed by a retention rule: a reply cannot reach them."""


def reply(box: Mailbox, keyring: Keyring, text: str) -> Message:
    """A staff reply: sealed for the team, and a copy sealed to the reporter's key."""
    if box.is_closed:
        raise MailboxClosed
    with transaction.atomic():
        message, key = new_sealed(
            Message, keyring, box.report.content_key.compartment,
            mailbox=box, from_reporter=False, seen=True,
        )
        # The reporter's key only if intake wrote it (a writer could swap in their own).
        authentic.check(box)
        message.reporter_copy = crypto.seal_to(
            bytes(box.reporter_public_key), text.encode("utf-8")
        )
        authentic.stamp(message)
        write(message, key, body=text)
    return message


def close_mailbox(box: Mailbox) -> None:
    """Close the reporter's way back for good: their key pair is destroyed (so the copies
    of the team's replies sealed to it, also removed, could not be opened even from an
    older backup once that is rotated out), and the lookup key becomes one no receipt
    derives, so a receipt seized later opens nothing and says nothing. The messages and
    files stay with the report (and its case) for the team; call inside a transaction."""
    if box.is_closed:
        return
    box.lookup_key = Mailbox.CLOSED + secrets.token_hex(28)
    box.reporter_public_key = b""
    box.wrapped_reporter_secret = b""
    authentic.stamp(box)
    box.save(update_fields=["lookup_key", "reporter_public_key", "wrapped_reporter_secret",
                            "mac"])
    for message in box.messages.exclude(reporter_copy=b""):
        message.reporter_copy = b""
        authentic.stamp(message)
        message.save(update_fields=["reporter_copy", "mac"])
