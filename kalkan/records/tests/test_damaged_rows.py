"""One damaged or planted row (a database writer's, or a bad disk) must not stop every
working set from being built: the search of everyone would fail at each login. The row is
left out and said so (vault.tampered); everything else is found."""

from __future__ import annotations

import pytest

from kalkan.audit.models import AuditEntry
from kalkan.records import services
from kalkan.records.models import Involvement, Person
from kalkan.vault import workingset
from kalkan.vault.models import ContentKey

pytestmark = pytest.mark.django_db


def _break_mac(row) -> None:
    ContentKey.objects.filter(pk=row.content_key_id).update(mac=b"\x00" * 32)


def test_a_tampered_perpetrator_or_victim_leaves_the_acts_searchable(organisation, chingiz):
    keys = chingiz.keyring()
    aliev = services.new_person(keys, pseudonym="Aliev")
    police = services.new_person(keys, pseudonym="Patrol unit 7",
                                 profile={"kind": "organisation"})
    raid = services.new_event(keys, chingiz.user, title="Raid on the community centre")
    detained = services.add_act(raid, keys, victim=aliev, details={"type": "detention"})
    services.add_involvement(detained, keys, perpetrator=police,
                             details={"perpetrator_types": ["police"]})
    _break_mac(Involvement.objects.get())
    _break_mac(Person.objects.get(pk=police.pk))

    working = workingset.WorkingSet.empty()
    workingset.catch_up(working, keys)
    assert str(detained.pk) in working.search("community centre")
    assert str(detained.pk) in working.search("Aliev")
    assert working.search("Patrol") == []
    refused = set(AuditEntry.objects.filter(action="vault.tampered")
                  .values_list("object_id", flat=True))
    assert any(str(police.content_key_id) in entry for entry in refused)
