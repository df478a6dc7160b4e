"""Retention: rules an administrator turns on, a preview that counts (never shows), and
removal that destroys each record's key, so that its ciphertext opens with nothing, the
escrow secret included. Evidence that documentation was coded from, and open cases, stay.
All people, places and stories are invented."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from kalkan.audit.models import AuditEntry
from kalkan.audit.services import read_details
from kalkan.core.testing import kalkan, log_in, new_instance
from kalkan.desk import services as desk
from kalkan.desk.models import Case, CaseNote, StatusChange, TriageDecision
from kalkan.intake.models import Evidence, Mailbox, Message, Report
from kalkan.intake.services import (
    Submission,
    add_follow_up,
    find_mailbox,
    replies_for_reporter,
    reply,
    submit_report,
)
from kalkan.records import evidence as evidence_items
from kalkan.records import services as records
from kalkan.retention import services
from kalkan.retention.models import Rule
from kalkan.vault import crypto, workingset
from kalkan.vault.files import files_dir, store_file
from kalkan.vault.models import Compartment, ContentKey, Removed
from kalkan.vault.records import field_aad, new_content_key, open_content_key, read, write
from kalkan.vault.services import open_with_escrow

# Real commits: files go once the removal commits, as in production.
pytestmark = pytest.mark.django_db(transaction=True)

PAGE = "/en/staff/retention/"
LONG_AGO = timezone.now().date() - timedelta(days=4000)
MONTHS_AGO = timezone.now().date() - timedelta(days=200)
LAST_WEEK = timezone.now().date() - timedelta(days=7)


@pytest.fixture(autouse=True)
def own_files(settings, tmp_path):
    """A data directory of this test's own: files of other tests are not ours to count."""
    settings.DATA_DIR = tmp_path


def _report(narrative: str, *, with_file: bool = False) -> tuple[Report, str]:
    receipt = submit_report(Submission(narrative=narrative), [])
    report = Report.objects.order_by("-revision").first()
    assert report is not None
    if with_file:
        row, key = new_content_key(None)
        upload = Evidence(content_key=row, created_on=report.created_on, report=report)
        stored = store_file(key, str(upload.id), row.sealed_in_epoch,
                            [f"photo of {narrative}".encode() * 50])
        upload.original_file = stored.name
        write(upload, key, meta=json.dumps({"name": "yard.jpg", "size": stored.size,
                                            "sha256": stored.sha256, "sanitised": False}))
    return report, receipt


def _set_aside(report: Report, decision: str, keys, by, on) -> None:
    desk.set_aside(report, decision, "Not a real report", keys, by)
    TriageDecision.objects.filter(report=report).update(created_on=on)


def _closed_case(report: Report, keys, by, on, title: str) -> Case:
    case = desk.open_case([report], keys, by, title=title)
    desk.add_note(case, keys, by, f"Note on {title}")
    desk.change_status(case, Case.Status.CLOSED, "Safe now", keys, by)
    StatusChange.objects.filter(case=case).update(created_on=on)
    return case


@pytest.fixture
def world(organisation, amir, bota, chingiz):
    """What the rules must tell apart (names and places invented):
    spam from long ago with a file (goes), spam set aside last week (stays), a duplicate
    that an event was coded from (stays), a case closed long ago with a file (goes), one
    closed long ago whose file is an evidence item (stays), and an open case (stays)."""
    keys = bota.keyring()
    spam, _ = _report("Win a prize in Karabulak", with_file=True)
    _set_aside(spam, "spam", keys, bota.user, LONG_AGO)
    fresh_spam, _ = _report("Cheap phones in Jerdeshtik")
    _set_aside(fresh_spam, "spam", keys, bota.user, LAST_WEEK)
    coded_duplicate, _ = _report("Detained again near the Ak-Suu market")
    _set_aside(coded_duplicate, "duplicate", keys, bota.user, LONG_AGO)
    records.new_event(chingiz.keyring(), chingiz.user, title="Ak-Suu market detention",
                      reports=[coded_duplicate])
    old_report, _ = _report("Beaten at the Tash-Ordo bus stop", with_file=True)
    old_case = _closed_case(old_report, keys, bota.user, LONG_AGO, "Tash-Ordo")
    kept_report, _ = _report("Phone searched at the Kok-Jar post", with_file=True)
    kept_case = _closed_case(kept_report, keys, bota.user, LONG_AGO, "Kok-Jar")
    event = records.new_event(chingiz.keyring(), chingiz.user, title="Kok-Jar search")
    evidence_items.from_intake(Evidence.objects.get(report=kept_report), chingiz.keyring(),
                               chingiz.user, events=[event])
    open_report, _ = _report("Threats from a neighbour in Sary-Tash")
    open_case = desk.open_case([open_report], keys, bota.user, title="Sary-Tash")
    Report.objects.update(created_on=LONG_AGO)
    return {"spam": spam, "fresh_spam": fresh_spam, "coded_duplicate": coded_duplicate,
            "old_case": old_case, "old_report": old_report, "kept_case": kept_case,
            "kept_report": kept_report, "open_case": open_case, "open_report": open_report}


