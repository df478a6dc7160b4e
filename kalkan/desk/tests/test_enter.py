"""Staff enter a report on someone's behalf (hotline, interview): same questions, a receipt."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from kalkan.audit.models import AuditEntry
from kalkan.core.testing import log_in
from kalkan.intake.models import Report
from kalkan.intake.services import find_mailbox
from kalkan.vault.models import ContentKey
from kalkan.vault.records import open_content_key, read

URL = "/en/staff/reports/new/"
CALL = {
    "reporter_role": "relative",
    "narrative": "Her brother was taken from the bus station by two men in plain clothes.",
    "channel": "hotline",
}


def test_a_responder_enters_a_hotline_call(client, bota):
    log_in(client, bota)
    assert b'name="channel"' in client.get(URL).content
    response = client.post(URL, CALL)
    match = re.search(rb'<p class="secret">([\d ]+)</p>', response.content)
    assert match
    assert find_mailbox(match.group(1).decode()) is not None
    report = Report.objects.get()
    assert not ContentKey.objects.get(pk=report.content_key_id).by_intake
    fields = read(report, open_content_key(report.content_key, bota.keyring()))
    answers = json.loads(fields["answers"])
    assert answers["channel"] == "hotline"
    assert AuditEntry.objects.filter(action="report.enter", actor_id=bota.user.pk).exists()


def test_the_urgent_entry_asks_the_urgent_questions(client, bota):
    log_in(client, bota)
    response = client.post("/en/staff/reports/new/urgent/", CALL)
    assert b"Where is the person now" in response.content
    assert Report.objects.count() == 0


def test_only_staff_who_work_with_reports_enter_them(client, dana, organisation):
    assert Client().get(URL)["Location"].startswith("/en/staff/login/")
    log_in(client, dana)
    assert client.get(URL).status_code == 403
    assert client.post(URL, CALL).status_code == 403
    assert Report.objects.count() == 0


@pytest.mark.django_db
def test_it_needs_csrf(csrf_client, bota):
    log_in(csrf_client, bota)
    assert csrf_client.post(URL, CALL).status_code == 403
    assert Report.objects.count() == 0
