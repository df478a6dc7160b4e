"""The response desk: the triage inbox, cases and everything done in them, "my tasks".

A case is looked up only among the cases the person's keys open (visible_cases), so a
restricted case is "not found" for everyone else, whatever the URL. Every view and every
change of a case is in the audit log; a restricted case's entries are sealed to its members.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from kalkan.accounts.decorators import acting_user, capability_required, recent_auth_required
from kalkan.accounts.models import User
from kalkan.accounts.roles import Capability
from kalkan.analysis import laws
from kalkan.audit.services import record
from kalkan.core.ids import parse_id, parse_ids
from kalkan.core.pages import page_of
from kalkan.desk import labels, services
from kalkan.desk.forms import (
    ActionForm,
    CaseForm,
    MembersForm,
    NoteForm,
    ReplyForm,
    RiskForm,
    SetAsideForm,
    StatusForm,
    TaskForm,
)
from kalkan.desk.models import Action, Case, CaseReport, Task
from kalkan.desk.vocab import ACTION_KINDS, OUTCOMES, RISKS, TRANSITIONS
from kalkan.intake.forms import ACTS, HELP, REPORTER_ROLES
from kalkan.intake.models import Evidence, Message, Report
from kalkan.intake.services import reply
from kalkan.records.gazetteer import REGIONS
from kalkan.vault import crypto, workingset
from kalkan.vault.authentic import Untrusted
from kalkan.vault.keyring import Keyring
from kalkan.vault.records import open_content_key, read, readable_by
from kalkan.vault.session import keyring_required


class _OpenedOneByOne:
    """While the working set is still being built: the fields of the few records one page
    shows, decrypted one by one. A responder who has just logged in must read the urgent
    reports' stories at once, not after the build of 100,000 acts."""

    def __init__(self, keyring: Keyring) -> None:
        self.keyring = keyring

    def fields(self, record_id: str) -> dict[str, str] | None:
        for source in workingset.SOURCES:
            row = (source.model._default_manager.filter(pk=record_id)
                   .select_related("content_key").first())
            if row is None:
                continue
            try:
                return read(row, open_content_key(row.content_key, self.keyring), source.fields)
            except (PermissionError, Untrusted, crypto.Tampered):
                return None  # as the working set would: not shown
        return None


def _working_set(request: HttpRequest,
                 keyring: Keyring) -> workingset.WorkingSet | _OpenedOneByOne:
    """For the titles and glances of the desk's lists: the working set, or while it is still
    being built, the shown records decrypted one by one, so that the lists work meanwhile."""
    return workingset.if_ready(str(request.session.session_key), keyring) or \
        _OpenedOneByOne(keyring)


def _case(request: HttpRequest, pk: Any) -> tuple[Case, Keyring]:
    """The case if this person's keys open it, else 404 (a restricted case of which they are
    not a member does not exist for them)."""
    keyring = keyring_required(request)
    case = get_object_or_404(
        services.visible_cases(keyring).select_related("content_key", "compartment"), pk=pk
    )
    return services.mend(case, keyring), keyring


def _log(request: HttpRequest, action: str, case: Case, **details: str | int | bool) -> None:
    record(action, actor_id=request.user.pk, object_id=str(case.pk), details=details or None,
           compartment=case.compartment)


_LABELS = {**dict(REPORTER_ROLES), **dict(HELP)}
_ACTS = dict(ACTS)


def glance(fields: dict[str, str] | None) -> dict[str, Any]:
    """What a responder needs to decide at a glance, from a report's decrypted fields."""
    if not fields:
        return {}
    answers = services.json_field(fields, "answers", {})
    region = REGIONS.get(answers.get("region") or "")
    narrative = fields.get("narrative", "")
    urgent = dict(answers.get("urgent") or {})
    if urgent:
        urgent.setdefault("kind", "detained")  # reports from before "in danger now" existed
    return {
        "snippet": labels.excerpt(narrative),
        "role": _LABELS.get(answers.get("reporter_role") or "", ""),
        "acts": [_ACTS.get(a, a) for a in answers.get("acts") or []],
        "help": [_LABELS.get(h, h) for h in answers.get("help_wanted") or []],
        "region": region.name() if region else "",
        "country": answers.get("country") or "",
        # Labelled rows, whichever urgent questions were asked (labels.answer_rows).
        "urgent": labels.answer_rows(urgent),
        "channel": answers.get("channel") or "",
    }