def _turn_on(*kinds: str, days: int | None = None) -> None:
    for kind in kinds:
        services.set_rule(kind, enabled=True,
                          days=days or services.DEFAULTS[kind][1])


def _tally(tallies, kind) -> services.Tally:
    return next(t for t in tallies if t.kind == kind)


def _last_details(action: str, amir) -> dict[str, object]:
    entry = AuditEntry.objects.filter(action=action).order_by("-seq").first()
    assert entry is not None
    details = read_details(entry, amir.keyring())
    assert details is not None
    return details


def test_by_default_nothing_that_may_be_evidence_goes(world):
    rules = services.rules()
    assert not rules["set_aside"].enabled and not rules["closed_cases"].enabled
    assert not rules["mailboxes"].enabled
    assert rules["closed_cases"].days >= 3650  # closed cases are kept long even when on
    reports, cases = Report.objects.count(), Case.objects.count()
    call_command("retention", "--apply", stdout=io.StringIO())
    assert (Report.objects.count(), Case.objects.count()) == (reports, cases)
    assert not Removed.objects.exists()


def test_the_preview_counts_and_removes_nothing(world, amir):
    _turn_on("set_aside", "closed_cases")
    keys_before, files_before = ContentKey.objects.count(), len(list(files_dir().iterdir()))
    out = io.StringIO()
    call_command("retention", stdout=out)
    printed = out.getvalue()
    assert "set_aside     on, after 90 days" in printed
    assert "1 reports, 1 files would go; 1 kept" in printed  # the coded duplicate is kept
    assert "1 cases, 1 reports, 1 files would go; 1 kept" in printed
    assert "mailboxes     off" in printed
    assert "Nothing was removed" in printed
    # No word anyone wrote, not even a case's title.
    assert "Karabulak" not in printed and "Tash-Ordo" not in printed
    assert ContentKey.objects.count() == keys_before
    assert len(list(files_dir().iterdir())) == files_before
    assert Report.objects.filter(pk=world["spam"].pk).exists()
    details = _last_details("retention.preview", amir)
    assert details["set_aside.items"] == 1 and details["closed_cases.items"] == 1
    assert details["closed_cases.kept"] == 1
    assert all(isinstance(value, (int, bool)) for value in details.values())


