"""Generated records: the same seed gives the same records, every act hangs together, every
code is one the vocabularies and the gazetteer know, and a working set built from them
finds and counts acts consistently."""

from __future__ import annotations

import io
import json
from collections import Counter

import pytest
from django.core.management import CommandError, call_command

from kalkan.records import gazetteer
from kalkan.records.generator import generate, plan
from kalkan.records.indexing import ACT_FACETS
from kalkan.records.models import Act, Event, Information, Involvement, Person
from kalkan.records.services import opened
from kalkan.records.vocabularies import vocabulary
from kalkan.vault import workingset
from kalkan.vault.workingset import Query

ACTS = 200


def _planned(acts: int, seed: int) -> list[str]:
    return [json.dumps(chunk.__dict__, sort_keys=True) for chunk in plan(acts, seed)]


def test_the_same_seed_plans_the_same_records():
    assert _planned(ACTS, 7) == _planned(ACTS, 7)
    assert _planned(ACTS, 7) != _planned(ACTS, 8)
    assert sum(len(chunk.acts) for chunk in plan(2500, 1)) == 2500  # several chunks


@pytest.fixture
def generated(chingiz):
    keys = chingiz.keyring()
    counts = generate(keys, acts=ACTS, seed=3, by=chingiz.user)
    return keys, counts


def _sealed(model, keys) -> list[dict]:
    return [opened(row, keys) for row in model.objects.select_related("content_key")]


def test_what_is_stored_is_what_the_seed_plans(generated):
    keys, counts = generated
    assert counts["acts"] == Act.objects.count() == ACTS
    assert counts["events"] == Event.objects.count()
    assert 60 <= counts["events"] <= 100  # about 2.5 acts per event
    assert counts["persons"] == Person.objects.count()
    assert counts["victims"] + counts["perpetrators"] == counts["persons"]
    assert counts["involvements"] == Involvement.objects.count()
    assert counts["sources"] == Information.objects.count() == counts["events"]
    stored = sorted(json.dumps(act["details"], sort_keys=True)
                    for act in _sealed(Act, keys))
    planned = sorted(json.dumps(json.loads(row["details"]), sort_keys=True)
                     for chunk in plan(ACTS, 3) for row, _event, _victim in chunk.acts)
    assert stored == planned


def test_every_act_has_an_event_a_victim_and_known_codes(generated):
    keys, _counts = generated
    victims = set(Act.objects.values_list("victim_id", flat=True))
    perpetrators = set(Involvement.objects.values_list("perpetrator_id", flat=True))
    assert not Act.objects.filter(event__isnull=True).exists()
    assert victims and not victims & perpetrators  # victims are never perpetrators here
    act_types = vocabulary("act_types")
    for act in _sealed(Act, keys):
        details = act["details"]
        assert details["type"] in act_types and act_types.is_active(details["type"])
        for code in details["victim_characteristics"]:
            assert code in vocabulary("victim_characteristics")
        assert details["type_of_place"] in vocabulary("type_of_place")
        for code in details["consequences"]:
            assert code in vocabulary("consequences")
    for event in _sealed(Event, keys):
        details = event["details"]
        place = gazetteer.place(details["place"]["code"])
        assert place is not None and place.country in ("KG", "KZ")
        assert place.level in ("region", "district", "city")
        assert 2015 <= details["start"]["year"] <= 2026
        assert details["violation_status"] in vocabulary("violation_status")
        assert details["generated"] is True
        assert event["title"] and event["description"]
    for involvement in _sealed(Involvement, keys):
        for code in involvement["details"]["perpetrator_types"]:
            assert code in vocabulary("perpetrator_types")
    for source in _sealed(Information, keys):
        assert source["details"]["reliability"] in vocabulary("reliability")
        assert source["details"]["source_type"] in vocabulary("source_types")
    for person in _sealed(Person, keys):
        profile = person["profile"]
        assert person["pseudonym"]
        assert profile["kind"] in vocabulary("person_kind")
        if "age_band" in profile:
            assert profile["age_band"] in vocabulary("age_band")
            assert profile["gender_identity"]["code"] in vocabulary("gender_identity")
            assert profile["sexual_orientation"]["code"] in vocabulary("sexual_orientation")


