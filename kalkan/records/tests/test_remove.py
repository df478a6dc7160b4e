"""Removing an act or an event recorded by mistake (a duplicate from a double submit): a
confirmation page without JavaScript, then removal for good — keys destroyed, audit-logged,
and out of search, facet counts, every loaded working set and every encrypted snapshot,
including a working set another process loaded before the removal. Only those who code
records may do it. All names are invented."""

from __future__ import annotations

import pytest
from django.test import Client

from kalkan.analysis import statistics
from kalkan.audit.models import AuditEntry
from kalkan.core.testing import csrf_token_in, log_in
from kalkan.intake.models import Report
from kalkan.intake.services import Submission, submit_report
from kalkan.records import services
from kalkan.records.models import Act, ChainLink, Event, Involvement, Person
from kalkan.vault import workingset
from kalkan.vault.models import ContentKey
from kalkan.vault.workingset import Query

EVENTS = "/en/staff/records/events/"
POLICE = Query(kind="act", filters={"perpetrator_type": ["police"]},
               facets=("perpetrator_type", "act_type"))


@pytest.fixture
def doubled(chingiz):
    """An event whose detention of Nurlan was saved twice (a double submit), by police."""
    keys = chingiz.keyring()
    nurlan = services.new_person(keys, pseudonym="Nurlan B.")
    police = services.new_person(keys, pseudonym="Unit 7", profile={"kind": "organisation"})
    event = services.new_event(keys, chingiz.user, title="Detained at the rally")
    acts = []
    for _ in range(2):
        act = services.add_act(event, keys, victim=nurlan,
                               details={"type": "detention.arbitrary"})
        services.add_involvement(act, keys, perpetrator=police,
                                 details={"perpetrator_types": ["police"]})
        acts.append(act)
    return event, acts[0], acts[1]


def _snapshot(keys) -> workingset.WorkingSet:
    """The snapshot on disk, as the next unlock reads it (before any catching up)."""
    loaded = workingset.load_snapshot(keys)
    assert loaded is not None
    return loaded


def _counts(working) -> tuple[int, list[tuple[str, int]]]:
    found = working.find(POLICE)
    return found.total, found.facets["act_type"]


def test_removing_a_duplicate_act_takes_it_out_of_every_count_and_snapshot(
    client, chingiz, doubled
):
    event, kept, duplicate = doubled
    keys = chingiz.keyring()
    # Loaded before the removal: a set shared by this process's sessions (its snapshot is
    # written), and one "another process" built and keeps in its own memory.
    mine = workingset.for_session("before-removal", keys)
    elsewhere = workingset.build(keys)
    stale_snapshot = elsewhere.to_bytes()
    assert _counts(mine)[0] == 2 and _counts(elsewhere)[0] == 2
    assert len(statistics.act_rows(mine, Query(kind="act"), keys)) == 2  # what dashboards count
    keys_before = ContentKey.objects.count()

    log_in(client, chingiz)
    url = f"{EVENTS}{event.pk}/acts/{duplicate.pk}/remove/"
    assert f'href="{url}"' in client.get(f"{EVENTS}{event.pk}/").content.decode()
    page = client.get(url).content.decode()
    assert "Remove this act for good?" in page and "Nurlan B." in page and "Unit 7" in page
    assert "<script" not in page and 'method="post"' in page
    assert Act.objects.filter(pk=duplicate.pk).exists()  # looking removes nothing
    for language, question in (("ru", "Удалить это действие навсегда?"),
                               ("ky", "Бул аракетти биротоло өчүрөсүзбү?"),
                               ("kk", "Бұл әрекетті біржола жоясыз ба?")):
        assert question in client.get(url.replace("/en/", f"/{language}/")).content.decode()

    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == f"{EVENTS}{event.pk}/#acts"
    assert list(Act.objects.filter(event=event)) == [kept]
    assert Involvement.objects.count() == 1
    assert ContentKey.objects.count() == keys_before - 2  # the act's and its involvement's
    assert Person.objects.count() == 2  # the victim and the police unit stay
    page = client.get(response["Location"]).content.decode()
    assert "The act is removed." in page and page.count("Remove this act…") == 1
    entry = AuditEntry.objects.get(action="event.remove_act")
    assert entry.object_id == str(event.pk) and entry.actor_id == chingiz.user.pk

    # Out of the set loaded here before, at once, with its facet counts...
    assert _counts(mine) == (1, [("detention", 1), ("detention.arbitrary", 1), ("liberty", 1)])
    assert mine.fields(str(duplicate.pk)) is None
    assert [row.id for row in statistics.act_rows(mine, Query(kind="act"), keys)] == [
        str(kept.pk)]
    # ...out of the snapshot on disk, as it is read at the next unlock...
    on_disk = _snapshot(keys)
    assert on_disk.fields(str(duplicate.pk)) is None
    assert on_disk.fields(str(kept.pk)) is not None
    # ...out of the other process's set when it catches up (no revision is newer)...
    workingset.catch_up(elsewhere, keys)
    assert _counts(elsewhere)[0] == 1 and elsewhere.fields(str(duplicate.pk)) is None
    # ...and out of a snapshot that process wrote from what it held before the removal.
    workingset.drop_all()
    path = workingset._snapshot_path(keys)
    workingset.save_snapshot(workingset.WorkingSet.from_bytes(stale_snapshot), keys)
    assert _snapshot(keys).fields(str(duplicate.pk)) is not None
    rebuilt = workingset.build(keys)
    assert _counts(rebuilt)[0] == 1 and rebuilt.fields(str(duplicate.pk)) is None
    assert _snapshot(keys).fields(str(duplicate.pk)) is None
    assert path.exists()
    # The search page counts one act.
    assert "1 act" in client.get("/en/staff/search/?perpetrator_type=police").content.decode()