def test_apply_removes_exactly_what_is_eligible_with_its_keys_and_files(world, amir):
    _turn_on("set_aside", "closed_cases")
    spam, old_report, old_case = world["spam"], world["old_report"], world["old_case"]
    gone_files = [name for name in Evidence.objects.filter(report__in=[spam, old_report])
                  .values_list("original_file", flat=True)]
    gone_keys = {spam.content_key_id, old_report.content_key_id, old_case.content_key_id,
                 *CaseNote.objects.filter(case=old_case).values_list("content_key_id",
                                                                      flat=True),
                 *Evidence.objects.filter(report__in=[spam, old_report])
                 .values_list("content_key_id", flat=True)}
    out = io.StringIO()
    call_command("retention", "--apply", stdout=out)
    assert "1 reports, 1 files removed" in out.getvalue()

    assert not Report.objects.filter(pk__in=[spam.pk, old_report.pk]).exists()
    assert not Case.objects.filter(pk=old_case.pk).exists()
    assert not CaseNote.objects.filter(case_id=old_case.pk).exists()
    assert not Mailbox.objects.filter(report_id__in=[spam.pk, old_report.pk]).exists()
    assert not ContentKey.objects.filter(pk__in=gone_keys).exists()
    for name in gone_files:
        assert not (files_dir() / name).exists()
    assert {str(spam.pk), str(old_report.pk), str(old_case.pk)} <= {
        str(pk) for pk in Removed.objects.values_list("record_id", flat=True)}
    # What is not eligible stays, and still opens.
    keys = amir.keyring()
    for name in ("fresh_spam", "coded_duplicate", "kept_report", "open_report"):
        report = Report.objects.get(pk=world[name].pk)
        assert read(report, open_content_key(report.content_key, keys))["narrative"]
    for name in ("kept_case", "open_case"):
        assert Case.objects.filter(pk=world[name].pk).exists()
    kept_file = Evidence.objects.get(report=world["kept_report"])
    assert (files_dir() / kept_file.original_file).exists()
    details = _last_details("retention.apply", amir)
    assert details["set_aside.items"] == 1 and details["set_aside.files"] == 1
    assert details["closed_cases.items"] == 1 and details["closed_cases.reports"] == 1
    assert all(isinstance(value, (int, bool)) for value in details.values())
    # Applying again finds nothing more.
    again = services.apply()
    assert _tally(again, "set_aside").items == 0 and _tally(again, "closed_cases").items == 0


def test_a_removed_record_opens_with_no_key_even_the_escrow_secret(world, organisation, amir):
    spam = world["spam"]
    ciphertext = bytes(spam.narrative)
    aad = field_aad(spam, "narrative")
    upload = Evidence.objects.get(report=spam)
    file_bytes = (files_dir() / upload.original_file).read_bytes()
    # Loaded and snapshotted before: a working set of another process, and one on disk.
    keys = amir.keyring()
    elsewhere = workingset.build(keys)
    assert elsewhere.search("Karabulak")
    assert list((Path(files_dir().parent) / "workingset").glob("*.snap"))

    _turn_on("set_aside")
    call_command("retention", "--apply", stdout=io.StringIO())

    master = open_with_escrow(organisation.escrow_secret)
    opened = 0
    for row in ContentKey.objects.all():
        key = open_content_key(row, master)
        opened += 1
        with pytest.raises(crypto.Tampered):
            crypto.decrypt(key, ciphertext, aad)
    assert opened == ContentKey.objects.count() > 0  # the master key opens every key left
    assert not (files_dir() / upload.original_file).exists()
    assert file_bytes  # a copy made before is all that is left, and no key opens it
    # No snapshot keeps its words; a working set loaded before forgets it at catch-up.
    assert not list((Path(files_dir().parent) / "workingset").glob("*.snap"))
    workingset.catch_up(elsewhere, keys)
    assert not elsewhere.search("Karabulak")
    assert workingset.build(keys).search("Sary-Tash")


def test_a_crash_mid_removal_leaves_nothing_half_deleted(world, monkeypatch):
    _turn_on("set_aside")
    spam = world["spam"]
    upload = Evidence.objects.get(report=spam)
    real = services.remove_sealed

    def crash_after_deleting(records):
        real(records)
        raise RuntimeError("power cut")

    monkeypatch.setattr(services, "remove_sealed", crash_after_deleting)
    with pytest.raises(RuntimeError):
        services.apply()
    assert Report.objects.filter(pk=spam.pk).exists()
    assert ContentKey.objects.filter(pk=spam.content_key_id).exists()
    assert Evidence.objects.filter(pk=upload.pk).exists()
    assert (files_dir() / upload.original_file).exists()
    assert not Removed.objects.exists()


def test_a_case_reopened_after_it_was_counted_stays(world, bota):
    """The rule selects again inside the removal's transaction: a case re-opened (or a
    report coded) between the listing and the removal is not removed."""
    _turn_on("closed_cases")
    old_case = world["old_case"]
    listed = services._in_batches(services._closed_cases(3650)[0])
    assert listed == [[old_case.pk]]
    desk.change_status(old_case, Case.Status.REOPENED, "She wrote again", bota.keyring(),
                       bota.user)

    def select():
        return services._closed_cases(3650)[0]

    assert services._remove_reports_and_cases(select, listed[0], cases=True) == (0, 0, 0)
    assert Case.objects.filter(pk=old_case.pk).exists()
    assert Report.objects.filter(pk=world["old_report"].pk).exists()


