"""The response desk's operations: triage, cases, their risk, actions, tasks and notes,
restriction to named staff, and the escalation timer's arithmetic.

Every function that writes what people typed takes the caller's unlocked Keyring; records
of a restricted case are sealed in its compartment. Views call these and log to the audit.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from kalkan.accounts.models import User
from kalkan.desk.models import (
    Action,
    Case,
    CaseNote,
    CaseReport,
    Referral,
    ReferralConsent,
    StatusChange,
    Task,
    TriageDecision,
)
from kalkan.desk.vocab import RISKS, TRANSITIONS
from kalkan.intake.models import Evidence, Message, Report
from kalkan.vault.keyring import Keyring
from kalkan.vault.models import ContentKey, SealedRecord
from kalkan.vault.records import (
    bump_revisions,
    move_keys,
    new_sealed,
    open_content_key,
    read,
    readable_by,
    write,
)
from kalkan.vault.services import add_member, drop_member, mend_compartment, new_compartment


class DeskError(Exception):
    """A request the desk refuses, with a message for the person (already translated)."""


# --- reading ---------------------------------------------------------------------------------


def visible_cases(keyring: Keyring | None) -> QuerySet[Case]:
    """Cases this keyring opens: never a restricted case of which the person is not a member."""
    return readable_by(Case.objects.all(), keyring)


def visible_reports(keyring: Keyring | None) -> QuerySet[Report]:
    return readable_by(Report.objects.all(), keyring)


def open_fields(record: SealedRecord, keyring: Keyring) -> dict[str, str]:
    return read(record, open_content_key(record.content_key, keyring))


def json_field(fields: dict[str, str], name: str, default: Any) -> Any:
    return json.loads(fields[name]) if fields.get(name) else default


def _new(
    model: type[SealedRecord], case: Case, keyring: Keyring, fields: dict[str, str], **plain: Any
) -> Any:
    with transaction.atomic():
        record, key = new_sealed(model, keyring, case.compartment, case=case, **plain)
        write(record, key, **fields)
    return record


# --- triage ----------------------------------------------------------------------------------


def set_aside(
    report: Report,
    decision: str,
    reason: str,
    keyring: Keyring,
    by: User,
    duplicate_of: Report | None = None,
) -> TriageDecision:
    """Mark a report as spam or as a duplicate, with the reason; it leaves the inbox."""
    if decision not in TriageDecision.Decision.values:
        raise ValueError(decision)
    with transaction.atomic():
        record, key = new_sealed(
            TriageDecision, keyring, report.content_key.compartment,
            report=report, decision=decision, duplicate_of=duplicate_of, by=by,
        )
        write(record, key, reason=reason)
        Report.objects.filter(pk=report.pk).update(status=decision)
    return record


def open_case(
    reports: Iterable[Report],
    keyring: Keyring,
    by: User,
    *,
    title: str = "",
    priority: int | None = None,
) -> Case:
    """A case from one or more reports (none for a case opened by hand). Urgent reports make
    an urgent case; the opener is its first assignee."""
    reports = list(reports)
    if priority is None:
        priority = Case.Priority.URGENT if any(r.urgent for r in reports) else Case.Priority.NORMAL
    with transaction.atomic():
        case, key = new_sealed(Case, keyring, priority=priority)
        write(case, key, title=title, summary="", risk="{}", safety_plan="")
        case.assignees.add(by)
        for report in reports:
            attach_report(case, report, keyring)
    return case


def attach_report(case: Case, report: Report, keyring: Keyring) -> None:
    """Take a report into a case. Into a restricted case, the report, its messages and files
    move into the case's compartment."""
    with transaction.atomic():
        if CaseReport.objects.filter(report=report).exclude(case=case).exists():
            raise DeskError("already in another case")
        CaseReport.objects.get_or_create(case=case, report=report)
        Report.objects.filter(pk=report.pk).update(status=Report.Status.IN_CASE)
        if case.compartment is not None:
            gather(case, keyring)


# Other apps' records that belong to a case (documentation coded from its reports): each
# hook gives (model, queryset) pairs for a case's reports. Registered in the apps' ready().
CaseRecords = Callable[[QuerySet[Report]], list[tuple[type[SealedRecord], QuerySet[Any]]]]
CASE_RECORD_HOOKS: list[CaseRecords] = []


