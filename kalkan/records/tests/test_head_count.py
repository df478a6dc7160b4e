"""A group victim has a head count: the 16 staff of an NGO are one act and 16 people.
Acts are counted as before; "people affected" counts each victim once, by its head count.
All names are invented."""

from __future__ import annotations

from kalkan.core.testing import log_in
from kalkan.records import services
from kalkan.records.models import Act, Person

EVENTS = "/en/staff/records/events/"


def test_a_group_victims_head_count_is_sealed_shown_and_counted(client, chingiz):
    keys = chingiz.keyring()
    event = services.new_event(keys, chingiz.user, title="Office of Rainbow Steppe watched")
    log_in(client, chingiz)
    url = f"{EVENTS}{event.pk}/"
    assert "How many people" in client.get(url).content.decode()
    response = client.post(url + "acts/", {
        "victim": "new", "victim-pseudonym": "Rainbow Steppe staff",
        "victim-kind": "organisation", "victim-head_count": "16", "type": "threats"})
    assert response.status_code == 302
    staff = Act.objects.get().victim
    assert services.opened(staff, keys)["profile"]["head_count"] == 16
    assert b"head_count" not in bytes(Person.objects.get(pk=staff.pk).profile)  # sealed
    # The same staff in a second act, and one individual in a third.
    services.add_act(event, keys, victim=staff, details={"type": "detention.arbitrary"})
    services.add_act(event, keys, victim=services.new_person(keys, pseudonym="Asel"),
                     details={"type": "threats"})

    page = client.get(url).content.decode()
    assert "Rainbow Steppe staff</a> <span class=\"hint\">(16 people)</span>" in page
    assert "Asel</a></h3>" in page  # one person: no head count shown
    person = client.get(f"/en/staff/records/persons/{staff.pk}/").content.decode()
    assert "How many people" in person and "<dd>16</dd>" in person
    found = client.get("/en/staff/search/").content.decode()
    assert "3 acts, 17 people affected" in found
    assert "Rainbow Steppe staff (16 people)" in found
    # Only the threats: two acts, against the staff and Asel.
    assert "2 acts, 17 people affected" in client.get(
        "/en/staff/search/?act_type=threats").content.decode()


def test_an_individual_has_no_head_count_and_a_bad_one_is_refused(client, chingiz):
    keys = chingiz.keyring()
    event = services.new_event(keys, chingiz.user, title="Detained at home")
    log_in(client, chingiz)
    url = f"{EVENTS}{event.pk}/"
    for kind, count, error in (
        ("individual", "3", "An individual is one person"),
        ("group", "0", "Ensure this value is greater than or equal to 1."),
        ("group", "many", "Enter a whole number."),
    ):
        response = client.post(url + "acts/", {
            "victim": "new", "victim-pseudonym": "Marat", "victim-kind": kind,
            "victim-head_count": count, "type": "threats"})
        assert response.status_code == 400 and error in response.content.decode()
    assert not Act.objects.exists() and not Person.objects.exists()
    # Changed on the person's page: the count follows.
    marat = services.new_person(keys, pseudonym="Marat's family", profile={"kind": "family"})
    response = client.post(f"/en/staff/records/persons/{marat.pk}/edit/", {
        "pseudonym": "Marat's family", "kind": "family", "head_count": "5"})
    assert response.status_code == 302
    assert services.opened(Person.objects.get(pk=marat.pk), keys)["profile"]["head_count"] == 5
