"""A reporter's follow-up is marked unread in the inbox and the case list until someone who
can open it opens the case (or the report): then it is shown as new once, and unread for
nobody (the desk's shared semantics, docs/desk.md)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from kalkan.core.testing import log_in
from kalkan.desk import services
from kalkan.desk.models import Case
from kalkan.intake.models import Message, Report
from kalkan.intake.services import Submission, add_follow_up, find_mailbox, submit_report

CASES = "/en/staff/cases/"
INBOX = "/en/staff/cases/inbox/"
MARK = "1 unread follow-up"


@pytest.fixture
def detention_case(organisation, bota):
    """A detention case whose timer has run out (it sits in the red box), and a reporter who
    writes that the person was moved."""
    receipt = submit_report(Submission(narrative="They took Azamat to the station",
                                       urgent=True), [])
    keys = bota.keyring()
    case = services.open_case([Report.objects.get()], keys, bota.user, title="Azamat case")
    services.save_risk(case, keys, {"detained": {"present": True, "notes": ""}}, "")
    Case.objects.filter(pk=case.pk).update(contact_deadline=timezone.now() - timedelta(hours=1))
    found = find_mailbox(receipt)
    assert found is not None
    add_follow_up(found[0], "They moved him to the district jail", [])
    return case


def _row(page: str, words: str) -> str:
    return next(row for row in page.split("<tr>") if words in row)


def test_a_follow_up_is_unread_in_the_case_list_and_the_inbox_until_the_case_is_opened(
    client, bota, amir, detention_case
):
    log_in(client, bota)
    assert MARK in _row(client.get(CASES).content.decode(), "Azamat case")
    alarm = client.get(INBOX).content.decode().split('class="card alarm"')[1].split("</section>")[0]
    assert "Azamat case" in alarm and MARK in alarm

    page = client.get(f"{CASES}{detention_case.pk}/").content.decode()
    message = page.split("They moved him to the district jail")[0].rsplit('class="message', 1)[1]
    assert ">new</span>" in message  # shown as new to the one who opens it

    # Read now, for the whole team.
    assert MARK not in _row(client.get(CASES).content.decode(), "Azamat case")
    assert "unread follow-up" not in client.get(INBOX).content.decode()
    log_in(client, amir)
    assert "unread follow-up" not in client.get(CASES).content.decode()
    page = client.get(f"{CASES}{detention_case.pk}/").content.decode()
    assert ">new</span>" not in page


def test_opening_the_report_reads_its_follow_ups_too(client, bota, detention_case):
    log_in(client, bota)
    report = Report.objects.get()
    page = client.get(f"/en/staff/reports/{report.pk}/").content.decode()
    assert ">new</span>" in page.split("They moved him to the district jail")[0].rsplit(
        'class="message', 1)[1]
    assert not Message.objects.filter(from_reporter=True, seen=False).exists()
    assert MARK not in _row(client.get(CASES).content.decode(), "Azamat case")


def test_someone_who_cannot_open_the_case_does_not_read_it(client, bota, amir, chingiz,
                                                          detention_case):
    """A restricted case: others neither see it nor clear its marker."""
    services.restrict(detention_case, {bota.user}, bota.keyring(), bota.user)
    log_in(client, amir)
    assert client.get(f"{CASES}{detention_case.pk}/").status_code == 404
    report = Report.objects.get()
    assert client.get(f"/en/staff/reports/{report.pk}/").status_code == 404
    assert Message.objects.filter(from_reporter=True, seen=False).count() == 1
    log_in(client, bota)
    assert MARK in _row(client.get(CASES).content.decode(), "Azamat case")
