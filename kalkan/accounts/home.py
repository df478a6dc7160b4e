"""What each role's home page offers: the way to its work, with how much of it is waiting, and
the few things it touched last.

Counts and names come only from what the person's keys open (readable_by), titles from
their unlocked working set; without keys the tiles are there and the counts are not.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from kalkan.accounts.models import User
from kalkan.accounts.roles import Capability
from kalkan.analysis import laws
from kalkan.analysis.builder import Asked
from kalkan.analysis.models import ReportDraft
from kalkan.desk import services as desk
from kalkan.desk.models import Task
from kalkan.intake.models import Report
from kalkan.records.models import SavedSearch
from kalkan.records.services import visible_events
from kalkan.records.views import SET_ASIDE
from kalkan.vault import workingset
from kalkan.vault.keyring import Keyring
from kalkan.vault.records import open_content_key, read, readable_by

RECENT = 5


def _desk(user: User, keyring: Keyring) -> dict[str, int]:
    now = timezone.now()
    cases = desk.visible_cases(keyring)
    open_tasks = readable_by(Task.objects.filter(assignee=user, done_at__isnull=True), keyring)
    return {
        "attention": cases.filter(pk__in=desk.escalated_case_ids(now)).count(),
        "unread": len(desk.unread_by_case(cases.values_list("pk", flat=True))),
        "my_tasks": open_tasks.count(),
        "overdue": open_tasks.filter(due_at__lte=now).count(),
    }


def _records(request: HttpRequest, keyring: Keyring) -> dict[str, Any]:
    # While the working set is being built, events show without their titles.
    working = workingset.if_ready(str(request.session.session_key), keyring)
    uncoded = readable_by(Report.objects.filter(events__isnull=True), keyring).exclude(
        status__in=SET_ASIDE
    )
    recent = []
    for event in visible_events(keyring).order_by("-revision")[:RECENT]:
        fields = (working.fields(str(event.pk)) if working else None) or {}
        recent.append((event, fields.get("title")
                       or _("Event of %(day)s") % {"day": event.created_on}))
    return {"to_code": uncoded.count(), "recent_events": recent}


def _saved_searches(user: User, keyring: Keyring) -> list[dict[str, str]]:
    out = []
    for item in SavedSearch.objects.filter(owner=user).select_related("content_key").order_by(
        "-revision"
    )[:RECENT]:
        try:
            out.append(read(item, open_content_key(item.content_key, keyring)))
        except PermissionError:
            continue
    return out


def _drafts(keyring: Keyring) -> list[dict[str, Any]]:
    out = []
    drafts = readable_by(ReportDraft.objects.select_related("content_key"), keyring)
    for draft in drafts.order_by("-created_on", "-revision")[:RECENT]:
        fields = read(draft, open_content_key(draft.content_key, keyring), ("request",))
        asked = Asked.from_json(json.loads(fields["request"]))
        out.append({"draft": draft, "mechanism": asked.chosen_mechanism.label(),
                    "country": laws.country_name(asked.country),
                    "years": f"{asked.year_from}–{asked.year_to}"})
    return out


def _backups() -> dict[str, dict[str, Any]]:
    """The last backup and drill, as `kalkan backup` recorded them (times and counts)."""
    from kalkan.core.backup import read_status

    shown: dict[str, dict[str, Any]] = {}
    for what, values in read_status().items():
        try:
            at = datetime.fromisoformat(str(values["at"]))
        except (KeyError, ValueError):
            continue
        shown[what] = {**values, "at": at}
    return shown


def home_context(request: HttpRequest, user: User, keyring: Keyring | None) -> dict[str, Any]:
    context: dict[str, Any] = {"holds_keys": bool(keyring and keyring.org_secrets)}
    if user.can(Capability.SEAL_SERVER):
        context["backups"] = _backups()
    if keyring is None:
        return context
    if user.can(Capability.WORK_CASES):
        context["desk"] = _desk(user, keyring)
    if user.can(Capability.READ_REPORTS):
        context["new_reports"] = readable_by(
            Report.objects.filter(status=Report.Status.NEW), keyring
        ).count()
    if user.can(Capability.CODE_RECORDS):
        context["records"] = _records(request, keyring)
    if user.can(Capability.SEARCH_RECORDS):
        context["saved_searches"] = _saved_searches(user, keyring)
    if user.can(Capability.BUILD_REPORTS):
        context["drafts"] = _drafts(keyring)
    if user.can(Capability.TRACK_LEGISLATION):
        context["reminders"] = laws.due_deadlines(keyring)
    return context
