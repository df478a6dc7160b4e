"""Staff read new reports (urgent first) and reply; the reporter reads the reply."""

from __future__ import annotations

import pytest
from django.test import Client

from kalkan.audit.models import AuditEntry
from kalkan.core.testing import log_in
from kalkan.intake.models import Report
from kalkan.intake.services import Submission, find_mailbox, replies_for_reporter, submit_report

LIST = "/en/staff/reports/"


@pytest.fixture
def two_reports(organisation):
    calm = submit_report(Submission(narrative="A neighbour keeps threatening me"), [])
    urgent = submit_report(
        Submission(narrative="My friend was detained an hour ago", urgent=True), []
    )
    return calm, urgent


@pytest.mark.parametrize("who", ["amir", "bota", "chingiz"])
def test_roles_that_work_with_reports_see_them_urgent_first(client, request, two_reports, who):
    log_in(client, request.getfixturevalue(who))
    body = client.get(LIST).content.decode()
    first_urgent = body.index("urgent</span>")
    assert first_urgent < body.index("</tbody>")
    rows = body.split("<tr>")[2:]
    assert "urgent" in rows[0] and "urgent" not in rows[1]


def test_analysts_and_strangers_are_kept_out(client, dana, two_reports):
    assert Client().get(LIST)["Location"].startswith("/en/staff/login/")
    log_in(client, dana)
    assert client.get(LIST).status_code == 403
    report = Report.objects.earliest("revision")
    assert client.get(f"{LIST}{report.pk}/").status_code == 403


def test_a_responder_reads_and_replies(client, bota, two_reports):
    calm_receipt, _ = two_reports
    found = find_mailbox(calm_receipt)
    assert found is not None
    box, unlock_key = found
    log_in(client, bota)
    url = f"{LIST}{box.report_id}/"
    page = client.get(url).content.decode()
    assert "A neighbour keeps threatening me" in page
    assert Report.objects.get(pk=box.report_id).status == "seen"
    assert AuditEntry.objects.filter(action="report.view", object_id=str(box.report_id)).exists()
    response = client.post(url, {"text": "We will call you tonight."}, follow=True)
    assert b"Your reply is waiting in the reporter&#x27;s mailbox." in response.content
    assert [e.text for e in replies_for_reporter(box, unlock_key)] == ["We will call you tonight."]
    assert AuditEntry.objects.filter(action="report.reply").exists()


def test_replying_needs_csrf(csrf_client, bota, two_reports):
    log_in(csrf_client, bota)
    report = Report.objects.earliest("revision")
    response = csrf_client.post(f"{LIST}{report.pk}/", {"text": "x"})
    assert response.status_code == 403


def test_an_unknown_report_is_not_found(client, bota, organisation):
    log_in(client, bota)
    assert client.get(f"{LIST}00000000-0000-0000-0000-000000000000/").status_code == 404