# The records that belong to a case, by model and how to find them from the case.
def _case_records(case: Case) -> list[tuple[type[SealedRecord], QuerySet[Any]]]:
    reports = Report.objects.filter(case_link__case=case)
    extra = [pair for hook in CASE_RECORD_HOOKS for pair in hook(reports)]
    return extra + [
        (Case, Case.objects.filter(pk=case.pk)),
        (StatusChange, StatusChange.objects.filter(case=case)),
        (CaseNote, CaseNote.objects.filter(case=case)),
        (Action, Action.objects.filter(case=case)),
        (Task, Task.objects.filter(case=case)),
        (ReferralConsent, ReferralConsent.objects.filter(case=case)),
        (Referral, Referral.objects.filter(case=case)),
        (Report, reports),
        (TriageDecision, TriageDecision.objects.filter(report__in=reports)),
        (Message, Message.objects.filter(mailbox__report__in=reports)),
        (Evidence, Evidence.objects.filter(report__in=reports)),
    ]


def gather(case: Case, keyring: Keyring) -> int:
    """Move into the case's compartment every record of the case still keyed elsewhere
    (a follow-up or file that came in through intake, a report just attached). Bumps their
    revisions so that working sets without the compartment drop them. Returns how many."""
    compartment = case.compartment
    if compartment is None:
        return 0
    moved = 0
    with transaction.atomic():
        for model, queryset in _case_records(case):
            stray = queryset.filter(
                Q(content_key__compartment__isnull=True)
                | ~Q(content_key__compartment=compartment)
                | Q(content_key__by_intake=True)
            ).select_related("content_key")
            records = list(stray)
            if not records:
                continue
            moved += move_keys([r.content_key for r in records], keyring, compartment)
            bump_revisions(model, [r.pk for r in records])
    return moved


def restrict(case: Case, members: Iterable[User], keyring: Keyring, by: User) -> Case:
    """Make the case visible only to the named staff (the person restricting it is always
    one): a compartment key sealed to them alone, and every record of the case moved under
    it. Others' working sets drop the case at their next request."""
    if case.compartment is not None:
        raise DeskError("already restricted")
    people = {by.pk: by, **{m.pk: m for m in members}}
    with transaction.atomic():
        case.compartment = new_compartment(people.values(), keyring)
        Case.objects.filter(pk=case.pk).update(compartment=case.compartment)
        gather(case, keyring)
    return case


def add_case_member(case: Case, user: User, keyring: Keyring) -> None:
    if case.compartment is None:
        raise DeskError("not restricted")
    add_member(case.compartment, user, keyring)


def remove_case_member(case: Case, user: User, keyring: Keyring) -> Case:
    """Take a member out: their key goes at once, and the case moves to a new key that theirs
    cannot open (keys only, not content)."""
    if case.compartment is None:
        raise DeskError("not restricted")
    if case.compartment.members.count() <= 1:
        raise DeskError("last member")
    drop_member(case.compartment, user)
    case.compartment = mend_compartment(case.compartment, keyring)
    return case


def mend(case: Case, keyring: Keyring) -> Case:
    """On opening a restricted case: re-wrap for re-enrolled members, rotate if someone left
    while no member was at hand, and gather strays."""
    if case.compartment is None:
        return case
    case.compartment = mend_compartment(case.compartment, keyring)
    gather(case, keyring)
    return case


def repoint_cases(old: Any, new: Any) -> None:
    """Registered with the vault: a rotated compartment's cases follow it."""
    Case.objects.filter(compartment=old).update(compartment=new)


def case_content_keys(case: Case) -> QuerySet[ContentKey]:
    ids: list[Any] = []
    for _model, queryset in _case_records(case):
        ids.extend(queryset.values_list("content_key_id", flat=True))
    return ContentKey.objects.filter(pk__in=ids)


# --- the case's workflow ----------------------------------------------------------------------


def change_status(case: Case, to: str, reason: str, keyring: Keyring, by: User) -> None:
    if to not in TRANSITIONS.get(case.status, ()):
        raise DeskError("transition")
    needs_reason = to in (Case.Status.CLOSED, Case.Status.REOPENED)
    if needs_reason and not reason.strip():
        raise DeskError("reason")
    with transaction.atomic():
        _new(StatusChange, case, keyring, {"reason": reason}, by=by,
             from_status=case.status, to_status=to)
        updates: dict[str, Any] = {"status": to}
        if to == Case.Status.CLOSED:
            updates["contact_deadline"] = None
        Case.objects.filter(pk=case.pk).update(**updates)
    case.status = to


def update_case(
    case: Case,
    keyring: Keyring,
    *,
    title: str,
    summary: str,
    priority: int,
    assignees: Iterable[User],
) -> None:
    with transaction.atomic():
        write(case, open_content_key(case.content_key, keyring), title=title, summary=summary)
        Case.objects.filter(pk=case.pk).update(priority=priority)
        case.priority = priority
        case.assignees.set(list(assignees))


