"""On the event page: a reporter's file becomes evidence of the event, evidence kept
elsewhere is described, every opening and download is in the chain of custody; a
duplicate event or person suggested there is merged with history kept."""

from __future__ import annotations

import pytest
from django.test import Client

from kalkan.core.testing import log_in
from kalkan.records import services
from kalkan.records.models import Custody, Event, EvidenceItem, Person
from kalkan.records.tests.test_evidence_items import _uploaded


@pytest.fixture
def event_with_file(chingiz):
    keys = chingiz.keyring()
    upload = _uploaded(b"fictional photo bytes " * 50)
    event = services.new_event(keys, chingiz.user, title="Filmed at the station",
                               reports=[upload.report])
    return event, upload


def test_a_reporters_file_becomes_evidence_with_its_custody(client, chingiz, event_with_file):
    event, upload = event_with_file
    log_in(client, chingiz)
    url = f"/en/staff/records/events/{event.pk}/"
    page = client.get(url).content.decode()
    assert "video.mp4" in page and "Make it evidence of this event" in page
    response = client.post(f"{url}evidence/{upload.pk}/")
    item = EvidenceItem.objects.get()
    assert response["Location"] == f"/en/staff/records/evidence/{item.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "video.mp4" in page and "Chain of custody" in page
    download = client.get(f"/en/staff/records/evidence/{item.pk}/file/")
    assert download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content) == b"fictional photo bytes " * 50
    assert list(Custody.objects.values_list("action", flat=True)) == [
        "added", "viewed", "downloaded"]
    client.post(f"{url}evidence/", {"title": "Medical certificate", "held_by": "the lawyer"})
    assert EvidenceItem.objects.count() == 2
    assert "Medical certificate" in client.get(url).content.decode()


def test_only_coders_handle_evidence(chingiz, dana, bota, event_with_file):
    event, upload = event_with_file
    for person in (dana, bota):
        outsider = log_in(Client(), person)
        assert outsider.post(
            f"/en/staff/records/events/{event.pk}/evidence/{upload.pk}/").status_code == 403
    assert not EvidenceItem.objects.exists()


def test_duplicates_are_offered_and_merged(client, chingiz):
    keys = chingiz.keyring()
    place = {"code": "kg.osh-city", "detail": ""}
    first = services.new_event(keys, chingiz.user, title="Raid on the flat",
                               details={"start": {"year": 2025, "month": 5, "day": 3},
                                        "place": place})
    second = services.new_event(keys, chingiz.user, title="Police at our flat",
                                details={"start": {"year": 2025, "month": 5, "day": 4},
                                         "place": place})
    cyrillic = services.new_person(keys, pseudonym="Жанибек")
    latin = services.new_person(keys, pseudonym="Zhanibek")
    services.add_act(second, keys, victim=latin, details={"type": "device_search"})
    log_in(client, chingiz)
    page = client.get(f"/en/staff/records/events/{first.pk}/").content.decode()
    assert "Possibly the same event" in page and "Police at our flat" in page
    client.post(f"/en/staff/records/events/{first.pk}/merge/", {"other": str(second.pk)})
    assert Event.objects.get(pk=second.pk).merged_into_id == first.pk
    page = client.get(f"/en/staff/records/persons/{cyrillic.pk}/").content.decode()
    assert "Possibly the same person" in page and "Zhanibek" in page
    client.post(f"/en/staff/records/persons/{cyrillic.pk}/merge/", {"other": str(latin.pk)})
    assert Person.objects.get(pk=latin.pk).merged_into_id == cyrillic.pk
