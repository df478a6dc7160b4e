"""One case printed (or saved as PDF) for a lawyer: a page made in memory after a fresh
passphrase and code, audit-logged, leaving out contact details, the conversation and the
team's notes unless asked, and never written to disk."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from kalkan.audit.models import AuditEntry
from kalkan.core.testing import log_in
from kalkan.desk import services
from kalkan.intake.models import Report
from kalkan.intake.services import Submission, submit_report

STORY = "Officers stopped Ruslan near the Oak Lane market and took his phone"


@pytest.fixture
def case(organisation, bota):
    submit_report(Submission(
        narrative=STORY,
        answers={"reporter_role": "witness", "acts": ["detention", "device_search"]},
        contact={"contact_method": "signal", "contact_details": "+996 555 777 111"},
        consent={"services": True},
    ), [])
    keys = bota.keyring()
    case = services.open_case([Report.objects.get()], keys, bota.user, title="Ruslan's phone")
    services.add_action(case, keys, bota.user, kind="lawyer", outcome="in_progress",
                        done_on=None, notes="Lawyer Aida filed a complaint")
    services.add_note(case, keys, bota.user, "His mother does not know")
    return case


def _url(case, query: str = "") -> str:
    return f"/en/staff/cases/{case.pk}/print/{query}"


def test_a_printed_case_holds_the_facts_for_a_lawyer(client, bota, case):
    log_in(client, bota)
    response = client.get(_url(case))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store" or "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert 'class="staff printable"' in page
    for words in (STORY, "Ruslan&#x27;s phone", "Detained or arrested", "Lawyer Aida filed",
                  "Confidential"):
        assert words in page, words
    # Left out unless asked.
    assert "+996 555 777 111" not in page and "His mother does not know" not in page
    page = client.get(_url(case, "?part=contact&part=notes")).content.decode()
    assert "+996 555 777 111" in page and "His mother does not know" in page
    printed = AuditEntry.objects.filter(action="case.print", object_id=str(case.pk))
    assert printed.count() == 2
    assert 'href="/en/staff/cases/' + str(case.pk) + '/print/"' in client.get(
        f"/en/staff/cases/{case.pk}/").content.decode()


def test_printing_needs_a_fresh_passphrase_and_code(client, bota, case):
    log_in(client, bota, recent=False)
    response = client.get(_url(case, "?part=notes"))
    assert response.status_code == 302
    assert response["Location"].startswith("/en/staff/confirm/?next=")
    assert not AuditEntry.objects.filter(action="case.print").exists()


def test_strangers_other_roles_and_non_members_cannot_print(client, amir, bota, dana, case):
    assert Client().get(_url(case))["Location"].startswith("/en/staff/login/")
    log_in(client, dana)
    assert client.get(_url(case)).status_code == 403
    services.restrict(case, {bota.user}, bota.keyring(), bota.user)
    log_in(client, amir)
    assert client.get(_url(case)).status_code == 404
    assert not AuditEntry.objects.filter(action="case.print").exists()


def test_nothing_of_a_printed_case_is_written_to_disk(client, bota, case):
    data = Path(settings.DATA_DIR)
    before = {p: p.stat().st_mtime_ns for p in data.rglob("*") if p.is_file()}
    log_in(client, bota)
    assert STORY in client.get(_url(case, "?part=contact&part=notes")).content.decode()
    for path in data.rglob("*"):
        if path.is_file() and before.get(path) != path.stat().st_mtime_ns:
            content = path.read_bytes()
            assert STORY.encode() not in content and b"+996 555 777 111" not in content, path
