"""The legislation tracker: laws and bills, the stages they went through, the deadlines that
come with them, and the links from documented events (and acts) to them.

    Law 1──* LawStage            introduced, readings, signed, in force, … each dated
    Law 1──* LawDeadline         a signature window, a comment period, a hearing
    Law 1──* LawLink *──1 Event  (and optionally one of its acts): "charged under", …

Bills are public, but what the team writes about them is not: titles, summaries, notes, the
stages' dates and notes, the deadlines' dates and words, and how an event relates to a law
are sealed like any record (kalkan.vault.records). Country and type live inside the sealed
JSON as gazetteer and vocabulary codes (law_types, law_stages, law_relations), as in the
documentation model; there are few laws, so lists are filtered after decryption. In the
clear stay only ids, the day a row was made, who added it, the links between rows and
whether a deadline is done (workflow state, as security.md allows).

A link is sealed with its event's key family: the link of an event in a restricted case is
opened only by that case's members, like the event itself.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models

from kalkan.records.models import Act, Event
from kalkan.vault.models import SealedRecord


class Law(SealedRecord):
    """A law or a bill of one country."""

    # details: JSON {country (gazetteer code), type (law_types), summary, reference, link,
    # notes}. The link is kept as text and never fetched.
    SEALED_FIELDS: ClassVar[tuple[str, ...]] = ("title", "details")

    title = models.BinaryField(default=b"")
    details = models.BinaryField(default=b"")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"law {self.id}"


class LawStage(SealedRecord):
    # details: JSON {stage (law_stages), date {year, month, day, precision}, note}.
    SEALED_FIELDS: ClassVar[tuple[str, ...]] = ("details",)

    law = models.ForeignKey(Law, on_delete=models.CASCADE, related_name="stages")
    details = models.BinaryField(default=b"")

    def __str__(self) -> str:
        return f"stage {self.id}"


class LawDeadline(SealedRecord):
    """Something due by a date: the date and the words are sealed. Unlike a desk task, no
    alert has to fire before anyone unlocks, so the due date need not stay in the clear."""

    # details: JSON {due (ISO date), what}.
    SEALED_FIELDS: ClassVar[tuple[str, ...]] = ("details",)

    law = models.ForeignKey(Law, on_delete=models.CASCADE, related_name="deadlines")
    details = models.BinaryField(default=b"")
    # Plain, like Task.done_at: only the open deadlines are decrypted for the reminders.
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    def __str__(self) -> str:
        return f"deadline {self.id}"


class LawLink(SealedRecord):
    """An event (and optionally one of its acts) linked to a law."""

    # details: JSON {relation (law_relations)}.
    SEALED_FIELDS: ClassVar[tuple[str, ...]] = ("details",)

    law = models.ForeignKey(Law, on_delete=models.CASCADE, related_name="links")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="law_links")
    act = models.ForeignKey(
        Act, null=True, blank=True, on_delete=models.CASCADE, related_name="law_links"
    )
    details = models.BinaryField(default=b"")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"law link {self.id}"


class ReportDraft(SealedRecord):
    """A draft for a UN mechanism (kalkan.analysis.builder): what was asked, what reviewers
    decided about each case summary's redactions, and which records stood behind each figure
    the last time it was downloaded (the provenance, kept here, exported only on request)."""

    # request: JSON builder.Asked; review: JSON {summaries: {act id: {fingerprint,
    # replacements [str | null], leave_out}}, reviewed_by}; provenance: JSON {figure: [ids]}.
    SEALED_FIELDS: ClassVar[tuple[str, ...]] = ("request", "review", "provenance")

    request = models.BinaryField(default=b"")
    review = models.BinaryField(default=b"")
    provenance = models.BinaryField(default=b"")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"report draft {self.id}"


class PublishedTable(SealedRecord):
    """One gated table as it left Kalkan in a downloaded draft: the publication gate's memory
    (kalkan.analysis.register). Its selection, labels and numbers are sealed like any record:
    together they say as much as the counts they are."""

    # table: JSON register.Released {table, scope {country, years, groups, defenders_only},
    # on, facts [[dimension, value, year, group, count | null]]}.
    SEALED_FIELDS: ClassVar[tuple[str, ...]] = ("table",)

    table = models.BinaryField(default=b"")
    # Which draft released it (kept if the draft goes: what was published stays published).
    draft = models.ForeignKey(
        ReportDraft, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"published table {self.id}"