# --- the inbox -------------------------------------------------------------------------------


@capability_required(Capability.WORK_CASES)
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    keyring = keyring_required(request)
    now = timezone.now()
    working = _working_set(request, keyring)
    cases = services.visible_cases(keyring)
    escalated = list(
        cases.filter(pk__in=services.escalated_case_ids(now)).order_by("contact_deadline")
    )
    # Cases where the reporter wrote and nobody has read it yet: from the unread messages,
    # which are few, not from every case.
    unread_cases = Message.objects.filter(
        from_reporter=True, seen=False, mailbox__report__case_link__isnull=False
    ).values_list("mailbox__report__case_link__case_id", flat=True)
    followed_up = list(
        cases.filter(pk__in=set(unread_cases))
        .exclude(pk__in=[c.pk for c in escalated])
        .order_by("priority")
    )
    waiting = (
        readable_by(Report.objects.all(), keyring)
        .filter(status__in=[Report.Status.NEW, Report.Status.SEEN])
        .order_by("-urgent", "revision", "pk")
    )
    page = page_of(request, waiting)
    total = page.paginator.count
    shown: list[Report] = list(page)
    unread = dict(
        Message.objects.filter(
            from_reporter=True, seen=False, mailbox__report__in=[r.pk for r in shown]
        )
        .values_list("mailbox__report_id")
        .annotate(n=Count("pk"))
    )
    for report in shown:
        report.unread = unread.get(report.pk, 0)  # type: ignore[attr-defined]
    rows = [(report, glance(working.fields(str(report.pk)))) for report in shown]
    open_cases = cases.exclude(status=Case.Status.CLOSED).order_by("priority", "-revision")
    unread_counts = services.unread_by_case([c.pk for c in escalated + followed_up])
    for case in escalated + followed_up:
        case.unread = unread_counts.get(case.pk, 0)  # type: ignore[attr-defined]
    return render(
        request,
        "desk/inbox.html",
        {
            "escalated": [(c, _title(working, c)) for c in escalated],
            "followed_up": [(c, _title(working, c)) for c in followed_up],
            "rows": rows,
            "total": total,
            "page": page,
            "open_cases": [(c, _title(working, c)) for c in open_cases[:200]],
            "now": now,
            "today": timezone.now().date(),  # as created_on is stamped (vault.records)
            # Legislation deadlines due within 14 days or overdue (kalkan.analysis.laws).
            "reminders": laws.due_deadlines(keyring),
        },
    )


def _title(working: workingset.WorkingSet | _OpenedOneByOne, case: Case) -> str:
    fields = working.fields(str(case.pk)) or {}
    return fields.get("title") or _("Case of %(day)s") % {"day": case.created_on.isoformat()}


def _selected_reports(request: HttpRequest, keyring: Keyring) -> list[Report]:
    ids = parse_ids(request.POST.getlist("report"))
    if not ids:
        return []
    found = list(
        readable_by(Report.objects.all(), keyring).filter(pk__in=ids).select_related("content_key")
    )
    return found if len(found) == len(set(ids)) else []


@capability_required(Capability.WORK_CASES)
@require_POST
def open_case(request: HttpRequest) -> HttpResponseBase:
    """A case from the reports ticked in the inbox (or an empty one)."""
    keyring = keyring_required(request)
    reports = _selected_reports(request, keyring)
    if request.POST.getlist("report") and not reports:
        messages.error(request, _("Those reports could not be found. Nothing was changed."))
        return redirect("cases:inbox")
    if any(CaseReport.objects.filter(report=r).exists() for r in reports):
        messages.error(request, _("One of those reports is already in a case."))
        return redirect("cases:inbox")
    case = services.open_case(reports, keyring, acting_user(request))
    _log(request, "case.open", case, reports=len(reports))
    messages.success(request, _("Case opened."))
    return redirect("cases:case", pk=case.pk)


