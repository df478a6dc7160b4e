"""Duplicate suggestions across transliterations and near dates, and merges that keep
history."""

from __future__ import annotations

from kalkan.records import duplicates, services
from kalkan.records.models import Act, Event, Person
from kalkan.vault import workingset


def test_same_person_in_another_script_is_suggested_and_merged(chingiz):
    keys = chingiz.keyring()
    cyrillic = services.new_person(keys, pseudonym="Жанибек Алиев")
    latin = services.new_person(keys, pseudonym="Zhanibek Aliyev")
    other = services.new_person(keys, pseudonym="Dilnaz")
    event = services.new_event(keys, chingiz.user, title="Detained at the market")
    act = services.add_act(event, keys, victim=latin, details={"type": "detention"})
    working = workingset.for_session("dup", keys)
    found = duplicates.similar_persons(working, "Жанибек Алиев", exclude=str(cyrillic.pk))
    assert [s.id for s in found] == [str(latin.pk)]
    assert str(other.pk) not in [s.id for s in found]

    duplicates.merge_persons(cyrillic, latin)
    assert Act.objects.get(pk=act.pk).victim_id == cyrillic.pk
    assert Person.objects.get(pk=latin.pk).merged_into_id == cyrillic.pk  # history kept
    working = workingset.for_session("dup", keys)
    assert duplicates.similar_persons(working, "Жанибек Алиев", exclude=str(cyrillic.pk)) == []
    assert (working.fields(str(act.pk)) or {}).get("victim") == "Жанибек Алиев"


def test_events_near_in_date_and_place_are_suggested_and_merged(chingiz):
    keys = chingiz.keyring()
    place = {"code": "kg.osh-city", "detail": ""}
    first = services.new_event(keys, chingiz.user, title="Raid on the flat",
                               details={"start": {"year": 2025, "month": 5, "day": 3},
                                        "place": place})
    second = services.new_event(keys, chingiz.user, title="Police came to our flat",
                                details={"start": {"year": 2025, "month": 5, "day": 6},
                                         "place": place})
    far = services.new_event(keys, chingiz.user, title="Raid in autumn",
                             details={"start": {"year": 2025, "month": 10, "day": 1},
                                      "place": place})
    victim = services.new_person(keys, pseudonym="Azat")
    act = services.add_act(second, keys, victim=victim, details={"type": "device_search"})
    working = workingset.for_session("dup", keys)
    found = duplicates.similar_events(working, event_id=str(first.pk),
                                      start={"year": 2025, "month": 5, "day": 3},
                                      region="kg.osh-city")
    assert [s.id for s in found] == [str(second.pk)] and str(far.pk) not in found

    duplicates.merge_events(Event.objects.select_related("content_key").get(pk=first.pk),
                            Event.objects.select_related("content_key").get(pk=second.pk))
    assert Act.objects.get(pk=act.pk).event_id == first.pk
    assert Event.objects.get(pk=second.pk).merged_into_id == first.pk
    assert services.visible_events(keys).filter(pk=second.pk).count() == 0