def test_a_restricted_case_goes_with_its_compartment(world, bota):
    keys = bota.keyring()
    report, _ = _report("Followed home in Kyzyl-Kiya")
    case = desk.open_case([report], keys, bota.user, title="Kyzyl-Kiya")
    desk.restrict(case, [bota.user], keys, bota.user)
    case.refresh_from_db()
    compartment = case.compartment
    assert compartment is not None
    desk.change_status(case, Case.Status.CLOSED, "Moved away", bota.keyring(), bota.user)
    StatusChange.objects.filter(case=case).update(created_on=LONG_AGO)
    _turn_on("closed_cases")
    assert _tally(services.preview(), "closed_cases").items == 2
    services.apply()
    assert not Case.objects.filter(pk=case.pk).exists()
    assert not Compartment.objects.filter(pk=compartment.pk).exists()


def test_a_quiet_mailbox_closes_and_its_receipt_opens_nothing(organisation, bota):
    keys = bota.keyring()
    in_open_case, _ = _report("My landlord threatens to call the police in Osh")
    open_case = desk.open_case([in_open_case], keys, bota.user, title="Osh landlord")
    quiet, receipt = _report("Someone wrote my name on the door in Batken")
    Report.objects.filter(pk=quiet.pk).update(status=Report.Status.SEEN)
    reply(quiet.mailbox, keys, "We read it. Are you safe tonight?")
    add_follow_up(quiet.mailbox, "Yes, at my aunt's.", [])
    unread, unread_receipt = _report("Nobody has read this one yet")
    in_closed_case, _ = _report("The threats stopped after the lawyer called, in Naryn")
    closed_case = _closed_case(in_closed_case, keys, bota.user, MONTHS_AGO, "Naryn")
    Message.objects.update(created_on=MONTHS_AGO)
    Report.objects.update(created_on=MONTHS_AGO)
    box, unlock_key = find_mailbox(receipt) or (None, b"")
    assert box is not None and replies_for_reporter(box, unlock_key)[0].text

    _turn_on("mailboxes")
    assert _tally(services.preview(), "mailboxes").items == 2
    tallies = services.apply()
    assert _tally(tallies, "mailboxes").items == 2
    assert Mailbox.objects.get(report=in_closed_case).is_closed
    assert Case.objects.filter(pk=closed_case.pk).exists()  # its own rule is off

    assert find_mailbox(receipt) is None
    box = Mailbox.objects.get(report=quiet)
    assert box.is_closed and not bytes(box.wrapped_reporter_secret)
    assert not Message.objects.filter(mailbox=box).exclude(reporter_copy=b"").exists()
    # The team keeps the conversation; a reply can no longer be sent.
    texts = [read(m, open_content_key(m.content_key, keys))["body"]
             for m in Message.objects.filter(mailbox=box)]
    assert "Yes, at my aunt's." in texts
    client = log_in(Client(), bota)
    response = client.post(f"/en/staff/reports/{quiet.pk}/", {"text": "Still there?"},
                           follow=True)
    assert "The reporter&#x27;s mailbox is closed: nothing was sent." in response.content.decode()
    assert Message.objects.filter(mailbox=box).count() == 2
    assert "mailbox was closed by a retention rule" in client.get(
        f"/en/staff/reports/{quiet.pk}/").content.decode()
    case_page = f"/en/staff/cases/{closed_case.pk}/"
    assert "mailbox was closed by a retention rule" in client.get(case_page).content.decode()
    refused = client.post(f"{case_page}reply/{in_closed_case.pk}/",
                          {f"{in_closed_case.pk}-text": "Still there?"}, follow=True)
    assert "nothing was sent" in refused.content.decode()
    assert not Message.objects.filter(mailbox__report=in_closed_case).exists()
    # Not yet read by anyone, or in an open case: kept open.
    assert find_mailbox(unread_receipt) is not None
    assert not Mailbox.objects.get(report=in_open_case).is_closed
    assert open_case.is_open


def test_expired_sessions_go_by_default(world):
    expired = SessionStore()
    expired.create()
    Session.objects.filter(session_key=expired.session_key).update(
        expire_date=timezone.now() - timedelta(hours=1))
    assert _tally(services.preview(), "sessions").items == 1
    assert _tally(services.apply(), "sessions").items == 1
    assert not Session.objects.filter(session_key=expired.session_key).exists()