@capability_required(Capability.WORK_CASES)
@require_POST
def attach(request: HttpRequest) -> HttpResponseBase:
    """Add the reports ticked in the inbox to an existing case."""
    keyring = keyring_required(request)
    reports = _selected_reports(request, keyring)
    case_id = parse_id(request.POST.get("case"))
    case = services.visible_cases(keyring).select_related("content_key", "compartment").filter(
        pk=case_id
    ).first() if case_id else None
    if case is None or not reports:
        messages.error(request, _("Choose one or more reports and a case."))
        return redirect("cases:inbox")
    try:
        for report in reports:
            services.attach_report(case, report, keyring)
    except services.DeskError:
        messages.error(request, _("One of those reports is already in a case."))
        return redirect("cases:inbox")
    _log(request, "case.attach", case, reports=len(reports))
    messages.success(request, _("Added to the case."))
    return redirect("cases:case", pk=case.pk)


@capability_required(Capability.WORK_CASES)
@require_POST
def set_aside(request: HttpRequest, pk: Any) -> HttpResponseBase:
    """Mark a report as spam or a duplicate, with the reason why."""
    keyring = keyring_required(request)
    report = get_object_or_404(
        readable_by(Report.objects.all(), keyring).select_related("content_key"), pk=pk
    )
    form = SetAsideForm(request.POST)
    duplicate_of = None
    if form.is_valid() and form.cleaned_data.get("duplicate_of"):
        duplicate_of = readable_by(Report.objects.all(), keyring).filter(
            pk=form.cleaned_data["duplicate_of"]
        ).exclude(pk=report.pk).first()
        if duplicate_of is None:
            form.add_error("duplicate_of", _("No such report."))
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect("desk:report", pk=report.pk)
    services.set_aside(
        report, form.cleaned_data["decision"], form.cleaned_data["reason"], keyring,
        acting_user(request), duplicate_of,
    )
    record(f"report.{form.cleaned_data['decision']}", actor_id=request.user.pk,
           object_id=str(report.pk), compartment=report.content_key.compartment)
    messages.success(request, _("The report was set aside."))
    return redirect("cases:inbox")


# --- lists ------------------------------------------------------------------------------------


@capability_required(Capability.WORK_CASES)
@require_GET
def case_list(request: HttpRequest) -> HttpResponse:
    keyring = keyring_required(request)
    working = _working_set(request, keyring)
    show = request.GET.get("show", "open")
    cases = services.visible_cases(keyring).prefetch_related("assignees")
    if show == "open":
        cases = cases.exclude(status=Case.Status.CLOSED)
    elif show == "closed":
        cases = cases.filter(status=Case.Status.CLOSED)
    elif show == "mine":
        cases = cases.filter(assignees=acting_user(request)).exclude(status=Case.Status.CLOSED)
    cases = cases.order_by("priority", "-revision", "pk")
    page = page_of(request, cases)
    total = page.paginator.count
    shown: list[Case] = list(page)
    unread = services.unread_by_case([c.pk for c in shown])
    for case in shown:
        case.unread = unread.get(case.pk, 0)  # type: ignore[attr-defined]
    return render(
        request,
        "desk/cases.html",
        {"rows": [(c, _title(working, c)) for c in shown], "total": total, "show": show,
         "page": page},
    )


