"""The whole documentation model round-trips through encryption, and nothing of it is
readable in the database columns."""

from __future__ import annotations

from datetime import date

import pytest

from kalkan.records import consent, services
from kalkan.records.models import Act, Event, Person

PLACE = {"code": "kg.chuy", "detail": "the café by the bus station"}


@pytest.fixture
def coded(chingiz):
    keys = chingiz.keyring()
    victim = services.new_person(
        keys, pseudonym="Timur K.",
        profile={"kind": "individual", "age_band": "25_34",
                 "gender_identity": {"code": "man", "self_described": ""},
                 "sexual_orientation": {"code": "gay", "self_described": ""},
                 "characteristics": ["hrd"], "hrd_role": "outreach worker"},
        identity={"names": ["Тимур Касымов"], "contacts": ["+996 555 000 111"]},
    )
    friend = services.new_person(keys, pseudonym="Azamat", profile={"kind": "individual"})
    police = services.new_person(keys, pseudonym="District 4 police",
                                 profile={"kind": "organisation"})
    event = services.new_event(
        keys, chingiz.user, title="Entrapment and detention in Tokmok",
        description="Lured through a dating app, detained, money demanded.",
        details={"start": {"year": 2025, "month": 3, "day": None, "precision": "month"},
                 "place": PLACE, "violation_status": "confirmed"},
    )
    detention = services.add_act(event, keys, victim=victim, details={
        "type": "detention", "start": {"year": 2025, "month": 3, "day": 14, "precision": "day"},
        "methods": [], "consequences": ["outing_family"],
        "detention": {"type": "unofficial", "legal_counsel": False},
        "extortion": {"amount": "500", "currency": "usd", "payment_method": "cash"},
    })
    services.add_involvement(detention, keys, perpetrator=police,
                             details={"perpetrator_types": ["police.district"],
                                      "degree": "direct"})
    services.add_act(event, keys, victim=friend, details={"type": "threats"})
    services.add_information(event, keys, source=victim,
                             details={"source_type": "victim_testimony", "reliability": "high"})
    services.add_intervention(event, keys, victim=victim,
                              details={"party_type": "lawyer", "type": "complaint_prosecutor",
                                       "status": "ongoing"})
    later = services.new_event(keys, chingiz.user, title="Fined under the propaganda law")
    services.link_events(event, later, keys, relation="causes")
    consent.record(victim, "statistics", given=True, on=date(2025, 3, 20), how="interview",
                   keyring=keys, by=chingiz.user)
    return keys, event, victim


def test_the_model_round_trips(coded):
    keys, event, victim = coded
    bundle = services.event_bundle(Event.objects.get(pk=event.pk), keys)
    assert bundle["title"] == "Entrapment and detention in Tokmok"
    assert bundle["details"]["place"] == PLACE
    first, second = bundle["acts"]
    assert first["details"]["detention"] == {"type": "unofficial", "legal_counsel": False}
    assert first["details"]["extortion"]["currency"] == "usd"
    assert first["victim"]["pseudonym"] == "Timur K."
    assert first["victim"]["identity"]["names"] == ["Тимур Касымов"]
    assert first["involvements"][0]["perpetrator"]["pseudonym"] == "District 4 police"
    assert first["involvements"][0]["details"]["perpetrator_types"] == ["police.district"]
    assert second["details"]["type"] == "threats"
    assert bundle["sources"][0]["details"]["reliability"] == "high"
    assert bundle["interventions"][0]["details"]["type"] == "complaint_prosecutor"
    assert bundle["links"][0]["details"]["relation"] == "causes"


def test_nothing_is_readable_in_the_columns(coded):
    _keys, event, victim = coded
    for row in (Event.objects.get(pk=event.pk), Person.objects.get(pk=victim.pk),
                *Act.objects.all()):
        for name in row.SEALED_FIELDS:
            blob = bytes(getattr(row, name))
            assert b"Tokmok" not in blob and "Тимур".encode() not in blob
            assert b"detention" not in blob and b"kg.chuy" not in blob


def test_consent_is_dated_revocable_and_the_newest_decides(coded, chingiz):
    keys, _event, victim = coded
    assert consent.permitted(victim, "statistics", keys)
    assert not consent.permitted(victim, "media", keys)
    consent.record(victim, "statistics", given=False, on=date(2025, 6, 1), how="phone call",
                   keyring=keys, by=chingiz.user)
    assert not consent.permitted(victim, "statistics", keys)
    history = consent.ledger(victim, keys)
    assert [(s.purpose, s.given) for s in history] == [("statistics", True),
                                                      ("statistics", False)]
    allowed, left_out = consent.split_by_consent([victim], "statistics", keys)
    assert allowed == [] and left_out == 1
