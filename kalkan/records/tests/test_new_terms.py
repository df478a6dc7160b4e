"""Terms the seven test incidents needed when they were coded (issue 11): an attempted raid,
defamation or insult, retaliatory detention, reprisal for advocacy, failure to protect as an
act, a denied family contact, SMS as a platform, a telecom company as perpetrator, and a
law link for reprisals against its opponents. Each is chosen on the coding screens, stored as
its code, shown in words, engages treaty articles and is grouped by the publication gate.
All names and places are invented."""

from __future__ import annotations

import pytest

from kalkan.analysis import gate, laws
from kalkan.analysis.mechanisms import articles_engaged, mechanisms
from kalkan.core.testing import log_in
from kalkan.intake.models import Report
from kalkan.intake.services import Submission, submit_report
from kalkan.records import services
from kalkan.records.models import Act, Event
from kalkan.records.vocabularies import vocabulary

pytestmark = pytest.mark.django_db

NEW_ACTS = {
    # code: (its group for publication, what a documenter reads in Russian)
    "raid.attempted": ("digital", "Попытка рейда или незаконного проникновения"),
    "defamation": ("digital", "Клевета или оскорбление"),
    "detention.retaliatory": ("liberty", "Задержание пострадавшего вместо нападавших"),
    "reprisal": ("civic_space",
                 "Преследование в отместку за правозащитную деятельность или активизм"),
    "failure_to_protect": ("justice", "Непредоставление защиты: власти не предотвратили и "
                                      "не остановили нападение"),
    "contact_denied": ("justice", "Отказ в связи с родственниками при задержании"),
}


def test_every_new_term_has_four_labels_and_leaves_old_codes_alone():
    acts = vocabulary("act_types")
    for code in NEW_ACTS:
        assert all(acts.terms[code].labels[lang] for lang in ("en", "ru", "ky", "kk")), code
        assert acts.is_active(code)
    # Codes that records already hold keep their place: new terms only add.
    assert [t.code for t in acts.ancestors("raid.office")] == ["digital", "raid"]
    assert vocabulary("platforms").label("sms", "kk") == "SMS немесе ұялы байланыс операторы"
    telecom = vocabulary("perpetrator_types").terms["private_company.telecom"]
    assert telecom.parent == "private_company" and telecom.label("ky")
    assert vocabulary("law_relations").label("reprisal_for_opposing", "ru") == (
        "Преследование за противодействие этому закону")


def test_the_gate_groups_the_new_act_types_and_they_engage_treaty_articles():
    upr = mechanisms()["upr"]
    for code, (group, _label) in NEW_ACTS.items():
        assert gate.group_act_type(code) == group, code
        assert articles_engaged(code, upr), code
    assert "iccpr.17" in articles_engaged("defamation", upr)
    assert "cat.2" in articles_engaged("failure_to_protect", mechanisms()["cat"])
    assert "hrd_declaration.12" in articles_engaged("reprisal", mechanisms()["sr_hrd"])


def test_a_documenter_codes_the_new_terms_and_reads_them_in_words(client, chingiz):
    keys = chingiz.keyring()
    event = services.new_event(keys, chingiz.user, title="Bulk SMS and a raid attempt")
    url = f"/ru/staff/records/events/{event.pk}/"
    log_in(client, chingiz)
    for code in NEW_ACTS:
        response = client.post(url + "acts/", {"victim": "new", "victim-pseudonym": "Айдана",
                                               "victim-kind": "individual", "type": code})
        assert response.status_code == 302, code
    sms = client.post(url + "acts/", {
        "victim": "new", "victim-pseudonym": "Staff of an invented NGO",
        "victim-kind": "organisation", "type": "disinformation", "digital_applies": "on",
        "digital_platform": "sms", "digital_content_type": "disinformation"})
    assert sms.status_code == 302
    act = Act.objects.filter(event=event).order_by("revision").last()
    assert act is not None
    response = client.post(url + "perpetrators/", {
        "act": str(act.pk), "perpetrator": "new", "perpetrator-pseudonym": "Invented Telecom",
        "perpetrator-kind": "organisation", "perpetrator_types": ["private_company.telecom"],
        "degree": "complicit"})
    assert response.status_code == 302

    bundle = services.event_bundle(Event.objects.get(pk=event.pk), keys)
    types = sorted(a["details"]["type"] for a in bundle["acts"])
    assert types == sorted([*NEW_ACTS, "disinformation"])
    (digital,) = [a for a in bundle["acts"] if a["details"]["type"] == "disinformation"]
    assert digital["details"]["digital"]["platform"] == "sms"
    assert digital["involvements"][0]["details"]["perpetrator_types"] == [
        "private_company.telecom"]

    page = client.get(url).content.decode()
    for _group, label in NEW_ACTS.values():
        assert label in page, label
    assert "SMS или мобильный оператор" in page
    assert "Операторы связи и мобильные операторы" in page


def test_a_law_link_says_the_event_was_a_reprisal_for_opposing_the_law(client, chingiz):
    keys = chingiz.keyring()
    law = laws.new_law(keys, chingiz.user, title="Bill on “foreign representatives”",
                       details={"country": "kg", "type": "foreign_agents"})
    event = services.new_event(keys, chingiz.user, title="Activist taken after a speech")
    log_in(client, chingiz)
    response = client.post(f"/en/staff/laws/events/{event.pk}/link/", {
        "law": str(law.pk), "relation": "reprisal_for_opposing"})
    assert response.status_code == 302
    page = client.get(f"/en/staff/records/events/{event.pk}/").content.decode()
    assert "Reprisal for opposing it" in page.split('id="laws"')[1].split("</section>")[0]


def test_coding_a_report_starts_each_act_from_what_the_reporter_ticked(client, chingiz):
    submit_report(Submission(
        narrative="They tried to break into the office, then fined our director for nothing.",
        answers={"reporter_role": "organisation", "acts": ["other", "raid", "fabricated_charges"],
                 "perpetrators": ["military"], "country": "KG"}), [])
    report = Report.objects.get()
    log_in(client, chingiz)
    response = client.post(f"/en/staff/records/code/{report.pk}/", {
        "title": "Break-in attempt and a fine", "description": "Office, then a fine.",
        "start_year": "2026", "place": "kg", "violation_status": "likely"})
    assert response.status_code == 302
    url = response["Location"]
    assert '<option value="raid" selected>' in client.get(url).content.decode()
    assert client.post(url + "acts/", {"victim": "new", "victim-pseudonym": "Invented NGO",
                                       "victim-kind": "organisation",
                                       "type": "raid.attempted"}).status_code == 302
    # A raid is coded (more precisely): the next act starts from the fine.
    page = client.get(url).content.decode()
    assert '<option value="fabricated_charges" selected>' in page
    assert '<option value="raid" selected>' not in page
