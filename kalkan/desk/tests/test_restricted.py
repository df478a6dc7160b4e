"""A restricted case exists only for its named members: not in lists, counts, search, the
audit log's object column, or by URL, because nobody else holds a key that opens it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from kalkan.core.testing import log_in
from kalkan.desk import services
from kalkan.desk.models import CaseNote, Task
from kalkan.intake.models import Message, Report
from kalkan.intake.services import Submission, add_follow_up, find_mailbox, submit_report
from kalkan.vault import workingset
from kalkan.vault.models import Compartment
from kalkan.vault.records import open_content_key
from kalkan.vault.services import remove_staff_keys

SECRET_WORDS = "Nurlan Kasymov hiding at the blue house"


@pytest.fixture
def restricted(client, organisation, amir, bota):
    """Bota takes a report into a case and restricts it to himself alone, through the web."""
    receipt = submit_report(Submission(narrative=SECRET_WORDS, urgent=True), [])
    other = submit_report(Submission(narrative="A stolen phone, nothing more"), [])
    keys = bota.keyring()
    report = next(r for r in Report.objects.select_related("content_key")
                  if "Nurlan" in services.open_fields(r, keys)["narrative"])
    case = services.open_case([report], keys, bota.user, title="Blue house")
    services.add_note(case, keys, bota.user, "Only Bota knows the address")
    services.add_task(case, keys, title="Bring food to the blue house",
                      due_at=case_due(), assignee=amir.user)
    # Amir has already unlocked and indexed everything before the case is restricted.
    before = workingset.for_session("amir-session", amir.keyring())
    assert before.search("Nurlan")
    log_in(client, bota)
    response = client.post(f"/en/staff/cases/{case.pk}/members/", {"members": [bota.user.pk]})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.compartment is not None
    return case, report, receipt, other


def case_due() -> datetime:
    return timezone.now() + timedelta(days=1)


def _outsider(amir) -> Client:
    return log_in(Client(), amir)


def test_a_non_member_sees_no_trace_of_it_anywhere(amir, restricted):
    case, report, _receipt, _other = restricted
    outsider = _outsider(amir)
    assert outsider.get(f"/en/staff/cases/{case.pk}/").status_code == 404
    assert outsider.post(f"/en/staff/cases/{case.pk}/notes/", {"body": "x"}).status_code == 404
    assert outsider.get(f"/en/staff/reports/{report.pk}/").status_code == 404
    listing = outsider.get("/en/staff/cases/?show=all").content.decode()
    assert "Blue house" not in listing and "0 cases" in listing
    inbox = outsider.get("/en/staff/cases/inbox/").content.decode()
    assert "Nurlan" not in inbox and "1 report waiting" in inbox and str(case.pk) not in inbox
    tasks = outsider.get("/en/staff/cases/tasks/?all=1").content.decode()
    assert "blue house" not in tasks and str(case.pk) not in tasks
    reports = outsider.get("/en/staff/reports/").content.decode()
    assert str(report.pk) not in reports
    response = outsider.post("/en/staff/cases/attach/",
                             {"case": str(case.pk), "report": [str(report.pk)]})
    assert response.status_code == 302
    assert outsider.post(f"/en/staff/cases/set-aside/{report.pk}/",
                         {"decision": "spam", "reason": "x"}).status_code == 404
    audit = outsider.get("/en/staff/audit/").content.decode()
    assert str(case.pk) not in audit and str(report.pk) not in audit


def test_it_is_the_keys_not_the_views_that_keep_it_closed(amir, bota, restricted):
    case, report, _receipt, _other = restricted
    outsider_keys = amir.keyring()
    records = [case, report, *CaseNote.objects.filter(case=case), *Task.objects.filter(case=case)]
    for record in records:
        record.content_key.refresh_from_db()
        assert record.content_key.compartment_id == case.compartment_id
        with pytest.raises(PermissionError):
            open_content_key(record.content_key, outsider_keys)
        assert open_content_key(record.content_key, bota.keyring())


def test_search_forgets_it_for_non_members_and_finds_it_for_members(amir, bota, restricted):
    outsider_set = workingset.for_session("amir-session", amir.keyring())
    assert outsider_set.search("Nurlan") == []
    assert outsider_set.search("address") == []
    assert outsider_set.search("stolen")  # the rest is still there
    member_set = workingset.for_session("bota-session", bota.keyring())
    assert member_set.search("Nurlan") and member_set.search("address")


def test_follow_ups_after_restriction_are_sealed_into_the_case(amir, bota, restricted):
    case, report, receipt, _other = restricted
    found = find_mailbox(receipt)
    assert found is not None
    message = add_follow_up(found[0], "They moved me to another flat", [])
    message.content_key.refresh_from_db()
    assert message.content_key.compartment_id == case.compartment_id
    inbox = _outsider(amir).get("/en/staff/cases/inbox/").content.decode()
    assert "New messages from reporters" not in inbox
    member = log_in(Client(), bota)
    assert "New messages from reporters" in member.get("/en/staff/cases/inbox/").content.decode()
    page = member.get(f"/en/staff/cases/{case.pk}/").content.decode()
    assert "They moved me to another flat" in page
    assert not Message.objects.filter(seen=False).exists()


def test_adding_a_member_opens_it_to_them_and_taking_them_out_rotates_the_key(
    amir, bota, restricted
):
    case, report, _receipt, _other = restricted
    member = log_in(Client(), bota)
    member.post(f"/en/staff/cases/{case.pk}/members/",
                {"members": [bota.user.pk, amir.user.pk]})
    amir_client = _outsider(amir)
    assert amir_client.get(f"/en/staff/cases/{case.pk}/").status_code == 200
    amir_keys_while_member = amir.keyring()
    old_compartment = case.compartment_id

    member.post(f"/en/staff/cases/{case.pk}/members/", {"members": [bota.user.pk]})
    case.refresh_from_db()
    assert case.compartment_id != old_compartment
    assert not Compartment.objects.filter(pk=old_compartment).exists()
    assert amir_client.get(f"/en/staff/cases/{case.pk}/").status_code == 404
    # Keys Amir copied while he was a member open nothing of the case any more.
    report.content_key.refresh_from_db()
    with pytest.raises(PermissionError):
        open_content_key(report.content_key, amir_keys_while_member)
    assert "Only Bota knows the address" in member.get(
        f"/en/staff/cases/{case.pk}/").content.decode()


def test_a_member_leaving_the_organisation_is_cut_off_and_the_key_moves(
    amir, bota, restricted
):
    case, _report, _receipt, _other = restricted
    member = log_in(Client(), bota)
    member.post(f"/en/staff/cases/{case.pk}/members/",
                {"members": [bota.user.pk, amir.user.pk]})
    old = case.compartment_id
    # Amir leaves. Whoever disables him need not be a member (here: keys without the
    # compartment), so the compartment is only marked, and moves when a member opens it.
    remover_keys = bota.keyring().without_compartments()
    remove_staff_keys(amir.user, remover_keys)  # what disabling someone does to their keys
    assert Compartment.objects.get(pk=old).rotate_pending
    assert member.get(f"/en/staff/cases/{case.pk}/").status_code == 200
    case.refresh_from_db()
    assert case.compartment_id != old
    assert list(case.compartment.members.all()) == [bota.user]