def test_the_page_previews_saves_and_applies_after_a_fresh_confirmation(world, amir):
    client = log_in(Client(), amir)
    page = client.get(PAGE).content.decode()
    assert "What the rules would remove now" in page and "<script" not in page
    assert "Karabulak" not in page and "Tash-Ordo" not in page
    # Evidence rules off; expired sessions and orphans (unreadable, unused) on.
    assert "<td>Reports set aside as spam or duplicate</td>\n  <td>off</td>" in page
    assert "<td>Expired staff sessions</td>\n  <td>on</td>" in page

    stale = log_in(Client(), amir, recent=False)
    response = stale.post(f"{PAGE}rules/", {"set_aside_enabled": "on", "set_aside_days": "30",
                                            "closed_cases_days": "3650",
                                            "mailboxes_days": "180"})
    assert response.status_code == 302 and "/staff/confirm/" in response["Location"]
    assert not Rule.objects.exists()

    bad = client.post(f"{PAGE}rules/", {"set_aside_enabled": "on", "set_aside_days": "0",
                                        "closed_cases_days": "3650", "mailboxes_days": "180"})
    assert bad.status_code == 400 and "Nothing was saved" in bad.content.decode()
    assert not Rule.objects.exists()

    saved = client.post(f"{PAGE}rules/", {"set_aside_enabled": "on", "set_aside_days": "30",
                                          "closed_cases_days": "3650",
                                          "mailboxes_days": "180", "sessions_enabled": "on",
                                          "orphans_enabled": "on"}, follow=True)
    assert "Nothing is removed until the rules are applied." in saved.content.decode()
    assert services.rules()["set_aside"].enabled and services.rules()["set_aside"].days == 30
    assert not services.rules()["closed_cases"].enabled
    assert Report.objects.filter(pk=world["spam"].pk).exists()
    assert _last_details("retention.rules", amir)["set_aside"] == "on 30"

    refused = client.post(f"{PAGE}apply/", {})
    assert refused.status_code == 400
    assert Report.objects.filter(pk=world["spam"].pk).exists()
    applied = client.post(f"{PAGE}apply/", {"understood": "on"}, follow=True)
    assert "The rules were applied" in applied.content.decode()
    assert not Report.objects.filter(pk=world["spam"].pk).exists()
    assert Case.objects.filter(pk=world["old_case"].pk).exists()  # its rule is off
    entry = AuditEntry.objects.filter(action="retention.apply").get()
    assert entry.actor_id == amir.user.pk
    assert _last_details("retention.apply", amir)["set_aside.items"] == 1


@pytest.mark.parametrize("language", ["ru", "ky", "kk"])
def test_the_page_speaks_every_language(world, amir, language):
    page = log_in(Client(), amir).get(f"/{language}/staff/retention/").content.decode()
    assert "What the rules would remove now" not in page


def test_others_may_not_see_or_apply(world, bota, chingiz):
    _turn_on("set_aside")
    for character in (bota, chingiz):
        client = log_in(Client(), character)
        assert client.get(PAGE).status_code == 403
        assert client.post(f"{PAGE}apply/", {"understood": "on"}).status_code == 403
    assert Report.objects.filter(pk=world["spam"].pk).exists()
    assert Client().get(PAGE).status_code == 302


def test_the_command_runs_on_a_real_instance(tmp_path):
    """`kalkan retention` as an administrator or the timer runs it, in a process of its own."""
    database = new_instance(tmp_path / "instance")
    data = str(tmp_path / "instance")
    preview = kalkan("retention", "--data-dir", data, env=database)
    assert preview.returncode == 0, preview.stderr
    assert "set_aside     off" in preview.stdout and "Nothing was removed" in preview.stdout
    applied = kalkan("retention", "--data-dir", data, "--apply", env=database)
    assert applied.returncode == 0, applied.stderr
    assert "sessions      on                     0 sessions removed" in applied.stdout
    assert "closed_cases  off" in applied.stdout and "(rule off)" in applied.stdout
    verify = kalkan("audit", "verify", "--data-dir", data, env=database)
    assert verify.returncode == 0, verify.stdout
