"""Retention: what goes, when, and how — counted first, removed only when asked.

    rules()                      the rules in force (a kind without a row keeps its default)
    preview()                    per rule, how many would go now (counts, never content)
    apply(keyring=None)          remove what the rules that are on select; returns the counts

A removed record goes with its content key (kalkan.vault.records.remove_sealed): its
ciphertext, wherever a copy of it is, cannot be opened any more, with any key, the escrow
secret included. Copies of the key itself stay only in backups made before the removal;
docs/operations.md ("Retention") says how long those are kept.

What may be evidence is never removed silently: every rule is off until an administrator
turns it on, and a report that documentation was coded from (an event names it, or an
evidence item holds one of its files) is kept whatever the rules say, with its case.
Each record is removed whole or not at all (one transaction per batch, its eligibility
checked again inside it); its encrypted files are deleted once that transaction commits,
and a crash in between leaves orphan files that the orphan rule (kalkan.core.cleanup)
removes next time.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import date, timedelta
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.db.models import F, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from kalkan.core import cleanup
from kalkan.desk.models import Case, CaseReport, StatusChange, TriageDecision
from kalkan.intake.models import Evidence, Mailbox, Report
from kalkan.intake.services import close_mailbox
from kalkan.records.models import Event, EvidenceItem
from kalkan.retention.models import Rule
from kalkan.vault import workingset
from kalkan.vault.files import delete_file
from kalkan.vault.keyring import Keyring
from kalkan.vault.models import Compartment, ContentKey
from kalkan.vault.records import remove_sealed

Kind = Rule.Kind

# (on, days) for a kind without a row. Everything that is or may be evidence is kept until
# an administrator turns its rule on; expired sessions and what a crash left behind
# (unreadable, referenced by nothing) go from the start.
DEFAULTS: dict[str, tuple[bool, int]] = {
    Kind.SET_ASIDE: (False, 90),
    Kind.CLOSED_CASES: (False, 3650),
    Kind.MAILBOXES: (False, 180),
    Kind.SESSIONS: (True, 0),
    Kind.ORPHANS: (True, 0),
}
# The kinds whose rule counts days from a day stored with the record.
CLOCKED = (Kind.SET_ASIDE, Kind.CLOSED_CASES, Kind.MAILBOXES)
MAX_DAYS = 36500
BATCH = 100  # records per transaction: SQLite has one writer, intake must not wait long


@dataclass(frozen=True)
class Tally:
    """One rule's figures: what goes (items: reports, cases, mailboxes, sessions or orphan
    keys), the reports that go with the cases, the encrypted files that go, and what the
    rule's clock selects but is kept (in an open case, or coded into documentation)."""

    kind: str
    enabled: bool
    days: int
    items: int = 0
    reports: int = 0
    files: int = 0
    kept: int = 0

    @property
    def label(self) -> str:
        return str(Kind(self.kind).label)

    @property
    def clocked(self) -> bool:
        return self.kind in CLOCKED


def rules() -> dict[str, Rule]:
    """Every kind's rule, in the order of Kind (unsaved with its default when never set)."""
    stored = {rule.kind: rule for rule in Rule.objects.all()}
    return {
        kind: stored.get(kind) or Rule(kind=kind, enabled=DEFAULTS[kind][0],
                                       days=DEFAULTS[kind][1])
        for kind in Kind.values
    }


def set_rule(kind: str, *, enabled: bool, days: int) -> Rule:
    if kind not in Kind.values:
        raise ValueError(kind)
    if kind in CLOCKED and not 1 <= days <= MAX_DAYS:
        raise ValueError(days)
    rule, _ = Rule.objects.update_or_create(
        kind=kind, defaults={"enabled": enabled, "days": days if kind in CLOCKED else 0}
    )
    return rule


def _cutoff(days: int) -> date:
    # Days as records are dated (kalkan.vault.records: created_on is the day, no time).
    return timezone.now().date() - timedelta(days=days)


# --- what each rule selects -------------------------------------------------------------------


def _documented_reports() -> Q:
    """Reports that documentation was coded from: an event names them, or an evidence item
    holds one of their files. Never removed, nor their cases."""
    named = Event.reports.through.objects.values("report_id")
    items = EvidenceItem.objects.filter(from_intake__isnull=False).values("from_intake_id")
    filed = Evidence.objects.filter(pk__in=items).values("report_id")
    return Q(pk__in=named) | Q(pk__in=filed)


