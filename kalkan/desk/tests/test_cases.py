"""The responder's day: triage, a case with risk, actions, tasks, notes and replies, the
status workflow, escalation to the top of the inbox, and who may do any of it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from kalkan.audit.models import AuditEntry
from kalkan.core.testing import csrf_token_in, log_in
from kalkan.desk import services
from kalkan.desk.models import Action, Case, CaseReport, StatusChange, Task, TriageDecision
from kalkan.intake.models import Report
from kalkan.intake.services import Submission, find_mailbox, replies_for_reporter, submit_report

INBOX = "/en/staff/cases/inbox/"


@pytest.fixture
def detained_report(organisation):
    receipt = submit_report(
        Submission(
            narrative="Police took my friend Timur Aliyev from the cafe on Oak Lane tonight",
            answers={"reporter_role": "witness", "acts": ["detention"], "help_wanted": ["legal"],
                     "country": "KG", "region": "kg.chuy",
                     "urgent": {"where_now": "District 4 station", "since_when": "22:00",
                                "lawyer": "no"}},
            contact={"contact_method": "signal", "contact_details": "+996 555 010 203"},
            consent={"services": True},
            urgent=True,
        ),
        [],
    )
    calm = submit_report(Submission(narrative="Someone keeps writing threats to me online"), [])
    return receipt, calm


def _report(keys, words: str) -> Report:
    """The report whose story holds these words."""
    for report in Report.objects.select_related("content_key"):
        if words in services.open_fields(report, keys)["narrative"]:
            return report
    raise AssertionError(words)


@pytest.fixture
def keys(bota):
    return bota.keyring()


def test_urgent_report_is_first_in_the_inbox_with_what_a_responder_needs(
    client, bota, detained_report
):
    log_in(client, bota)
    page = client.get(INBOX).content.decode()
    rows = page.split("<tbody>")[1].split("<tr>")[1:]
    assert "urgent" in rows[0] and "Timur Aliyev" in rows[0]
    assert "District 4 station" in rows[0] and "A lawyer or legal advice" in rows[0]
    assert "Lawyer:</strong> No" in rows[0]
    assert "Chüy Region" in rows[0]
    assert "threats to me online" in rows[1]
    assert "2 reports waiting" in page


def test_a_case_from_report_to_closing(client, bota, keys, detained_report):
    receipt, _calm = detained_report
    log_in(client, bota)
    urgent = _report(keys, "Timur Aliyev")
    response = client.post("/en/staff/cases/new/", {"report": [str(urgent.pk)]})
    case = Case.objects.get()
    assert response["Location"] == f"/en/staff/cases/{case.pk}/"
    assert case.priority == Case.Priority.URGENT and list(case.assignees.all()) == [bota.user]
    url = f"/en/staff/cases/{case.pk}/"
    page = client.get(url).content.decode()
    assert "Timur Aliyev" in page and "+996 555 010 203" in page
    # The report left the inbox: it is in a case now.
    assert "Timur Aliyev" not in client.get(INBOX).content.decode().split("<tbody>")[1]

    risk = {"detained_present": "on", "detained_notes": "held at District 4 since 22:00",
            "outed_present": "on", "outed_notes": "", "safety_plan": "Move to the shelter"}
    assert client.post(url + "risk/", risk).status_code == 302
    case.refresh_from_db()
    assert case.contact_deadline is not None
    page = client.get(url).content.decode()
    assert "held at District 4 since 22:00" in page and "Move to the shelter" in page
    assert "Detention timer" in page

    client.post(url + "actions/", {"kind": "lawyer", "outcome": "in_progress",
                                   "done_on": "2026-03-14", "notes": "Lawyer Aigerim on her way"})
    client.post(url + "tasks/", {"title": "Call the lawyer back", "due_at": "2026-03-15T09:00",
                                 "assignee": str(bota.user.pk)})
    client.post(url + "notes/", {"body": "Mother must not be told"})
    client.post(url + f"reply/{urgent.pk}/", {f"{urgent.pk}-text": "A lawyer is on the way"})
    page = client.get(url).content.decode()
    for text in ("Lawyer Aigerim on her way", "Call the lawyer back", "Mother must not be told",
                 "A lawyer is on the way", "In progress"):
        assert text in page
    found = find_mailbox(receipt)
    assert found is not None
    assert [e.text for e in replies_for_reporter(*found)] == ["A lawyer is on the way"]
    assert Action.objects.count() == 1 and Task.objects.count() == 1

    # Closing needs a reason; without one nothing changes.
    client.post(url + "status/", {"to": "active"})
    bad = client.post(url + "status/", {"to": "closed", "reason": " "})
    assert bad.status_code == 400 and "need a reason" in bad.content.decode()
    case.refresh_from_db()
    assert case.status == Case.Status.ACTIVE
    client.post(url + "status/", {"to": "closed", "reason": "Released, safe with friends"})
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED and case.contact_deadline is None
    assert "Released, safe with friends" in client.get(url).content.decode()
    assert StatusChange.objects.count() == 2

    actions = list(AuditEntry.objects.filter(object_id=str(case.pk))
                   .values_list("action", flat=True))
    for expected in ("case.open", "case.view", "case.risk", "case.action", "case.task",
                     "case.note", "case.reply", "case.status"):
        assert expected in actions


def test_bad_input_gets_an_error_and_changes_nothing(client, bota, keys, detained_report):
    log_in(client, bota)
    case = services.open_case([], keys, bota.user)
    url = f"/en/staff/cases/{case.pk}/"
    response = client.post(url + "tasks/", {"title": "Visit", "due_at": "tomorrow-ish"})
    assert response.status_code == 400 and "Enter a valid date/time" in response.content.decode()
    response = client.post(url + "actions/", {"kind": "teleport", "outcome": "done"})
    assert response.status_code == 400
    assert not Task.objects.exists() and not Action.objects.exists()
    assert client.post(url + "contact/").status_code == 302  # no timer: a message, no change
    case.refresh_from_db()
    assert case.contact_deadline is None


def test_set_aside_as_duplicate_with_reason(client, bota, keys, detained_report):
    log_in(client, bota)
    urgent, calm = _report(keys, "Timur Aliyev"), _report(keys, "threats to me online")
    response = client.post(f"/en/staff/cases/set-aside/{calm.pk}/",
                           {"decision": "duplicate", "reason": "Same night, same cafe"})
    assert response.status_code == 302 and "duplicate_of" not in response.get("Location", "")
    calm.refresh_from_db()
    assert calm.status == Report.Status.NEW  # refused: which report it duplicates is missing
    client.post(f"/en/staff/cases/set-aside/{calm.pk}/",
                {"decision": "duplicate", "duplicate_of": str(urgent.pk),
                 "reason": "Same night, same cafe"})
    calm.refresh_from_db()
    assert calm.status == Report.Status.DUPLICATE
    decision = TriageDecision.objects.get()
    assert services.open_fields(decision, keys)["reason"] == "Same night, same cafe"
    assert "threats to me online" not in client.get(INBOX).content.decode()


def test_attach_a_report_to_an_existing_case(client, bota, keys, detained_report):
    log_in(client, bota)
    urgent, calm = _report(keys, "Timur Aliyev"), _report(keys, "threats to me online")
    case = services.open_case([urgent], keys, bota.user)
    client.post("/en/staff/cases/attach/", {"report": [str(calm.pk)], "case": str(case.pk)})
    assert set(CaseReport.objects.filter(case=case).values_list("report_id", flat=True)) == {
        urgent.pk, calm.pk
    }
    assert "threats to me online" in client.get(f"/en/staff/cases/{case.pk}/").content.decode()


def test_a_run_out_detention_timer_and_overdue_urgent_task_rise_to_the_top(
    client, bota, keys, detained_report
):
    log_in(client, bota)
    urgent = _report(keys, "Timur Aliyev")
    timer = services.open_case([urgent], keys, bota.user, title="Timer case")
    services.save_risk(timer, keys, {"detained": {"present": True, "notes": ""}}, "")
    late = services.open_case([], keys, bota.user, title="Late task case",
                              priority=Case.Priority.URGENT)
    services.add_task(late, keys, title="Bring insulin", due_at=timezone.now() + timedelta(hours=1),
                      assignee=bota.user)
    page = client.get(INBOX).content.decode()
    assert "Needs attention now" not in page
    Case.objects.filter(pk=timer.pk).update(contact_deadline=timezone.now() - timedelta(hours=2))
    Task.objects.update(due_at=timezone.now() - timedelta(minutes=5))
    page = client.get(INBOX).content.decode()
    alarm = page.split("Needs attention now")[1].split("</section>")[0]
    assert "Timer case" in alarm and "Late task case" in alarm
    assert page.index("Needs attention now") < page.index("report waiting")
    tasks = client.get("/en/staff/cases/tasks/?overdue=1").content.decode()
    assert "Bring insulin" in tasks and "overdue" in tasks
    client.post(f"/en/staff/cases/{timer.pk}/contact/")
    timer.refresh_from_db()
    assert timer.contact_deadline is not None and timer.contact_deadline > timezone.now()


def test_my_tasks_shows_mine_and_done_leaves_it(client, bota, amir, keys, detained_report):
    log_in(client, bota)
    case = services.open_case([], keys, bota.user, title="Shelter case")
    soon = timezone.now() + timedelta(days=1)
    mine = services.add_task(case, keys, title="Find a bed", due_at=soon, assignee=bota.user)
    services.add_task(case, keys, title="Amir's errand", due_at=soon, assignee=amir.user)
    page = client.get("/en/staff/cases/tasks/").content.decode()
    assert "Find a bed" in page and "Amir&#x27;s errand" not in page and "Shelter case" in page
    assert "Amir&#x27;s errand" in client.get("/en/staff/cases/tasks/?all=1").content.decode()
    client.post(f"/en/staff/cases/{case.pk}/tasks/{mine.pk}/done/", {"back": "tasks"})
    assert "Find a bed" not in client.get("/en/staff/cases/tasks/").content.decode()


# --- who may do what -------------------------------------------------------------------------


def _urls(case: Case, task: Task, report: Report) -> list[tuple[str, str, dict[str, object]]]:
    base = f"/en/staff/cases/{case.pk}/"
    return [
        ("get", INBOX, {}),
        ("get", "/en/staff/cases/", {}),
        ("get", "/en/staff/cases/tasks/", {}),
        ("get", base, {}),
        ("get", base + "print/", {}),
        ("post", "/en/staff/cases/new/", {}),
        ("post", "/en/staff/cases/attach/", {"case": str(case.pk)}),
        ("post", f"/en/staff/cases/set-aside/{report.pk}/", {"decision": "spam", "reason": "x"}),
        ("post", base + "edit/", {"title": "t", "priority": "2"}),
        ("post", base + "status/", {"to": "triage"}),
        ("post", base + "risk/", {"safety_plan": "p"}),
        ("post", base + "contact/", {}),
        ("post", base + "actions/", {"kind": "medical", "outcome": "done"}),
        ("post", base + "tasks/", {"title": "t", "due_at": "2026-03-15T09:00"}),
        ("post", base + f"tasks/{task.pk}/done/", {}),
        ("post", base + "notes/", {"body": "n"}),
        ("post", base + f"reply/{report.pk}/", {f"{report.pk}-text": "hello"}),
        ("post", base + "members/", {}),
    ]


@pytest.fixture
def world(bota, keys, detained_report):
    report = _report(keys, "Timur Aliyev")
    case = services.open_case([report], keys, bota.user)
    task = services.add_task(case, keys, title="t", due_at=timezone.now(), assignee=None)
    return case, task, report


@pytest.mark.parametrize("who,allowed", [("amir", True), ("bota", True), ("chingiz", False),
                                         ("dana", False)])
def test_role_matrix_for_every_desk_view(client, request, world, who, allowed):
    log_in(client, request.getfixturevalue(who))
    for method, url, data in _urls(*world):
        response = getattr(client, method)(url, data)
        if allowed:
            assert response.status_code in (200, 302), (url, response.status_code)
        else:
            assert response.status_code == 403, (url, response.status_code)


def test_strangers_are_sent_to_log_in_and_disabled_staff_get_nothing(world, erlan):
    for method, url, data in _urls(*world):
        response = getattr(Client(), method)(url, data)
        assert response.status_code == 302 and "/staff/login/" in response["Location"], url
    locked_out = log_in(Client(), erlan)
    for method, url, data in _urls(*world):
        response = getattr(locked_out, method)(url, data)
        assert response.status_code in (302, 403) and response.status_code != 200, url


def test_every_change_needs_the_csrf_token(csrf_client, bota, world):
    log_in(csrf_client, bota)
    case = world[0]
    for method, url, data in _urls(*world):
        if method == "post":
            assert csrf_client.post(url, data).status_code == 403, url
    page = csrf_client.get(f"/en/staff/cases/{case.pk}/").content.decode()
    token = csrf_token_in(page)
    response = csrf_client.post(f"/en/staff/cases/{case.pk}/notes/",
                                {"body": "with token", "csrfmiddlewaretoken": token})
    assert response.status_code == 302


def test_case_page_titles_are_not_leaked_into_urls_or_titles(client, bota, world):
    log_in(client, bota)
    case = world[0]
    page = client.get(f"/en/staff/cases/{case.pk}/").content.decode()
    assert not re.search(r"<title>[^<]*Timur", page)


def test_only_people_who_work_cases_can_be_assigned(client, bota, chingiz, dana, world):
    log_in(client, bota)
    case = world[0]
    page = client.get(f"/en/staff/cases/{case.pk}/").content.decode()
    assigned = page.split('id="details"')[1]
    assert "bota" in assigned and "chingiz" not in assigned and "dana" not in assigned
    response = client.post(f"/en/staff/cases/{case.pk}/edit/",
                           {"title": "t", "priority": "2", "assignees": [chingiz.user.pk]})
    assert response.status_code == 400
    assert list(case.assignees.all()) == [bota.user]