def no_contact_hours() -> int:
    return int(settings.KALKAN_DETENTION_NO_CONTACT_HOURS)


def save_risk(
    case: Case, keyring: Keyring, risk: dict[str, dict[str, Any]], safety_plan: str
) -> None:
    """The structured risk assessment and safety plan. "Detained" starts the no-contact
    timer (if it is not running); no longer detained stops it."""
    clean = {
        code: {"present": bool(risk.get(code, {}).get("present")),
               "notes": str(risk.get(code, {}).get("notes", ""))}
        for code, _label in RISKS
    }
    with transaction.atomic():
        write(
            case,
            open_content_key(case.content_key, keyring),
            risk=json.dumps(clean, ensure_ascii=False),
            safety_plan=safety_plan,
        )
        if clean["detained"]["present"] and case.is_open:
            if case.contact_deadline is None:
                _restart_timer(case)
        elif case.contact_deadline is not None:
            case.contact_deadline = None
            case.escalated_at = None
            Case.objects.filter(pk=case.pk).update(contact_deadline=None, escalated_at=None)


def _restart_timer(case: Case) -> None:
    case.contact_deadline = timezone.now() + timedelta(hours=no_contact_hours())
    case.escalated_at = None
    Case.objects.filter(pk=case.pk).update(
        contact_deadline=case.contact_deadline, escalated_at=None
    )


def record_contact(case: Case) -> None:
    """Someone reached the detained person (or their lawyer): the timer starts again."""
    if case.contact_deadline is None:
        raise DeskError("no timer")
    _restart_timer(case)


def add_note(case: Case, keyring: Keyring, by: User, body: str) -> CaseNote:
    note: CaseNote = _new(CaseNote, case, keyring, {"body": body}, by=by)
    return note


def add_action(
    case: Case, keyring: Keyring, by: User, *, kind: str, outcome: str, done_on: date | None,
    notes: str,
) -> Action:
    details = {
        "kind": kind,
        "outcome": outcome,
        "done_on": done_on.isoformat() if done_on else "",
        "notes": notes,
    }
    action: Action = _new(
        Action, case, keyring, {"details": json.dumps(details, ensure_ascii=False)}, by=by
    )
    return action


def add_task(
    case: Case, keyring: Keyring, *, title: str, due_at: datetime, assignee: User | None,
) -> Task:
    task: Task = _new(
        Task, case, keyring, {"title": title}, due_at=due_at, assignee=assignee,
        urgent=case.priority == Case.Priority.URGENT,
    )
    return task


def complete_task(task: Task) -> None:
    Task.objects.filter(pk=task.pk, done_at__isnull=True).update(done_at=timezone.now())


# --- escalation --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Escalations:
    timers: list[Case]
    tasks: list[Task]


def overdue_timers(now: datetime) -> QuerySet[Case]:
    return Case.objects.exclude(status=Case.Status.CLOSED).filter(contact_deadline__lte=now)


def overdue_urgent_tasks(now: datetime) -> QuerySet[Task]:
    return Task.objects.filter(
        urgent=True, done_at__isnull=True, due_at__lte=now
    ).exclude(case__status=Case.Status.CLOSED)


def escalated_case_ids(now: datetime) -> set[Any]:
    """Cases that rise to the top of the inbox: a detention timer ran out, or an urgent
    task is overdue."""
    ids = set(overdue_timers(now).values_list("pk", flat=True))
    ids |= set(overdue_urgent_tasks(now).values_list("case_id", flat=True))
    return ids


# --- unread follow-ups -------------------------------------------------------------------------
# A reporter's follow-up is unread for the whole team until someone who can open it opens the
# case (or the report) it belongs to: the desk is shared work, and one responder reading
# "they moved him to another station" is what matters (docs/desk.md, "Unread follow-ups").


def unread_by_case(case_ids: Iterable[Any]) -> dict[Any, int]:
    """How many of the reporters' follow-ups nobody has opened, per case."""
    counts: dict[Any, int] = {}
    for case_id in Message.objects.filter(
        from_reporter=True, seen=False, mailbox__report__case_link__case_id__in=list(case_ids)
    ).values_list("mailbox__report__case_link__case_id", flat=True):
        counts[case_id] = counts.get(case_id, 0) + 1
    return counts


def mark_read(reports: Iterable[Report]) -> set[Any]:
    """The reporters' follow-ups on these reports have been opened; returns the ids of those
    that were unread until now (the page shows them as new this once)."""
    unread = Message.objects.filter(
        mailbox__report__in=list(reports), from_reporter=True, seen=False
    )
    ids = set(unread.values_list("pk", flat=True))
    Message.objects.filter(pk__in=ids).update(seen=True)
    return ids