def _set_aside(days: int) -> tuple[QuerySet[Report], QuerySet[Report]]:
    """(going, kept): reports set aside as spam or duplicate at least `days` ago."""
    latest = (TriageDecision.objects.filter(report=OuterRef("pk"))
              .order_by("-created_on").values("created_on")[:1])
    old = (Report.objects.filter(status__in=[Report.Status.SPAM, Report.Status.DUPLICATE])
           .annotate(set_aside_on=Coalesce(Subquery(latest), F("created_on")))
           .filter(set_aside_on__lte=_cutoff(days)))
    keep = Q(case_link__isnull=False) | _documented_reports()
    return old.exclude(keep), old.filter(keep)


def _closed_cases(days: int) -> tuple[QuerySet[Case], QuerySet[Case]]:
    """(going, kept): cases closed at least `days` ago (the day of the last closing)."""
    latest = (StatusChange.objects.filter(case=OuterRef("pk"), to_status=Case.Status.CLOSED)
              .order_by("-created_on").values("created_on")[:1])
    old = (Case.objects.filter(status=Case.Status.CLOSED)
           .annotate(closed_on=Coalesce(Subquery(latest), F("created_on")))
           .filter(closed_on__lte=_cutoff(days)))
    documented = CaseReport.objects.filter(
        report__in=Report.objects.filter(_documented_reports())
    ).values("case_id")
    return old.exclude(pk__in=documented), old.filter(pk__in=documented)


def _mailboxes(days: int) -> tuple[QuerySet[Mailbox], QuerySet[Mailbox]]:
    """(closing, kept): open mailboxes with no message for `days` (since the report when
    there is none). Kept: the report's case is still open, or nobody has read it yet."""
    quiet = (Mailbox.objects.exclude(lookup_key__startswith=Mailbox.CLOSED)
             .annotate(last=Coalesce(Max("messages__created_on"), F("report__created_on")))
             .filter(last__lte=_cutoff(days)))
    in_open_case = CaseReport.objects.exclude(case__status=Case.Status.CLOSED).values(
        "report_id"
    )
    keep = Q(report_id__in=in_open_case) | Q(report__status=Report.Status.NEW)
    return quiet.exclude(keep), quiet.filter(keep)


def _expired_sessions() -> QuerySet[Session]:
    return Session.objects.filter(expire_date__lt=timezone.now())


def _files_of(reports: QuerySet[Report] | list[Any]) -> list[str]:
    names = []
    for original, working in Evidence.objects.filter(report__in=reports).values_list(
        "original_file", "working_file"
    ):
        names += [name for name in (original, working) if name]
    return names


def _reports_of(cases: QuerySet[Case] | list[Any]) -> QuerySet[Report]:
    return Report.objects.filter(case_link__case__in=cases)


# --- preview ----------------------------------------------------------------------------------


def preview() -> list[Tally]:
    """What every rule would remove now, on or off (an administrator sees what turning a
    rule on would do). Counts only."""
    out = []
    for kind, rule in rules().items():
        base = Tally(kind, rule.enabled, rule.days)
        if kind == Kind.SET_ASIDE:
            going, kept = _set_aside(rule.days)
            out.append(replace(base, items=going.count(), files=len(_files_of(going)),
                             kept=kept.count()))
        elif kind == Kind.CLOSED_CASES:
            cases, kept_cases = _closed_cases(rule.days)
            reports = _reports_of(cases)
            out.append(replace(base, items=cases.count(), reports=reports.count(),
                             files=len(_files_of(reports)), kept=kept_cases.count()))
        elif kind == Kind.MAILBOXES:
            closing, kept_boxes = _mailboxes(rule.days)
            out.append(replace(base, items=closing.count(), kept=kept_boxes.count()))
        elif kind == Kind.SESSIONS:
            out.append(replace(base, items=_expired_sessions().count()))
        else:
            orphans = cleanup.count_orphans()
            out.append(replace(base, items=orphans.keys, files=orphans.files,
                             kept=orphans.kept_young))
    return out


def as_details(tallies: list[Tally]) -> dict[str, str | int | bool]:
    """Counts for the audit log: never content, never an id."""
    details: dict[str, str | int | bool] = {}
    for tally in tallies:
        for name, value in asdict(tally).items():
            if name != "kind" and (value or name == "enabled"):
                details[f"{tally.kind}.{name}"] = value
    return details