def test_removing_an_event_takes_its_acts_and_links_and_uncodes_its_report(
    client, chingiz, doubled
):
    event, first, second = doubled
    keys = chingiz.keyring()
    submit_report(Submission(narrative="They took Nurlan from the square", answers={}), [])
    report = Report.objects.get()
    twice = services.new_event(keys, chingiz.user, title="Nurlan taken (coded twice)",
                               reports=[report])
    services.add_act(twice, keys, victim=first.victim, details={"type": "detention"})
    other = services.new_event(keys, chingiz.user, title="The rally itself")
    services.link_events(twice, other, keys, relation="precedes")
    services.link_events(other, twice, keys, relation="follows")
    working = workingset.for_session("before-removal", keys)
    assert working.find(Query(kind="act")).total == 3
    assert working.find(Query(kind="event", words="twice")).total == 1

    log_in(client, chingiz)
    url = f"{EVENTS}{twice.pk}/remove/"
    assert f'href="{url}"' in client.get(f"{EVENTS}{twice.pk}/").content.decode()
    page = client.get(url).content.decode()
    assert "Remove this event for good?" in page and "Nurlan taken (coded twice)" in page
    assert "shown again among the reports not yet coded" in page
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == EVENTS
    assert not Event.objects.filter(pk=twice.pk).exists()
    assert Act.objects.count() == 2 and ChainLink.objects.count() == 0
    listing = client.get(EVENTS).content.decode()
    assert "The event is removed." in listing and "coded twice" not in listing
    assert f"/en/staff/records/code/{report.pk}/" in listing  # to be coded again
    assert working.find(Query(kind="act")).total == 2
    assert working.find(Query(kind="event", words="twice")).total == 0
    assert _snapshot(keys).find(Query(kind="event", words="twice")).total == 0
    assert AuditEntry.objects.filter(action="event.remove", object_id=str(twice.pk)).exists()
    assert client.get(url).status_code == 404
    assert client.post(f"{EVENTS}{event.pk}/acts/{twice.pk}/remove/").status_code == 404


def test_only_those_who_code_records_remove_and_only_by_post_with_csrf(
    client, csrf_client, chingiz, bota, dana, doubled
):
    event, _kept, duplicate = doubled
    urls = [f"{EVENTS}{event.pk}/acts/{duplicate.pk}/remove/", f"{EVENTS}{event.pk}/remove/"]
    for url in urls:
        response = Client().post(url)
        assert response.status_code == 302 and "/staff/login/" in response["Location"]
    for who in (bota, dana):
        log_in(client, who)
        for url in urls:
            assert client.get(url).status_code == 403
            assert client.post(url).status_code == 403
    log_in(csrf_client, chingiz)
    for url in urls:
        assert csrf_client.post(url).status_code == 403
    assert Act.objects.count() == 2 and Event.objects.count() == 1
    # With the token from the confirmation page it goes.
    page = csrf_client.get(urls[0]).content.decode()
    assert csrf_client.post(urls[0], {"csrfmiddlewaretoken": csrf_token_in(page)}
                            ).status_code == 302
    assert Act.objects.count() == 1
    # Another event's act is not removed through this event's address.
    other = services.new_event(chingiz.keyring(), chingiz.user, title="Elsewhere")
    log_in(client, chingiz)
    assert client.post(f"{EVENTS}{other.pk}/acts/{_kept.pk}/remove/").status_code == 404
    assert client.post(f"{EVENTS}{event.pk}/acts/not-an-id/remove/").status_code == 404
    assert Act.objects.count() == 1


def test_what_is_removed_is_named_by_its_ids(chingiz, doubled):
    """The ids the service returns and keeps for working sets to forget are the removed
    records' own (an act and its involvement), not what deletion leaves of them."""
    from kalkan.vault.models import Removed

    _event, _kept, duplicate = doubled
    expected = {str(duplicate.pk), *(str(pk) for pk in duplicate.involvements.values_list(
        "pk", flat=True))}
    assert set(services.remove_act(duplicate, chingiz.keyring())) == expected
    assert {str(pk) for pk in Removed.objects.values_list("record_id", flat=True)} == expected