@capability_required(Capability.WORK_CASES)
@require_GET
def my_tasks(request: HttpRequest) -> HttpResponse:
    keyring = keyring_required(request)
    working = _working_set(request, keyring)
    now = timezone.now()
    overdue_only = request.GET.get("overdue") == "1"
    tasks = readable_by(Task.objects.all(), keyring).filter(done_at__isnull=True)
    if request.GET.get("all") != "1":
        tasks = tasks.filter(assignee=acting_user(request))
    if overdue_only:
        tasks = tasks.filter(due_at__lte=now)
    tasks = tasks.select_related("case").order_by("due_at", "pk")
    page = page_of(request, tasks)
    rows = [
        (task, (working.fields(str(task.pk)) or {}).get("title", ""),
         _title(working, task.case))
        for task in page
    ]
    return render(
        request,
        "desk/tasks.html",
        {"rows": rows, "page": page, "now": now, "overdue_only": overdue_only,
         "everyone": request.GET.get("all") == "1"},
    )


# --- one case ---------------------------------------------------------------------------------


def _contents(case: Case, keyring: Keyring) -> dict[str, Any]:
    """Everything in a case, opened: for the case page and for the printed case."""
    fields = services.open_fields(case, keyring)
    risk = services.json_field(fields, "risk", {})
    reports = []
    for link in case.report_links.select_related("report__content_key", "report__mailbox"):
        report = link.report
        report_fields = services.open_fields(report, keyring)
        thread = [
            (m, services.open_fields(m, keyring)["body"])
            for m in Message.objects.filter(mailbox=report.mailbox).select_related("content_key")
        ]
        files = [
            (e, json.loads(services.open_fields(e, keyring)["meta"]))
            for e in Evidence.objects.filter(report=report).select_related("content_key")
        ]
        reports.append({
            "report": report,
            "fields": report_fields,
            "answers": labels.answer_rows(services.json_field(report_fields, "answers", {})),
            "contact": labels.answer_rows(services.json_field(report_fields, "contact", {})),
            "consent": labels.consent_labels(services.json_field(report_fields, "consent", {})),
            "thread": thread,
            "files": files,
        })
    actions = []
    kinds, outcomes = dict(ACTION_KINDS), dict(OUTCOMES)
    for action in Action.objects.filter(case=case).select_related("content_key", "by"):
        details = json.loads(services.open_fields(action, keyring)["details"])
        actions.append((action, details, kinds.get(details["kind"], details["kind"]),
                        outcomes.get(details["outcome"], details["outcome"])))
    return {
        "case": case,
        "fields": fields,
        "risk": risk,
        "risks": [(label, risk.get(code, {})) for code, label in RISKS
                  if risk.get(code, {}).get("present")],
        "reports": reports,
        "actions": actions,
        "tasks": [
            (t, services.open_fields(t, keyring)["title"])
            for t in case.tasks.select_related("content_key", "assignee")
        ],
        "notes": [
            (n, services.open_fields(n, keyring)["body"])
            for n in case.notes.select_related("content_key", "by")
        ],
        "history": [
            (s, services.open_fields(s, keyring)["reason"])
            for s in case.status_changes.select_related("content_key", "by")
        ],
        "now": timezone.now(),
    }


def _case_page(request: HttpRequest, case: Case, keyring: Keyring, **forms: Any) -> HttpResponse:
    # Opening the case reads its follow-ups: shown as new this once, unread for nobody after.
    new = services.mark_read([link.report for link in case.report_links.select_related("report")])
    contents = _contents(case, keyring)
    fields, risk = contents["fields"], contents["risk"]
    for item in contents["reports"]:
        pk = item["report"].pk
        item["reply_form"] = forms.get(f"reply_{pk}") or ReplyForm(prefix=str(pk))
    allowed = TRANSITIONS.get(case.status, ())
    members = list(case.compartment.members.order_by("username")) if case.compartment else []
    return render(
        request,
        "desk/case.html",
        {
            **contents,
            "members": members,
            "new": new,
            "case_form": forms.get("case_form") or CaseForm(initial={
                "title": fields["title"], "summary": fields["summary"],
                "priority": case.priority, "assignees": list(case.assignees.all()),
            }),
            "status_form": forms.get("status_form")
            or StatusForm(current=case.status, allowed=allowed),
            "risk_form": forms.get("risk_form")
            or RiskForm(initial=RiskForm.initial_from(risk, fields["safety_plan"])),
            "action_form": forms.get("action_form") or ActionForm(),
            "task_form": forms.get("task_form") or TaskForm(),
            "note_form": forms.get("note_form") or NoteForm(),
            "members_form": forms.get("members_form")
            or MembersForm(initial={"members": members or [request.user]}),
        },
        status=400 if forms else 200,
    )