# --- applying ---------------------------------------------------------------------------------


def _remove_reports_and_cases(
    select: Any, ids: list[Any], *, cases: bool
) -> tuple[int, int, int]:
    """Remove one batch (cases with their reports, or reports), whole or not at all:
    the rows are locked (PostgreSQL; SQLite has one writer), selected again by the rule,
    removed with their content keys, and their files deleted once that commits.
    Returns (items, reports, files)."""
    with transaction.atomic():
        model = Case if cases else Report
        locked = list(model.objects.select_for_update().filter(pk__in=ids)
                      .values_list("pk", flat=True))
        roots = list(select().filter(pk__in=locked))
        if not roots:
            return 0, 0, 0
        reports = list(_reports_of(roots)) if cases else roots
        files = _files_of(reports)
        compartments = {case.compartment_id for case in roots if cases and case.compartment_id}
        remove_sealed([*roots, *reports] if cases else roots)
        # A restricted case's key pair serves nothing once its records are gone.
        Compartment.objects.filter(pk__in=compartments).exclude(
            pk__in=Case.objects.filter(compartment__isnull=False).values("compartment_id")
        ).exclude(
            pk__in=ContentKey.objects.filter(compartment__isnull=False).values("compartment_id")
        ).delete()
        transaction.on_commit(lambda: _delete_files(files))
    return len(roots), len(reports) if cases else 0, len(files)


def _delete_files(names: list[str]) -> None:
    for name in names:
        delete_file(name)


def _in_batches(queryset: QuerySet[Any]) -> list[list[Any]]:
    ids = list(queryset.values_list("pk", flat=True))
    return [ids[start:start + BATCH] for start in range(0, len(ids), BATCH)]


def _close_mailboxes(days: int) -> int:
    closed = 0
    for ids in _in_batches(_mailboxes(days)[0]):
        with transaction.atomic():
            locked = list(Mailbox.objects.select_for_update().filter(pk__in=ids)
                          .values_list("pk", flat=True))
            for box in _mailboxes(days)[0].filter(pk__in=locked):
                close_mailbox(box)
                closed += 1
    return closed


def _clear_sessions() -> int:
    count = _expired_sessions().count()
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
    return count


def _checkpoint() -> None:
    """SQLite overwrites freed pages (secure_delete, kalkan.settings); the write-ahead log
    still holds the pages as they were until a checkpoint copies it back and empties it."""
    # Not possible inside a transaction (a test's); SQLite then checkpoints on its own
    # once the log holds 1000 pages.
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def apply(keyring: Keyring | None = None) -> list[Tally]:
    """Remove what every rule that is on selects; returns what went (counts). `keyring`,
    an administrator's from the web page, rewrites their working-set snapshot without the
    removed records; without one (the timer) every snapshot is deleted and rebuilt at the
    next unlock. Either way no snapshot keeps a removed record's words."""
    out = []
    removed_any = False
    for kind, rule in rules().items():
        base = Tally(kind, rule.enabled, rule.days)
        if not rule.enabled:
            out.append(base)
            continue
        if kind in (Kind.SET_ASIDE, Kind.CLOSED_CASES):
            cases = kind == Kind.CLOSED_CASES
            days = rule.days

            def select(cases: bool = cases, days: int = days) -> QuerySet[Any]:
                return _closed_cases(days)[0] if cases else _set_aside(days)[0]

            items = reports = files = 0
            for ids in _in_batches(select()):
                done = _remove_reports_and_cases(select, ids, cases=cases)
                items, reports, files = items + done[0], reports + done[1], files + done[2]
            kept = (_closed_cases(days) if cases else _set_aside(days))[1].count()
            removed_any = removed_any or bool(items)
            out.append(replace(base, items=items, reports=reports, files=files, kept=kept))
        elif kind == Kind.MAILBOXES:
            out.append(replace(base, items=_close_mailboxes(rule.days),
                             kept=_mailboxes(rule.days)[1].count()))
        elif kind == Kind.SESSIONS:
            out.append(replace(base, items=_clear_sessions()))
        else:
            # Last: it also takes the files of a removal whose deletion a crash cut short.
            cleaned = cleanup.clean_orphans()
            out.append(replace(base, items=cleaned.keys, files=cleaned.files,
                             kept=cleaned.kept_young))
    if removed_any:
        workingset.forget_removed_everywhere(keyring)
    _checkpoint()
    return out
