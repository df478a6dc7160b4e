"""What the response desk stores: cases and everything done in them, partners and
referrals, triage decisions, and who is on call.

As everywhere, what people typed is sealed (kalkan.vault.records). In the clear stay only
workflow facts an alert must read with nobody unlocked (security.md, "What may stay
plaintext"): status, priority, who is assigned, due times of tasks, and the time a
detention's no-contact timer runs out. docs/threat-model.md lists them.

The records of a restricted case (the case itself, its notes, actions, tasks, status
changes, referrals and the reports attached with their messages and files) have their keys
in the case's compartment: only its members can open them.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kalkan.intake.models import Report
from kalkan.vault.authentic import covers
from kalkan.vault.models import Compartment, SealedRecord


class Case(SealedRecord):
    # risk: JSON {factor: {"present": bool, "notes": str}}; see kalkan.desk.vocab.RISKS.
    SEALED_FIELDS: ClassVar[tuple[str, ...]] = ("title", "summary", "risk", "safety_plan")

    class Status(models.TextChoices):
        NEW = "new", _("New")
        TRIAGE = "triage", _("Triage")
        ACTIVE = "active", _("Active")
        MONITORING = "monitoring", _("Monitoring")
        CLOSED = "closed", _("Closed")
        REOPENED = "reopened", _("Reopened")

    class Priority(models.IntegerChoices):
        URGENT = 0, _("Urgent")
        HIGH = 1, _("High")
        NORMAL = 2, _("Normal")
        LOW = 3, _("Low")

    title = models.BinaryField(default=b"")
    summary = models.BinaryField(default=b"")
    risk = models.BinaryField(default=b"")
    safety_plan = models.BinaryField(default=b"")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NEW)
    priority = models.PositiveSmallIntegerField(
        choices=Priority.choices, default=Priority.NORMAL
    )
    assignees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="assigned_cases"
    )
    # Set for a restricted case; the case's records are sealed in it.
    compartment = models.ForeignKey(
        Compartment, null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    # "Detained, no contact": when the timer runs out unless someone records contact.
    contact_deadline = models.DateTimeField(null=True, blank=True)
    # When the escalation alert for the current deadline went out (once per deadline).
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["priority", "revision"]
        indexes = [models.Index(fields=["status", "priority"])]

    def __str__(self) -> str:
        return f"case {self.id}"

    @property
    def is_open(self) -> bool:
        return self.status != Case.Status.CLOSED


class CaseReport(models.Model):
    """A report taken into a case (a report belongs to at most one case)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="report_links")
    report = models.OneToOneField(Report, on_delete=models.CASCADE, related_name="case_link")

    def __str__(self) -> str:
        return f"{self.report_id} in {self.case_id}"


class StatusChange(SealedRecord):
    SEALED_FIELDS: ClassVar[tuple[str, ...]] = ("reason",)

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="status_changes")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    from_status = models.CharField(max_length=12, choices=Case.Status.choices)
    to_status = models.CharField(max_length=12, choices=Case.Status.choices)
    reason = models.BinaryField(default=b"")

    class Meta:
        ordering = ["revision"]

    def __str__(self) -> str:
        return f"{self.from_status} -> {self.to_status}"


class CaseNote(SealedRecord):
    SEALED_FIELDS: ClassVar[tuple[str, ...]] = ("body",)

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    body = models.BinaryField(default=b"")

    class Meta:
        ordering = ["revision"]

    def __str__(self) -> str:
        return f"note {self.id}"


class Action(SealedRecord):
    """Something done for the person: its type, outcome and date are sealed (a relocation
    abroad is as sensitive as the story)."""

    # details: JSON {"kind", "outcome", "done_on", "notes"}; kinds in kalkan.desk.vocab.
    SEALED_FIELDS: ClassVar[tuple[str, ...]] = ("details",)

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="actions")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    details = models.BinaryField(default=b"")

    class Meta:
        ordering = ["revision"]

    def __str__(self) -> str:
        return f"action {self.id}"


class Task(SealedRecord):
    """A promise to keep: its words are sealed; who and when stay plain so that "my tasks",
    "overdue" and the escalation timer work before anyone unlocks."""

    SEALED_FIELDS: ClassVar[tuple[str, ...]] = ("title",)

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="tasks",
    )
    due_at = models.DateTimeField()
    urgent = models.BooleanField(default=False)
    done_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    title = models.BinaryField(default=b"")

    class Meta:
        ordering = ["done_at", "due_at"]
        indexes = [models.Index(fields=["assignee", "done_at", "due_at"])]

    def __str__(self) -> str:
        return f"task {self.id}"


class TriageDecision(SealedRecord):
    """A report set aside as spam or as a duplicate of another, with the reason why."""

    SEALED_FIELDS: ClassVar[tuple[str, ...]] = ("reason",)

    class Decision(models.TextChoices):
        SPAM = "spam", _("Spam")
        DUPLICATE = "duplicate", _("Duplicate")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="decisions")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    duplicate_of = models.ForeignKey(
        Report, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    reason = models.BinaryField(default=b"")

    def __str__(self) -> str:
        return f"{self.decision} {self.report_id}"


class Partner(SealedRecord):
    """A partner organisation that receives referrals, encrypted to its public key (X25519,
    made by the partner with tools/kalkan_referral.py; its secret never comes here)."""

    # details: JSON {"contact", "services", "notes"}.
    SEALED_FIELDS: ClassVar[tuple[str, ...]] = ("name", "details")

    name = models.BinaryField(default=b"")
    details = models.BinaryField(default=b"")
    public_key = models.BinaryField()
    active = models.BooleanField(default=True)
    # kalkan.vault.authentic: packages are sealed to public_key only if Kalkan wrote it.
    mac = models.BinaryField(default=b"", editable=False)

    def __str__(self) -> str:
        return f"partner {self.id}"


class ReferralConsent(SealedRecord):
    """What the person agreed may go to one partner: which parts of the case, when and how
    they said so, and whether they took it back. A referral is refused without one."""

    # details: JSON {"fields": [...], "given_on", "how", "withdrawn_on"}.
    SEALED_FIELDS: ClassVar[tuple[str, ...]] = ("details",)

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="referral_consents")
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    details = models.BinaryField(default=b"")

    class Meta:
        ordering = ["revision"]

    def __str__(self) -> str:
        return f"consent {self.id}"


class Referral(SealedRecord):
    """A referral package made for a partner: the record says which parts went (never a
    copy of the package, which only the partner's key opens)."""

    # details: JSON {"fields": [...], "sha256": "<digest of the encrypted package>"}.
    SEALED_FIELDS: ClassVar[tuple[str, ...]] = ("details",)

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="referrals")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="referrals")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    details = models.BinaryField(default=b"")

    class Meta:
        ordering = ["revision"]

    def __str__(self) -> str:
        return f"referral {self.id}"


class OnCall(models.Model):
    """Where a staff member's content-free alerts go, and whether they are on call now.

    The address is plain because alerts are sent with nobody unlocked: use an address that
    does not name the person (docs/administration.md)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="on_call"
    )
    email = models.EmailField(blank=True)
    active = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"on call: {self.user_id}"


class AlertState(models.Model):
    """A single row: the newest report and follow-up revisions an alert has counted."""

    reports_revision = models.PositiveBigIntegerField(default=0)
    messages_revision = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return "alert state"


covers("desk.partner", lambda r: (r.pk, r.public_key))
