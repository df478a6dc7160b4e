"""The documentation officer's coding screens: a report becomes an event with acts, victims
and perpetrators through plain forms; persons have a profile, a consent ledger and real names
shown only on request; and who may do any of it. All names are invented."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from kalkan.audit.models import AuditEntry
from kalkan.core.testing import csrf_token_in, log_in
from kalkan.desk import services as desk
from kalkan.intake.models import Report
from kalkan.intake.services import Submission, submit_report
from kalkan.records import consent, services
from kalkan.records.models import (
    Act,
    ChainLink,
    ConsentEntry,
    Event,
    Information,
    Intervention,
    Involvement,
    Person,
)

EVENTS = "/en/staff/records/events/"
STORY = "Two men from the dating app were police officers; they took Timur and Azamat away"


def _report(keys, words: str) -> Report:
    for report in Report.objects.select_related("content_key"):
        if words in desk.open_fields(report, keys)["narrative"]:
            return report
    raise AssertionError(words)


@pytest.fixture
def report(organisation, chingiz):
    submit_report(Submission(
        narrative=STORY,
        answers={"reporter_role": "witness", "acts": ["detention", "entrapment"],
                 "perpetrators": ["police"], "country": "KG", "region": "kg.chuy",
                 "place": "near the bus station",
                 "fuzzy_date": {"year": 2025, "month": 3, "day": None, "precision": "month",
                                "approximate": False}},
    ), [])
    return _report(chingiz.keyring(), "dating app")


def _event_form(**extra: str) -> dict[str, str]:
    return {"title": "Entrapment and detention in Tokmok",
            "description": "Lured through a dating app, detained, money demanded.",
            "start_year": "2025", "start_month": "3", "start_day": "14",
            "place": "kg.chuy", "place_detail": "the café by the bus station",
            "violation_status": "confirmed", **extra}


def _pseudonyms(bundle) -> list[str]:
    return [act["victim"]["pseudonym"] for act in bundle["acts"]]


# --- coding a report ------------------------------------------------------------------------


def test_it_codes_a_report_into_an_event_with_acts_victims_and_a_perpetrator(
    client, chingiz, report
):
    keys = chingiz.keyring()
    azamat = services.new_person(keys, pseudonym="Azamat", profile={"kind": "individual"})
    log_in(client, chingiz)

    listing = client.get(EVENTS).content.decode()
    assert "Code this report" in listing and f"/en/staff/records/code/{report.pk}/" in listing
    page = client.get(f"/en/staff/records/code/{report.pk}/").content.decode()
    assert STORY in page and "Chüy Region" in page
    assert 'value="kg.chuy" selected' in page  # the reporter's region, ready to confirm

    response = client.post(f"/en/staff/records/code/{report.pk}/", _event_form())
    event = Event.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/en/staff/records/events/{event.pk}/"
    assert list(event.reports.all()) == [report]
    assert f"/en/staff/records/code/{report.pk}/" not in client.get(EVENTS).content.decode()
    url = f"/en/staff/records/events/{event.pk}/"

    # Azamat is found by his pseudonym in another script, and offered as a victim.
    page = client.get(url + "?find=Азамат").content.decode()
    assert f'value="{azamat.pk}"' in page and "Azamat" in page
    assert STORY in page  # the source report, for reference

    timur = {
        "victim": "new", "victim-pseudonym": "Timur K.", "victim-kind": "individual",
        "victim-age_band": "25_34", "victim-gender_identity": "man",
        "victim-sexual_orientation": "gay", "victim-characteristics": ["hrd"],
        "type": "detention.arbitrary", "start_year": "2025", "start_month": "3",
        "start_day": "14", "methods": ["beating.punches_kicks"],
        "consequences": ["social.outing_family"], "rights": ["iccpr.9"],
        "detention_applies": "on", "detention_type": "unofficial",
        "detention_legal_counsel": "false", "detention_whereabouts_acknowledged": "unknown",
        "extortion_applies": "on", "extortion_amount": "500", "extortion_currency": "usd",
        "extortion_payment_method": "cash", "extortion_disclosure_threatened_to": [],
    }
    assert client.post(url + "acts/?find=Азамат", timur).status_code == 302
    response = client.post(url + "acts/", {"victim": str(azamat.pk), "type": "threats.outing"})
    assert response.status_code == 302 and response["Location"].startswith(url + "#act-")

    first, second = Act.objects.filter(event=event).order_by("revision")
    response = client.post(url + "perpetrators/", {
        "act": str(first.pk), "perpetrator": "new",
        "perpetrator-pseudonym": "District 4 police", "perpetrator-kind": "organisation",
        "perpetrator_types": ["police.district"], "degree": "direct",
    })
    assert response.status_code == 302

    bundle = services.event_bundle(Event.objects.get(pk=event.pk), keys)
    assert bundle["title"] == "Entrapment and detention in Tokmok"
    assert bundle["details"]["start"] == {"year": 2025, "month": 3, "day": 14,
                                          "precision": "day", "approximate": False}
    assert bundle["details"]["place"] == {"code": "kg.chuy",
                                          "detail": "the café by the bus station"}
    # (event_bundle orders acts by revision, which adding a perpetrator moves)
    assert sorted(_pseudonyms(bundle)) == ["Azamat", "Timur K."]
    act_one, act_two = sorted(bundle["acts"], key=lambda act: act["victim"]["pseudonym"] != (
        "Timur K."))
    assert act_one["victim"]["profile"]["gender_identity"] == {"code": "man",
                                                               "self_described": ""}
    assert act_one["victim"]["profile"]["characteristics"] == ["hrd"]
    assert act_one["details"]["type"] == "detention.arbitrary"
    assert act_one["details"]["detention"]["legal_counsel"] is False
    assert act_one["details"]["detention"]["whereabouts_acknowledged"] is None
    assert act_one["details"]["extortion"]["amount"] == "500"
    assert "torture" not in act_one["details"]  # not ticked: not there
    assert [inv["perpetrator"]["pseudonym"] for inv in act_one["involvements"]] == [
        "District 4 police"]
    assert act_one["involvements"][0]["details"]["perpetrator_types"] == ["police.district"]
    assert act_two["victim"]["id"] == str(azamat.pk) and act_two["involvements"] == []
    assert act_two["details"]["type"] == "threats.outing"
    assert Person.objects.count() == 3

    page = client.get(url).content.decode()
    for text in ("Arbitrary detention", "Timur K.", "District police officers",
                 "Threats to reveal sexual orientation", "Unofficial", "US dollar"):
        assert text in page, text
    actions = set(AuditEntry.objects.filter(object_id=str(event.pk))
                  .values_list("action", flat=True))
    assert {"event.code", "event.view", "event.add_act", "event.add_perpetrator"} <= actions


def test_sources_interventions_links_and_edits_go_through_their_own_forms(client, chingiz):
    keys = chingiz.keyring()
    event = services.new_event(keys, chingiz.user, title="Raid on the community centre")
    later = services.new_event(keys, chingiz.user, title="Fined under the propaganda law")
    witness = services.new_person(keys, pseudonym="Gulzat")
    log_in(client, chingiz)
    url = f"/en/staff/records/events/{event.pk}/"
    assert client.post(url + "sources/", {
        "source": str(witness.pk), "source_type": "witness", "reliability": "likely",
        "date_year": "2025", "language": "ky"}).status_code == 302
    assert client.post(url + "interventions/", {
        "party_type": "lawyer", "type": "complaint_prosecutor", "status": ""}).status_code == 302
    assert client.post(url + "links/", {"to_event": str(later.pk),
                                        "relation": "causes"}).status_code == 302
    edited = _event_form(title="Raid on the community centre, Bishkek", place="kg.bishkek")
    assert client.post(url + "edit/", edited).status_code == 302

    bundle = services.event_bundle(Event.objects.get(pk=event.pk), keys)
    assert bundle["title"] == "Raid on the community centre, Bishkek"
    assert bundle["sources"][0]["source"]["pseudonym"] == "Gulzat"
    assert bundle["sources"][0]["details"]["reliability"] == "likely"
    assert bundle["interventions"][0]["details"]["type"] == "complaint_prosecutor"
    assert bundle["links"][0]["to"] == str(later.pk)
    page = client.get(url).content.decode()
    for text in ("Witness testimony", "Likely reliable", "Complaint to the prosecutor",
                 "Causes", "Fined under the propaganda law", "Bishkek"):
        assert text in page, text


def test_a_bad_date_gives_an_error_and_saves_nothing(client, chingiz, report):
    log_in(client, chingiz)
    response = client.post(f"/en/staff/records/code/{report.pk}/",
                           _event_form(start_month="2", start_day="30"))
    assert response.status_code == 400
    assert "This date does not exist." in response.content.decode()
    assert Event.objects.count() == 0

    event = services.new_event(chingiz.keyring(), chingiz.user, title="Threats online")
    url = f"/en/staff/records/events/{event.pk}/"
    people = Person.objects.count()
    response = client.post(url + "acts/", {
        "victim": "new", "victim-pseudonym": "Nurlan", "type": "online_harassment",
        "start_year": "2025", "start_day": "12",
    })
    assert response.status_code == 400
    page = response.content.decode()
    assert "Choose the month first." in page and 'value="Nurlan"' in page
    assert Person.objects.count() == people and Act.objects.count() == 0

    response = client.post(url + "acts/", {"victim": "new", "type": "online_harassment"})
    assert response.status_code == 400 and Person.objects.count() == people
    response = client.post(url + "acts/", {"victim": "new", "victim-pseudonym": "Nurlan",
                                           "type": "online_harassment",
                                           "end_year": "2020", "start_year": "2024"})
    assert response.status_code == 400 and "The end is before the start." in (
        response.content.decode())
    # Details of a subformat without its "applies" box would be lost: they are refused.
    response = client.post(url + "acts/", {"victim": "new", "victim-pseudonym": "Nurlan",
                                           "type": "extortion", "extortion_amount": "100"})
    assert response.status_code == 400 and "Tick this" in response.content.decode()
    assert Person.objects.count() == people and Act.objects.count() == 0


def test_a_person_of_another_restricted_case_cannot_be_picked(client, chingiz):
    keys = chingiz.keyring()
    event = services.new_event(keys, chingiz.user, title="Open event")
    stranger = "00000000-0000-4000-8000-000000000000"
    log_in(client, chingiz)
    response = client.post(f"/en/staff/records/events/{event.pk}/acts/",
                           {"victim": stranger, "type": "threats"})
    assert response.status_code == 400 and "Choose someone from the list." in (
        response.content.decode())
    assert Act.objects.count() == 0


# --- persons --------------------------------------------------------------------------------


@pytest.fixture
def timur(chingiz):
    return services.new_person(
        chingiz.keyring(), pseudonym="Timur K.",
        profile={"kind": "individual",
                 "sexual_orientation": {"code": "self_described", "self_described": "queer-ish"}},
        identity={"names": ["Тимур Касымов"], "contacts": ["+996 555 000 111"]},
    )


def test_consent_recorded_and_withdrawn_shows_in_the_ledger(client, chingiz, timur):
    log_in(client, chingiz)
    url = f"/en/staff/records/persons/{timur.pk}/"
    page = client.get(url).content.decode()
    assert "Timur K." in page and "queer-ish" in page
    assert client.post(url + "consent/", {"purpose": "statistics", "given": "given",
                                          "on": "2025-03-20", "how": "interview"}
                       ).status_code == 302
    assert client.post(url + "consent/", {"purpose": "statistics", "given": "withdrawn",
                                          "on": "2025-04-02", "how": "phone call"}
                       ).status_code == 302
    statements = consent.ledger(timur, chingiz.keyring())
    assert [(s.purpose, s.given, s.on) for s in statements] == [
        ("statistics", True, date(2025, 3, 20)), ("statistics", False, date(2025, 4, 2))]
    assert consent.permitted(timur, "statistics", chingiz.keyring()) is False
    history = client.get(url).content.decode().split('id="consent"')[1]
    assert "2025-03-20" in history and "2025-04-02" in history
    assert "Consent given" in history and "Consent withdrawn" in history
    assert "phone call" in history

    bad = client.post(url + "consent/", {"purpose": "media", "given": "given",
                                         "on": "2999-01-01", "how": "x"})
    assert bad.status_code == 400 and "This date is in the future." in bad.content.decode()
    assert ConsentEntry.objects.count() == 2


def test_show_real_names_is_audit_logged_and_shown_on_that_response_only(
    client, chingiz, timur
):
    log_in(client, chingiz)
    url = f"/en/staff/records/persons/{timur.pk}/"
    assert "Тимур Касымов" not in client.get(url).content.decode()
    assert not AuditEntry.objects.filter(action="person.identity").exists()
    shown = client.post(url + "identity/")
    assert shown.status_code == 200
    assert "Тимур Касымов" in shown.content.decode() and "+996 555 000 111" in (
        shown.content.decode())
    entry = AuditEntry.objects.get(action="person.identity")
    assert entry.object_id == str(timur.pk) and entry.actor_id == chingiz.user.pk
    assert "Тимур Касымов" not in client.get(url).content.decode()

    response = client.post(url + "identity/edit/", {"names": "Тимур Касымов\nTimur Kasymov",
                                                    "contacts": "", "notes": ""})
    assert response.status_code == 302
    fields = services.opened(Person.objects.get(pk=timur.pk), chingiz.keyring())
    assert fields["identity"]["names"] == ["Тимур Касымов", "Timur Kasymov"]
    assert fields["pseudonym"] == "Timur K."  # the rest of the person is untouched
    assert AuditEntry.objects.filter(action="person.identity_edit").count() == 1


def test_a_persons_page_shows_their_roles_and_the_profile_can_be_edited(client, chingiz, timur):
    keys = chingiz.keyring()
    event = services.new_event(keys, chingiz.user, title="Detention in Tokmok")
    police = services.new_person(keys, pseudonym="District 4 police")
    act = services.add_act(event, keys, victim=timur, details={"type": "detention"})
    services.add_involvement(act, keys, perpetrator=police, details={})
    log_in(client, chingiz)
    page = client.get(f"/en/staff/records/persons/{timur.pk}/").content.decode()
    assert "Detention in Tokmok" in page and "Detention or arrest" in page
    page = client.get(f"/en/staff/records/persons/{police.pk}/").content.decode()
    assert "Perpetrator of" in page and "Detention in Tokmok" in page
    response = client.post(f"/en/staff/records/persons/{timur.pk}/edit/", {
        "pseudonym": "Timur", "gender_identity": "self_described",
        "gender_identity_self": "in their own words"})
    assert response.status_code == 302
    profile = services.opened(Person.objects.get(pk=timur.pk), keys)["profile"]
    assert profile["gender_identity"] == {"code": "self_described",
                                          "self_described": "in their own words"}
    assert profile["sexual_orientation"] == {"code": "", "self_described": ""}


# --- restricted cases -----------------------------------------------------------------------


def test_an_event_coded_from_a_restricted_case_is_not_found_by_a_non_member(
    client, amir, bota, chingiz, report
):
    case = desk.open_case([report], bota.keyring(), bota.user, title="Tokmok")
    desk.restrict(case, [chingiz.user], bota.keyring(), bota.user)
    log_in(client, chingiz)
    assert client.post(f"/en/staff/records/code/{report.pk}/", _event_form()).status_code == 302
    event = Event.objects.get()
    assert event.content_key.compartment_id == case.compartment_id
    url = f"/en/staff/records/events/{event.pk}/"
    assert client.post(url + "acts/", {"victim": "new", "victim-pseudonym": "Timur K.",
                                       "type": "detention"}).status_code == 302
    victim = Act.objects.get().victim
    assert victim.content_key.compartment_id == case.compartment_id
    assert client.get(url).status_code == 200

    outsider = log_in(Client(), amir)
    assert outsider.get(url).status_code == 404
    assert outsider.post(url + "acts/", {"victim": str(victim.pk),
                                         "type": "threats"}).status_code == 404
    assert outsider.get(f"/en/staff/records/persons/{victim.pk}/").status_code == 404
    assert outsider.post(f"/en/staff/records/persons/{victim.pk}/identity/").status_code == 404
    assert outsider.get(f"/en/staff/records/code/{report.pk}/").status_code == 404
    listing = outsider.get(EVENTS).content.decode()
    assert str(event.pk) not in listing and "Tokmok" not in listing and "0 events" in listing
    assert Act.objects.count() == 1


# --- who may do what ------------------------------------------------------------------------


@pytest.fixture
def world(chingiz, report):
    keys = chingiz.keyring()
    person = services.new_person(keys, pseudonym="Aidana")
    event = services.new_event(keys, chingiz.user, title="Threats online", reports=[report])
    other = services.new_event(keys, chingiz.user, title="Threats offline")
    act = services.add_act(event, keys, victim=person, details={"type": "threats"})
    return event, other, act, person, report


def _urls(event, other, act, person, report) -> list[tuple[str, str, dict[str, object]]]:
    e, p = f"/en/staff/records/events/{event.pk}/", f"/en/staff/records/persons/{person.pk}/"
    return [
        ("get", EVENTS, {}),
        ("get", "/en/staff/records/events/new/", {}),
        ("post", "/en/staff/records/events/new/", {"title": "By hand"}),
        ("get", f"/en/staff/records/code/{report.pk}/", {}),
        ("post", f"/en/staff/records/code/{report.pk}/", {"title": "From the report"}),
        ("get", e, {}),
        ("post", e + "edit/", {"title": "Renamed"}),
        ("post", e + "acts/", {"victim": str(person.pk), "type": "threats.death"}),
        ("post", e + "perpetrators/", {"act": str(act.pk), "perpetrator": str(person.pk)}),
        ("post", e + "sources/", {"source_type": "witness", "reliability": "high"}),
        ("post", e + "interventions/", {"party_type": "lawyer", "type": "legal_aid"}),
        ("post", e + "links/", {"to_event": str(other.pk), "relation": "precedes"}),
        ("get", p, {}),
        ("post", p + "edit/", {"pseudonym": "Aidana K."}),
        ("post", p + "consent/", {"purpose": "services", "given": "given", "on": "2025-01-05",
                                  "how": "in person"}),
        ("post", p + "identity/", {}),
        ("post", p + "identity/edit/", {"names": "Айдана"}),
    ]


def _state() -> list[int]:
    return [model.objects.count() for model in (Event, Act, Involvement, Information,
                                                Intervention, ChainLink, Person, ConsentEntry)]


@pytest.mark.parametrize("who,allowed", [("amir", True), ("chingiz", True), ("bota", False),
                                         ("dana", False)])
def test_role_matrix_for_every_coding_view(client, request, world, who, allowed):
    log_in(client, request.getfixturevalue(who))
    before = _state()
    for method, url, data in _urls(*world):
        response = getattr(client, method)(url, data)
        if allowed:
            assert response.status_code in (200, 302), (url, response.status_code)
        else:
            assert response.status_code == 403, (url, response.status_code)
    if allowed:
        assert _state() == [before[0] + 2, before[1] + 1, before[2] + 1, before[3] + 1,
                            before[4] + 1, before[5] + 1, before[6], before[7] + 1]
    else:
        assert _state() == before


def test_strangers_are_sent_to_log_in_and_disabled_staff_get_nothing(world, erlan):
    before = _state()
    for method, url, data in _urls(*world):
        response = getattr(Client(), method)(url, data)
        assert response.status_code == 302 and "/staff/login/" in response["Location"], url
    locked_out = log_in(Client(), erlan)
    for method, url, data in _urls(*world):
        response = getattr(locked_out, method)(url, data)
        assert response.status_code in (302, 403), url
    assert _state() == before


def test_every_change_needs_the_csrf_token(csrf_client, chingiz, world):
    log_in(csrf_client, chingiz)
    before = _state()
    for method, url, data in _urls(*world):
        if method == "post":
            assert csrf_client.post(url, data).status_code == 403, url
    assert _state() == before
    event = world[0]
    page = csrf_client.get(f"/en/staff/records/events/{event.pk}/").content.decode()
    response = csrf_client.post(f"/en/staff/records/events/{event.pk}/sources/", {
        "source_type": "witness", "reliability": "high",
        "csrfmiddlewaretoken": csrf_token_in(page)})
    assert response.status_code == 302
    assert Information.objects.count() == 1


def test_the_menu_shows_records_to_those_who_code(client, chingiz, dana):
    log_in(client, chingiz)
    assert f'href="{EVENTS}"' in client.get("/en/staff/").content.decode()
    log_in(client, dana)
    assert f'href="{EVENTS}"' not in client.get("/en/staff/").content.decode()


def test_the_coding_screens_speak_the_readers_language(client, chingiz):
    keys = chingiz.keyring()
    event = services.new_event(keys, chingiz.user, title="Рейд", details={
        "place": {"code": "kg.chuy", "detail": ""}, "violation_status": "confirmed"})
    victim = services.new_person(keys, pseudonym="Азамат")
    services.add_act(event, keys, victim=victim, details={"type": "detention.arbitrary"})
    log_in(client, chingiz)
    page = client.get(f"/ru/staff/records/events/{event.pk}/").content.decode()
    assert "Произвольное задержание" in page and "Чуйская область" in page
    assert "Подтверждено" in page
    page = client.get(f"/ky/staff/records/events/{event.pk}/").content.decode()
    assert "Чүй облусу" in page


def test_a_retired_term_does_not_make_an_old_event_unsaveable(client, chingiz, monkeypatch):
    from dataclasses import replace

    from kalkan.records import vocabularies

    old = vocabularies.VOCABULARIES["violation_status"]
    retired = vocabularies.Vocabulary(old.name, old.titles, [
        replace(term, inactive=True) if term.code == "possible" else term for term in old])
    monkeypatch.setitem(vocabularies.VOCABULARIES, "violation_status", retired)
    event = services.new_event(chingiz.keyring(), chingiz.user, title="Old",
                               details={"violation_status": "possible"})
    log_in(client, chingiz)
    url = f"/en/staff/records/events/{event.pk}/"
    edit = client.get(url).content.decode().split('id="edit"')[1]
    assert 'value="possible" selected' in edit
    assert 'value="possible"' not in client.get("/en/staff/records/events/new/").content.decode()
    response = client.post(url + "edit/", {"title": "Old, renamed",
                                           "violation_status": "possible"})
    assert response.status_code == 302
