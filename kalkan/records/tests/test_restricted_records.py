"""What was coded from a report moves with it when its case is restricted afterwards: the
event, its acts, involvements and sources, and the persons named nowhere else."""

from __future__ import annotations

import pytest

from kalkan.desk import services as desk
from kalkan.intake.models import Report
from kalkan.intake.services import Submission, submit_report
from kalkan.records import services
from kalkan.records.models import Act, Event, Person
from kalkan.vault import workingset
from kalkan.vault.records import open_content_key
from kalkan.vault.workingset import Query


def test_restricting_a_case_later_seals_its_coded_records(amir, bota, chingiz):
    submit_report(Submission(narrative="Raid on Nodira's flat"), [])
    report = Report.objects.select_related("content_key").get()
    keys = chingiz.keyring()
    nodira = services.new_person(keys, pseudonym="Nodira")
    shared = services.new_person(keys, pseudonym="Patrol 3", profile={"kind": "organisation"})
    event = services.new_event(keys, chingiz.user, title="Raid on a flat", reports=[report])
    act = services.add_act(event, keys, victim=nodira, details={"type": "detention"})
    services.add_involvement(act, keys, perpetrator=shared,
                             details={"perpetrator_types": ["police"]})
    other = services.new_event(keys, chingiz.user, title="Another raid")
    services.add_involvement(services.add_act(other, keys, victim=services.new_person(
        keys, pseudonym="Someone"), details={"type": "assault"}), keys, perpetrator=shared,
        details={"perpetrator_types": ["police"]})
    before = workingset.for_session("amir", amir.keyring())
    assert before.find(Query(kind="act", words="Nodira")).total == 1

    bota_keys = bota.keyring()
    case = desk.open_case([report], bota_keys, bota.user)
    desk.restrict(case, [bota.user], bota_keys, bota.user)

    outsider = amir.keyring()
    for row in (Event.objects.get(pk=event.pk), Act.objects.get(pk=act.pk),
                Person.objects.get(pk=nodira.pk)):
        with pytest.raises(PermissionError):
            open_content_key(row.content_key, outsider)
    # The perpetrator is named in another event too: it stays reachable for that event.
    assert open_content_key(Person.objects.get(pk=shared.pk).content_key, outsider)
    assert services.visible_events(outsider).filter(pk=event.pk).count() == 0
    after = workingset.for_session("amir", outsider)
    assert after.find(Query(kind="act", words="Nodira")).total == 0
    assert after.find(Query(kind="act", words="Someone")).total == 1
    member = workingset.for_session("bota", bota.keyring())
    assert member.find(Query(kind="act", words="Nodira")).total == 1
