"""Every state-changing request of the search, vocabulary, evidence and merge screens needs
its CSRF token, and a malformed id gets "not found" or a clear message, never an error."""

from __future__ import annotations

from django.test import Client

from kalkan.core.testing import csrf_token_in, log_in
from kalkan.records import services
from kalkan.records.models import (
    Act,
    Event,
    EvidenceItem,
    Information,
    LocalTerm,
    Person,
    SavedSearch,
)


def test_posts_without_the_csrf_token_are_refused(amir, chingiz):
    keys = chingiz.keyring()
    event = services.new_event(keys, chingiz.user, title="An event")
    person = services.new_person(keys, pseudonym="Someone")
    other = services.new_person(keys, pseudonym="Someone else")
    act = services.add_act(event, keys, victim=person, details={"type": "threats"})
    source = services.add_information(event, keys, source=None, details={})
    posts = [
        ("/en/staff/search/save/", {"name": "x", "query": "q=x"}),
        ("/en/staff/vocabularies/act_types/", {"en": "a", "ru": "b", "ky": "c", "kk": "d"}),
        ("/en/staff/vocabularies/act_types/switch/", {"code": "threats", "active": "0"}),
        (f"/en/staff/records/events/{event.pk}/evidence/", {"title": "t", "held_by": "h"}),
        (f"/en/staff/records/persons/{person.pk}/merge/", {"other": str(other.pk)}),
        (f"/en/staff/records/events/{event.pk}/acts/{act.pk}/edit/", {"type": "assault"}),
        (f"/en/staff/records/events/{event.pk}/source/{source.pk}/remove/", {}),
    ]
    for who in (amir, chingiz):
        client = log_in(Client(enforce_csrf_checks=True), who)
        for url, data in posts:
            assert client.post(url, data).status_code == 403, (who.username, url)
    assert not SavedSearch.objects.exists() and not LocalTerm.objects.exists()
    assert not EvidenceItem.objects.exists()
    assert Person.objects.get(pk=other.pk).merged_into_id is None
    assert Information.objects.filter(pk=source.pk).exists()
    assert services.opened(Act.objects.get(pk=act.pk), keys)["details"]["type"] == "threats"
    # With the token from the page, the same request goes through.
    client = log_in(Client(enforce_csrf_checks=True), chingiz)
    token = csrf_token_in(client.get(f"/en/staff/records/events/{event.pk}/").content.decode())
    response = client.post(f"/en/staff/records/events/{event.pk}/evidence/",
                           {"title": "Certificate", "held_by": "the lawyer",
                            "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and EvidenceItem.objects.count() == 1


def test_malformed_ids_get_not_found_or_a_message(client, bota, chingiz):
    keys = chingiz.keyring()
    event = services.new_event(keys, chingiz.user, title="An event")
    person = services.new_person(keys, pseudonym="Someone")
    log_in(client, chingiz)
    assert client.post(f"/en/staff/records/events/{event.pk}/merge/",
                       {"other": "not-an-id"}).status_code == 404
    assert client.post(f"/en/staff/records/persons/{person.pk}/merge/",
                       {"other": "1; DROP"}).status_code == 404
    assert Event.objects.get(pk=event.pk).merged_into_id is None
    log_in(client, bota)
    response = client.post("/en/staff/cases/attach/", {"case": "nonsense", "report": ["x"]},
                           follow=True)
    assert response.status_code == 200
    assert "Choose one or more reports and a case." in response.content.decode()
    response = client.post("/en/staff/cases/new/", {"report": ["not-a-uuid"]}, follow=True)
    assert "Those reports could not be found. Nothing was changed." in response.content.decode()