@capability_required(Capability.WORK_CASES)
@require_GET
def case_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    case, keyring = _case(request, pk)
    _log(request, "case.view", case)
    return _case_page(request, case, keyring)


# What a printed case leaves out unless asked: a lawyer needs the facts, not always who
# wrote them, how to reach them, or the team's own notes.
PRINT_PARTS = (
    ("risk", gettext_lazy("Risk assessment and safety plan")),
    ("contact", gettext_lazy("The reporters' contact details and consent")),
    ("conversation", gettext_lazy("The conversation with the reporters")),
    ("notes", gettext_lazy("The team's notes")),
)


@capability_required(Capability.WORK_CASES)
@require_GET
@recent_auth_required
def print_case(request: HttpRequest, pk: Any) -> HttpResponse:
    """One case as a page to print or save as PDF (for a lawyer): made in memory and sent
    with no-store like every staff page, never written to disk here. It shows everything a
    case holds, so it needs a fresh passphrase and code, and it is audit-logged with the
    parts chosen."""
    case, keyring = _case(request, pk)
    parts = [code for code, _label in PRINT_PARTS if code in request.GET.getlist("part")]
    _log(request, "case.print", case, parts=",".join(parts))
    return render(request, "desk/case_print.html", {
        **_contents(case, keyring),
        "parts": parts,
        "choices": PRINT_PARTS,
        "printed_by": acting_user(request),
    })


def _changed(request: HttpRequest, case: Case, action: str, text: str,
             **details: str | int | bool) -> HttpResponseBase:
    _log(request, action, case, **details)
    messages.success(request, text)
    return redirect("cases:case", pk=case.pk)


@capability_required(Capability.WORK_CASES)
@require_POST
def edit(request: HttpRequest, pk: Any) -> HttpResponseBase:
    case, keyring = _case(request, pk)
    form = CaseForm(request.POST)
    if not form.is_valid():
        return _case_page(request, case, keyring, case_form=form)
    services.update_case(
        case, keyring, title=form.cleaned_data["title"], summary=form.cleaned_data["summary"],
        priority=form.cleaned_data["priority"], assignees=form.cleaned_data["assignees"],
    )
    return _changed(request, case, "case.edit", _("Saved."))


@capability_required(Capability.WORK_CASES)
@require_POST
def status(request: HttpRequest, pk: Any) -> HttpResponseBase:
    case, keyring = _case(request, pk)
    form = StatusForm(request.POST, current=case.status, allowed=TRANSITIONS.get(case.status, ()))
    if not form.is_valid():
        return _case_page(request, case, keyring, status_form=form)
    before = case.status
    services.change_status(case, form.cleaned_data["to"], form.cleaned_data["reason"], keyring,
                           acting_user(request))
    return _changed(request, case, "case.status", _("Status changed."),
                    before=before, after=case.status)


@capability_required(Capability.WORK_CASES)
@require_POST
def risk(request: HttpRequest, pk: Any) -> HttpResponseBase:
    case, keyring = _case(request, pk)
    form = RiskForm(request.POST)
    if not form.is_valid():
        return _case_page(request, case, keyring, risk_form=form)
    services.save_risk(case, keyring, form.risk(), form.cleaned_data["safety_plan"])
    return _changed(request, case, "case.risk", _("Risk assessment saved."))


