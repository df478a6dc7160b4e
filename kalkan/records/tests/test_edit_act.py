"""Correcting a coded act: the form shows what was stored, saves the change (a subformat
unticked goes), search follows, bad input is refused with nothing saved, and only those
who code records may do it."""

from __future__ import annotations

import pytest

from kalkan.core.testing import log_in
from kalkan.records import services
from kalkan.records.models import Act
from kalkan.vault import workingset
from kalkan.vault.workingset import Query


@pytest.fixture
def coded(chingiz):
    keys = chingiz.keyring()
    victim = services.new_person(keys, pseudonym="Marat K.")
    event = services.new_event(keys, chingiz.user, title="Taken from the flat")
    act = services.add_act(event, keys, victim=victim, details={
        "type": "detention.arbitrary", "stated_reason": "a check of documents",
        "detention": {"type": "police_station", "legal_counsel": "no"}})
    return event, act


def _url(event, act) -> str:
    return f"/en/staff/records/events/{event.pk}/acts/{act.pk}/edit/"


def test_correct_an_act(client, chingiz, coded):
    event, act = coded
    log_in(client, chingiz)
    page = client.get(_url(event, act)).content.decode()
    assert "a check of documents" in page and "Marat K." in page
    assert 'value="detention.arbitrary" selected' in page

    response = client.post(_url(event, act), {"type": "assault",
                                              "stated_reason": "none given"})
    assert response.status_code == 302
    details = services.opened(Act.objects.get(pk=act.pk), chingiz.keyring())["details"]
    assert details["type"] == "assault" and details["stated_reason"] == "none given"
    assert "detention" not in details  # unticked: gone
    working = workingset.for_session("edit-act", chingiz.keyring())
    assert working.find(Query(kind="act", filters={"act_type": ["violence"]})).total == 1
    assert working.find(Query(kind="act", filters={"act_type": ["liberty"]})).total == 0


def test_bad_input_saves_nothing(client, chingiz, coded):
    event, act = coded
    log_in(client, chingiz)
    before = Act.objects.get(pk=act.pk).revision
    response = client.post(_url(event, act), {"type": "no-such-type",
                                              "start_year": "3000"})
    assert response.status_code == 400
    assert Act.objects.get(pk=act.pk).revision == before
    assert client.get(f"/en/staff/records/events/{event.pk}/acts/not-an-id/edit/"
                      ).status_code == 404


def test_only_those_who_code_records(client, bota, dana, coded):
    event, act = coded
    for who in (bota, dana):
        log_in(client, who)
        assert client.get(_url(event, act)).status_code == 403
        assert client.post(_url(event, act), {"type": "assault"}).status_code == 403
        assert client.post(f"/en/staff/records/events/{event.pk}/source/{act.pk}/remove/"
                           ).status_code == 403


def test_remove_a_perpetrator_source_or_intervention(client, chingiz, coded):
    from kalkan.records.models import Information, Intervention, Involvement
    from kalkan.vault.models import ContentKey

    event, act = coded
    keys = chingiz.keyring()
    police = services.new_person(keys, pseudonym="Unit 3", profile={"kind": "organisation"})
    involvement = services.add_involvement(act, keys, perpetrator=police,
                                           details={"perpetrator_types": ["police"]})
    source = services.add_information(event, keys, source=None,
                                      details={"reliability": "high"})
    help_ = services.add_intervention(event, keys, victim=None,
                                      details={"type": "urgent_appeal"})
    working = workingset.for_session("remove-part", keys)
    assert working.find(Query(kind="act", filters={"perpetrator_type": ["police"]})).total == 1
    log_in(client, chingiz)
    base = f"/en/staff/records/events/{event.pk}"
    page = client.get(base + "/").content.decode()
    assert f"{base}/perpetrator/{involvement.pk}/remove/" in page
    # A part of this event cannot be removed through another event's address.
    other = services.new_event(keys, chingiz.user, title="Another event")
    assert client.post(f"/en/staff/records/events/{other.pk}/source/{source.pk}/remove/"
                       ).status_code == 404
    assert Information.objects.filter(pk=source.pk).exists()
    keys_before = ContentKey.objects.count()
    for kind, row in (("perpetrator", involvement), ("source", source),
                      ("intervention", help_)):
        assert client.get(f"{base}/{kind}/{row.pk}/remove/").status_code == 405
        assert client.post(f"{base}/{kind}/{row.pk}/remove/").status_code == 302
    assert not Involvement.objects.exists() and not Information.objects.exists()
    assert not Intervention.objects.exists()
    assert ContentKey.objects.count() == keys_before - 3  # their keys are gone too
    working = workingset.for_session("remove-part", keys)
    assert working.find(Query(kind="act", filters={"perpetrator_type": ["police"]})).total == 0
    assert client.post(f"{base}/nothing/{act.pk}/remove/").status_code == 404
    assert client.post(f"{base}/source/not-an-id/remove/").status_code == 404
