"""The canary test of security.md, over the response desk: cases, notes, actions, tasks,
status reasons, triage reasons, messages, partners, consents and referrals, a restricted
case among them; staff work through the web, search, and make a referral package; then
every byte on disk (and the PostgreSQL dump) is searched for every planted string."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from kalkan.desk import referrals, services
from kalkan.desk.models import Case
from kalkan.intake.models import Report
from kalkan.intake.services import Submission, add_follow_up, find_mailbox, submit_report
from kalkan.vault import crypto, workingset
from kalkan.vault.tests.test_canary import canary, find_leaks

pytestmark = pytest.mark.django_db(transaction=True)


def test_nothing_the_desk_stores_is_readable_on_disk(amir, bota, caplog):
    planted = {name: canary(name) for name in (
        "narrative", "contact", "follow-up", "reply", "title", "summary", "risk-notes",
        "safety-plan", "note", "action-notes", "task", "status-reason", "triage-reason",
        "restricted-note", "partner-name", "partner-contact", "consent-how",
    )}
    text = {name: value.decode() for name, value in planted.items()}
    receipt = submit_report(
        Submission(narrative=text["narrative"], contact={"contact_details": text["contact"]},
                   answers={"help_wanted": ["legal"], "country": "KZ"},
                   consent={"services": True, "referral": True}, urgent=True),
        [],
    )
    spam = submit_report(Submission(narrative="buy cheap watches"), [])
    assert spam
    found = find_mailbox(receipt)
    assert found is not None
    add_follow_up(found[0], text["follow-up"], [])

    # Bota works the case through the real login and the web forms.
    client = Client()
    assert client.post("/en/staff/login/", {"username": "bota", "passphrase": bota.passphrase,
                                             "code": bota.code()}).status_code == 302
    keys = bota.keyring()
    report = next(r for r in Report.objects.select_related("content_key")
                  if services.open_fields(r, keys)["narrative"] == text["narrative"])
    other = Report.objects.exclude(pk=report.pk).get()
    client.post(f"/en/staff/cases/set-aside/{other.pk}/",
                {"decision": "spam", "reason": text["triage-reason"]})
    client.post("/en/staff/cases/new/", {"report": [str(report.pk)]})
    case = Case.objects.get()
    url = f"/en/staff/cases/{case.pk}/"
    client.post(url + "edit/", {"title": text["title"], "summary": text["summary"],
                                "priority": "0", "assignees": [bota.user.pk]})
    client.post(url + "risk/", {"detained_present": "on", "detained_notes": text["risk-notes"],
                                "safety_plan": text["safety-plan"]})
    client.post(url + "actions/", {"kind": "lawyer", "outcome": "done", "done_on": "2026-03-01",
                                   "notes": text["action-notes"]})
    due = (timezone.now() + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    client.post(url + "tasks/", {"title": text["task"], "due_at": due})
    client.post(url + "notes/", {"body": text["note"]})
    client.post(url + f"reply/{report.pk}/", {f"{report.pk}-text": text["reply"]})
    client.post(url + "status/", {"to": "active", "reason": text["status-reason"]})
    page = client.get(url).content.decode()
    for name in ("narrative", "follow-up", "reply", "title", "risk-notes", "note", "task"):
        assert text[name] in page, name

    # A second case, restricted to Bota, with a note of its own.
    hidden = services.open_case([], keys, bota.user, title="second")
    services.add_note(hidden, keys, bota.user, text["restricted-note"])
    client.post(f"/en/staff/cases/{hidden.pk}/members/", {"members": [bota.user.pk]})

    # A partner, the person's consent, and a referral package only the partner can open.
    partner_secret, partner_public = crypto.new_keypair()
    keys = bota.keyring()
    partner = referrals.add_partner(
        keys, text["partner-name"], {"contact": text["partner-contact"]}, partner_public
    )
    referrals.record_consent(case, partner, ["needs", "story"], text["consent-how"],
                             date(2026, 3, 2), keys, bota.user)
    package = referrals.make_referral(case, partner, keys, bota.user)
    assert text["narrative"].encode() in crypto.open_sealed(partner_secret, package)

    # Search the unlocked working set, as staff would.
    working = workingset.for_session(str(client.session.session_key), bota.keyring())
    assert working.search(text["note"]) and working.search(text["restricted-note"])

    assert find_leaks(planted) == []
    assert not any(value in caplog.text for value in text.values())