def test_a_working_set_finds_and_counts_the_generated_acts(generated):
    keys, _counts = generated
    working = workingset.build(keys)
    everything = working.find(Query(kind="act", facets=ACT_FACETS))
    assert everything.total == ACTS
    act_types = vocabulary("act_types")
    counts = dict(everything.facets["act_type"])
    top = [code for code in counts if not act_types.ancestors(code)]
    assert sum(counts[code] for code in top) == ACTS  # each act has one type, one top level
    for name in ("country", "hrd", "violation_status", "year", "age_band"):
        assert sum(count for _value, count in everything.facets[name]) == ACTS, name
    assert set(dict(everything.facets["country"])) <= {"kg", "kz"}
    assert 0 < dict(everything.facets["hrd"]).get("yes", 0) < ACTS * 0.3

    # A filter on a top-level term finds exactly what its count said, and its counts agree.
    code, expected = max(((c, counts[c]) for c in top), key=lambda pair: pair[1])
    found = working.find(Query(kind="act", filters={"act_type": [code]}, facets=ACT_FACETS,
                               limit=ACTS))
    assert found.total == expected == len(found.ids)
    assert dict(found.facets["act_type"])[code] == expected
    narrower = {t.code for t in act_types.descendants(code)}
    for act_id in found.ids:
        fields = working.fields(act_id)
        assert fields is not None and fields["type"] in narrower

    region, in_region = everything.facets["region"][0]
    assert working.find(Query(kind="act", filters={"region": [region]})).total == in_region


def test_facet_counts_agree_with_filters_for_few_hits_and_for_many(chingiz):
    """Over all acts the counts come from one pass over the facets, over a small set from
    each hit's own facets: either way a count is what filtering on that value finds."""
    keys = chingiz.keyring()
    generate(keys, acts=1500, seed=11)
    working = workingset.build(keys)
    asked = ("act_type", "country", "region", "hrd", "year")
    everything = working.find(Query(kind="act", facets=asked))
    bishkek = working.find(Query(kind="act", filters={"region": ["kg.bishkek"]}, facets=asked))
    assert everything.total == 1500 and 0 < bishkek.total < 1000
    for base, found in (({}, everything), ({"region": ["kg.bishkek"]}, bishkek)):
        for name in asked:
            for value, count in found.facets[name][:4]:
                narrowed = {**base, name: [value]}
                assert working.find(Query(kind="act", filters=narrowed)).total == count
    newest = working.find(Query(kind="act", sort="newest", limit=100, offset=20))
    dates = [(working.fields(act_id) or {})["date"] for act_id in newest.ids]
    assert dates == sorted(dates, reverse=True) and len(dates) == 100


def test_the_command_asks_for_the_passphrase(chingiz, dana, monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr("sys.stdin", io.StringIO(chingiz.passphrase + "\n"))
    call_command("generate_records", "--acts", "30", "--seed", "2", "--as", "chingiz",
                 stdout=out)
    assert Act.objects.count() == 30
    assert "30 acts" in out.getvalue()

    monkeypatch.setattr("sys.stdin", io.StringIO(chingiz.passphrase + "\n"))
    with pytest.raises(CommandError, match="already holds"):
        call_command("generate_records", "--acts", "5", "--as", "chingiz", stdout=out)
    monkeypatch.setattr("sys.stdin", io.StringIO("not the passphrase\n"))
    with pytest.raises(CommandError, match="not right"):
        call_command("generate_records", "--acts", "5", "--as", "chingiz", "--add",
                     stdout=out)
    monkeypatch.setattr("sys.stdin", io.StringIO(dana.passphrase + "\n"))
    with pytest.raises(CommandError, match="may not code records"):
        call_command("generate_records", "--acts", "5", "--as", "dana", "--add", stdout=out)
    assert Act.objects.count() == 30
    assert Counter(Event.objects.values_list("coded_by__username", flat=True)) == {
        "chingiz": Event.objects.count()}