@capability_required(Capability.WORK_CASES)
@require_POST
def contact(request: HttpRequest, pk: Any) -> HttpResponseBase:
    case, _keys = _case(request, pk)
    try:
        services.record_contact(case)
    except services.DeskError:
        messages.error(request, _("There is no detention timer running for this case."))
        return redirect("cases:case", pk=case.pk)
    return _changed(request, case, "case.contact", _("Contact recorded: the timer starts again."))


@capability_required(Capability.WORK_CASES)
@require_POST
def add_action(request: HttpRequest, pk: Any) -> HttpResponseBase:
    case, keyring = _case(request, pk)
    form = ActionForm(request.POST)
    if not form.is_valid():
        return _case_page(request, case, keyring, action_form=form)
    services.add_action(case, keyring, acting_user(request), **form.cleaned_data)
    return _changed(request, case, "case.action", _("Action recorded."))


@capability_required(Capability.WORK_CASES)
@require_POST
def add_task(request: HttpRequest, pk: Any) -> HttpResponseBase:
    case, keyring = _case(request, pk)
    form = TaskForm(request.POST)
    if not form.is_valid():
        return _case_page(request, case, keyring, task_form=form)
    services.add_task(case, keyring, title=form.cleaned_data["title"],
                      due_at=form.cleaned_data["due_at"], assignee=form.cleaned_data["assignee"])
    return _changed(request, case, "case.task", _("Task added."))


@capability_required(Capability.WORK_CASES)
@require_POST
def task_done(request: HttpRequest, pk: Any, task: Any) -> HttpResponseBase:
    case, _keys = _case(request, pk)
    item = get_object_or_404(Task, pk=task, case=case)
    services.complete_task(item)
    _log(request, "case.task_done", case)
    messages.success(request, _("Task done."))
    if request.POST.get("back") == "tasks":
        return redirect("cases:my_tasks")
    return redirect("cases:case", pk=case.pk)


@capability_required(Capability.WORK_CASES)
@require_POST
def add_note(request: HttpRequest, pk: Any) -> HttpResponseBase:
    case, keyring = _case(request, pk)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _case_page(request, case, keyring, note_form=form)
    services.add_note(case, keyring, acting_user(request), form.cleaned_data["body"])
    return _changed(request, case, "case.note", _("Note added."))


@capability_required(Capability.WORK_CASES)
@require_POST
def reply_to_reporter(request: HttpRequest, pk: Any, report: Any) -> HttpResponseBase:
    case, keyring = _case(request, pk)
    link = get_object_or_404(CaseReport.objects.select_related("report__mailbox"),
                             case=case, report_id=report)
    if link.report.mailbox.is_closed:
        # The form is not shown for a closed mailbox; a page opened before it closed.
        messages.error(request, _("The reporter's mailbox is closed: nothing was sent."))
        return redirect("cases:case", pk=case.pk)
    form = ReplyForm(request.POST, prefix=str(link.report_id))
    if not form.is_valid():
        return _case_page(request, case, keyring, **{f"reply_{link.report_id}": form})
    reply(link.report.mailbox, keyring, form.cleaned_data["text"])
    return _changed(request, case, "case.reply",
                    _("Your reply is waiting in the reporter's mailbox."))


@capability_required(Capability.WORK_CASES)
@require_POST
def members(request: HttpRequest, pk: Any) -> HttpResponseBase:
    """Restrict the case to named staff, or change who they are."""
    case, keyring = _case(request, pk)
    form = MembersForm(request.POST)
    if not form.is_valid():
        return _case_page(request, case, keyring, members_form=form)
    chosen: set[User] = set(form.cleaned_data["members"]) | {acting_user(request)}
    if case.compartment is None:
        services.restrict(case, chosen, keyring, acting_user(request))
        return _changed(request, case, "case.restrict",
                        _("Only the people named can see this case now."), members=len(chosen))
    current = set(case.compartment.members.all())
    for person in chosen - current:
        services.add_case_member(case, person, keyring)
    for person in current - chosen:
        case = services.remove_case_member(case, person, keyring)
    return _changed(request, case, "case.members", _("Saved."), members=len(chosen))

