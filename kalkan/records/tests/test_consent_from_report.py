"""Consent given on the public form reaches the person's ledger when the report is coded:
the coder says the new victim is the one who reported it, and each purpose the form asked
goes in — ticked as given, left unticked as refused — dated the day of the report, with its
source. A witness's answers never become a victim's consent. "Refused" is a statement of its
own (four languages), and counts treat it as no."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.utils import translation

from kalkan.core.testing import log_in
from kalkan.intake.forms import ReportForm
from kalkan.intake.services import submit_report
from kalkan.records import consent, exchange, services
from kalkan.records.models import Act, ConsentEntry, Event, Person
from kalkan.records.tests.test_coding import _event_form, _report

STORY = "After the rally two men in plain clothes followed me home and took my phone"


def _submit(role: str, ticked: list[str], words: str = STORY) -> None:
    """A report as the public form makes it (the form asks every purpose)."""
    with translation.override("en"):
        form = ReportForm({"reporter_role": role, "narrative": words, "consent": ticked,
                           "contact_method": "signal", "contact_details": "@fictional"})
        assert form.is_valid(), form.errors
        submit_report(form.submission(), [])


def _code(client, report) -> str:
    client.post(f"/en/staff/records/code/{report.pk}/", _event_form())
    return f"/en/staff/records/events/{Event.objects.get(reports=report).pk}/"


def _new_victim(pseudonym: str, **extra: str) -> dict[str, str]:
    return {"victim": "new", "victim-pseudonym": pseudonym, "victim-kind": "individual",
            "type": "detention.arbitrary", **extra}


def test_the_reporters_consent_goes_into_their_ledger_when_coded(client, chingiz):
    keys = chingiz.keyring()
    _submit("self", ["services", "statistics", "contact_back"])
    report = _report(keys, "plain clothes")
    log_in(client, chingiz)
    url = _code(client, report)

    page = client.get(url).content.decode()
    assert "Is this the person who reported it?" in page
    assert f'value="{report.pk}" selected' in page  # the first act: most often the reporter
    assert client.post(url + "acts/", _new_victim("Aibek", **{"victim-reporter": str(report.pk)})
                       ).status_code == 302
    aibek = Act.objects.get().victim
    statements = {s.purpose: s for s in consent.ledger(aibek, keys)}
    assert {p: s.status for p, s in statements.items()} == {
        "services": "given", "statistics": "given", "contact_back": "given",
        "referral": "refused", "un_submission": "refused", "media": "refused"}
    assert {s.on for s in statements.values()} == {report.created_on}
    assert {s.report for s in statements.values()} == {str(report.pk)}
    assert consent.permitted(aibek, "statistics", keys)
    assert not consent.permitted(aibek, "un_submission", keys)

    person = client.get(f"/en/staff/records/persons/{aibek.pk}/").content.decode()
    ledger = person.split('id="consent"')[1].split("</section>")[0]
    assert f"On the public report form, {report.created_on.isoformat()}" in ledger
    assert "Consent refused" in ledger and "not asked" not in ledger
    with translation.override("ru"):
        russian = client.get(f"/ru/staff/records/persons/{aibek.pk}/").content.decode()
    assert "отказ" in russian.split('id="consent"')[1].split("</section>")[0].lower()

    # A second victim of the same event is not the reporter unless the coder says so.
    assert 'selected' not in client.get(url).content.decode().split(
        'name="victim-reporter"')[1].split("</select>")[0].replace(
        '<option value="" selected>', "")
    client.post(url + "acts/", _new_victim("Friend of Aibek"))
    friend = Person.objects.exclude(pk=aibek.pk).get()
    assert consent.ledger(friend, keys) == []


def test_a_witness_cannot_consent_for_the_victim(client, chingiz):
    _submit("witness", ["services", "statistics", "un_submission"])
    report = _report(chingiz.keyring(), "plain clothes")
    log_in(client, chingiz)
    url = _code(client, report)
    assert "Is this the person who reported it?" not in client.get(url).content.decode()
    # A forged choice is ignored: nothing is recorded.
    client.post(url + "acts/", _new_victim("Victim", **{"victim-reporter": str(report.pk)}))
    assert Act.objects.count() == 1 and not ConsentEntry.objects.exists()


def test_a_form_with_nothing_ticked_leaves_every_purpose_not_asked(client, chingiz):
    _submit("self", [])
    report = _report(chingiz.keyring(), "plain clothes")
    log_in(client, chingiz)
    url = _code(client, report)
    assert "Is this the person who reported it?" not in client.get(url).content.decode()
    assert consent.answers_of_form({"services": False, "statistics": False}) == {}
    # An older form that asked only some purposes: the others stay "not asked".
    assert consent.answers_of_form({"statistics": True}) == {"statistics": True}


@pytest.mark.parametrize(("language", "word"), [
    ("en", "Consent refused"), ("ru", "В согласии отказано"), ("ky", "Макулдуктан баш тартылды"),
    ("kk", "Келісімнен бас тартылды")])
def test_refused_is_recorded_by_hand_and_counts_as_no(client, chingiz, language, word):
    keys = chingiz.keyring()
    person = services.new_person(keys, pseudonym="Dilnaz", profile={"kind": "individual"})
    log_in(client, chingiz)
    url = f"/{language}/staff/records/persons/{person.pk}/"
    assert client.post(url + "consent/", {"purpose": "un_submission", "given": "refused",
                                          "on": "2026-03-01", "how": "in person"}
                       ).status_code == 302
    [statement] = consent.ledger(person, keys)
    assert statement.status == "refused" and not statement.given
    assert consent.consenting([person.pk], "un_submission", keys) == set()
    assert word in client.get(url).content.decode()
    assert consent.status_now([statement]) == {"un_submission": "refused"}
    assert statement.on == date(2026, 3, 1)


def test_a_refusal_survives_export_and_import(chingiz):
    keys = chingiz.keyring()
    person = services.new_person(keys, pseudonym="Saltanat", profile={"kind": "individual"})
    event = services.new_event(keys, chingiz.user, title="Threats", details={})
    services.add_act(event, keys, victim=person, details={"type": "threats"})
    consent.record(person, "media", given=False, refused=True, on=date(2026, 3, 1),
                   how="in person", keyring=keys, by=chingiz.user)
    data, _report = exchange.export_json(keys, purpose=None)
    [row] = json.loads(data)["consents"]
    assert row["refused"] is True and row["given"] is False
    result = exchange.import_json(data, keys, chingiz.user)
    assert result.ok, [str(e) for e in result.errors]
    copy = Person.objects.get(pk=result.ids["persons"][str(person.pk)])
    assert [s.status for s in consent.ledger(copy, keys)] == ["refused"]

    row["given"] = True  # given and refused at once: refused with a clear reason
    broken = json.loads(data)
    broken["consents"] = [row]
    with translation.override("en"):
        result = exchange.import_json(json.dumps(broken).encode(), keys, chingiz.user)
    assert "consent cannot be given and refused at once" in " ".join(map(str, result.errors))


def test_a_community_page_says_it_is_counted_without_a_statement(client, chingiz):
    community = services.new_person(chingiz.keyring(), pseudonym="Community of Osh",
                                    profile={"kind": "community"})
    log_in(client, chingiz)
    page = client.get(f"/en/staff/records/persons/{community.pk}/").content.decode()
    assert "counted in anonymised statistics without a statement" in page
