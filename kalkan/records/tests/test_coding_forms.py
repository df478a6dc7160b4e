"""The coding forms as a person under pressure uses them: a form posted twice (a double
click, a reload) makes one record and lands on it; one perpetrator is attached to several
acts in one form; the event to link to is found by words, not picked from a list of every
event. All names are invented."""

from __future__ import annotations

import re

import pytest
from django.db.models import Model

from kalkan.core.testing import log_in
from kalkan.records import services
from kalkan.records.models import Act, ChainLink, Event, Information, Involvement, Person

EVENTS = "/en/staff/records/events/"


def _token(page: str, action: str) -> str:
    """The one-time token of the form posting to `action` on this page."""
    form = re.search(rf'<form method="post" action="{re.escape(action)}[^"]*"[^>]*>(.*?)</form>',
                     page, re.S)
    assert form, action
    found = re.search(r'name="once" value="([^"]+)"', form.group(1))
    assert found, action
    return found.group(1)


@pytest.fixture
def event(chingiz):
    keys = chingiz.keyring()
    event = services.new_event(keys, chingiz.user, title="Raid on the community centre")
    for name in ("Aibek", "Saule", "Dilnaz"):
        victim = services.new_person(keys, pseudonym=name)
        services.add_act(event, keys, victim=victim, details={"type": "detention.arbitrary"})
    return event


def test_an_act_posted_twice_is_saved_once_and_the_second_post_lands_on_it(
    client, chingiz, event
):
    log_in(client, chingiz)
    url = f"{EVENTS}{event.pk}/"
    page = client.get(url).content.decode()
    act = {"victim": "new", "victim-pseudonym": "Yerlan", "type": "threats",
           "once": _token(page, f"{url}acts/")}
    first = client.post(url + "acts/", act)
    second = client.post(url + "acts/", act)
    made = Act.objects.filter(event=event).order_by("position").last()
    assert made is not None
    assert Act.objects.filter(event=event).count() == 4 and Person.objects.count() == 4
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == f"{url}#act-{made.pk}"
    landed = client.get(second["Location"]).content.decode()
    assert "This form was already saved: nothing was added twice." in landed
    assert landed.count("Yerlan") >= 1
    # A fresh page gives a fresh token: the next act is saved.
    page = client.get(url).content.decode()
    act["once"] = _token(page, f"{url}acts/")
    assert client.post(url + "acts/", act).status_code == 302
    assert Act.objects.filter(event=event).count() == 5


def test_every_coding_form_carries_its_own_token_and_each_is_saved_once(
    client, chingiz, event, report_to_code
):
    log_in(client, chingiz)
    other = services.new_event(chingiz.keyring(), chingiz.user, title="Fine for propaganda")
    url = f"{EVENTS}{event.pk}/"
    page = client.get(url + "?link_find=propaganda").content.decode()
    tokens = re.findall(r'name="once" value="([^"]+)"', page)
    assert len(tokens) == len(set(tokens)) == 5  # act, perpetrator, source, help, link
    aibek = Act.objects.filter(event=event).order_by("position")[0]
    posts: list[tuple[str, dict[str, object], type[Model]]] = [
        ("perpetrators/", {"act": str(aibek.pk), "perpetrator": "new",
                           "perpetrator-pseudonym": "Patrol 2"}, Involvement),
        ("sources/", {"source_type": "witness", "reliability": "high"}, Information),
        ("links/?link_find=propaganda", {"to_event": str(other.pk), "relation": "precedes"},
         ChainLink),
    ]
    for path, data, model in posts:
        data["once"] = _token(page, url + path.split("?")[0])
        before = model._default_manager.count()
        assert client.post(url + path, data).status_code == 302
        assert client.post(url + path, data).status_code == 302
        assert model._default_manager.count() == before + 1, path
    # Coding a report: clicked twice, one event, and both posts land on it.
    code = f"/en/staff/records/code/{report_to_code.pk}/"
    form = {"title": "Café attack", "once": _token(client.get(code).content.decode(), code)}
    first, second = client.post(code, form), client.post(code, form)
    coded = Event.objects.get(reports=report_to_code)
    assert first["Location"] == second["Location"] == f"{EVENTS}{coded.pk}/"
    # Bad input saves nothing and spends nothing: corrected, the same form is saved.
    new = f"{EVENTS}new/"
    form = {"title": "", "once": _token(client.get(new).content.decode(), new)}
    assert client.post(new, form).status_code == 400
    form["title"] = "Rally obstructed"
    assert client.post(new, form).status_code == 302
    assert Event.objects.count() == 4


@pytest.fixture
def report_to_code(organisation, chingiz):
    from kalkan.intake.models import Report
    from kalkan.intake.services import Submission, submit_report

    submit_report(Submission(narrative="They attacked the café on Friday", answers={}), [])
    return Report.objects.get()


def test_one_perpetrator_for_several_acts_in_one_form(client, chingiz, event):
    log_in(client, chingiz)
    url = f"{EVENTS}{event.pk}/"
    page = client.get(url).content.decode()
    assert "Who did it, for one or several acts" in page
    aibek, saule, dilnaz = Act.objects.filter(event=event)
    for act in (aibek, saule, dilnaz):
        assert f'type="checkbox" name="act" value="{act.pk}"' in page
    response = client.post(url + "perpetrators/", {
        "act": [str(aibek.pk), str(dilnaz.pk)], "perpetrator": "new",
        "perpetrator-pseudonym": "Special police unit", "perpetrator-kind": "organisation",
        "perpetrator_types": ["police"], "degree": "direct",
    })
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "The perpetrator is added to 2 acts." in page
    unit = Person.objects.get(committed__act=aibek)
    assert sorted(Involvement.objects.filter(perpetrator=unit).values_list("act_id", flat=True)
                  ) == sorted([aibek.pk, dilnaz.pk])
    assert not Involvement.objects.filter(act=saule).exists()
    assert Person.objects.filter(pk=unit.pk).count() == 1  # one person, not two
    bundle = services.event_bundle(event, chingiz.keyring())
    named = [[inv["perpetrator"]["pseudonym"] for inv in act["involvements"]]
             for act in bundle["acts"]]
    assert named == [["Special police unit"], [], ["Special police unit"]]
    # No act ticked, or an act of another event: refused, nothing saved.
    other = services.new_event(chingiz.keyring(), chingiz.user, title="Elsewhere")
    stranger = services.add_act(other, chingiz.keyring(), victim=unit,
                                details={"type": "threats"})
    for acts in ([], [str(saule.pk), str(stranger.pk)]):
        response = client.post(url + "perpetrators/", {"act": acts,
                                                       "perpetrator": str(unit.pk)})
        assert response.status_code == 400
    assert Involvement.objects.count() == 2


def test_the_event_to_link_to_is_found_by_words(client, chingiz, event):
    keys = chingiz.keyring()
    for number in range(30):
        services.new_event(keys, chingiz.user, title=f"Unrelated event {number}")
    court = services.new_event(keys, chingiz.user, title="Court hearing of Aibek",
                               description="The administrative court fined him.")
    log_in(client, chingiz)
    url = f"{EVENTS}{event.pk}/"
    page = client.get(url).content.decode()
    assert "Find the other event by words" in page
    assert "Unrelated event 7" not in page and "<select name=\"to_event\"" not in page
    page = client.get(url + "?link_find=fined").content.decode()
    assert "1 event found for “fined”." in page
    assert f'type="radio" name="to_event" value="{court.pk}"' in page
    assert "Court hearing of Aibek" in page and "Unrelated event" not in page
    # The event itself is never offered; nothing found says so.
    assert "0 events found" in client.get(url + "?link_find=community+centre").content.decode()
    response = client.post(url + "links/?link_find=fined",
                           {"to_event": str(court.pk), "relation": "precedes"})
    assert response.status_code == 302 and response["Location"] == f"{url}#chain"
    assert ChainLink.objects.get().to_event == court
    assert "Court hearing of Aibek" in client.get(url).content.decode()
    # Nothing chosen, or not an event: a clear error, nothing saved.
    page = client.post(url + "links/?link_find=fined", {"relation": "precedes"})
    assert page.status_code == 400
    assert "Find the other event by words and choose it." in page.content.decode()
    assert f'value="{court.pk}"' in page.content.decode()  # the found events stay offered
    assert client.post(url + "links/", {"to_event": str(event.pk),
                                        "relation": "precedes"}).status_code == 400
    assert ChainLink.objects.count() == 1


def test_two_posts_of_one_form_at_the_same_moment_save_once(
    client, chingiz, event, monkeypatch
):
    """The second of two simultaneous posts passes the early check before the first one
    commits; the unique token stops it when it saves, and it rolls back what it made."""
    from django.utils import timezone

    from kalkan.records import once
    from kalkan.records.models import SpentForm

    url = f"{EVENTS}{event.pk}/"
    SpentForm.objects.create(token="a" * 24, by=chingiz.user, target=url + "#act-first",
                             at=timezone.now())
    real, calls = once.earlier, []

    def not_yet_committed(request):
        calls.append(1)
        return None if len(calls) <= 2 else real(request)

    monkeypatch.setattr(once, "earlier", not_yet_committed)
    log_in(client, chingiz)
    before = (Act.objects.count(), Person.objects.count())
    response = client.post(url + "acts/", {"victim": "new", "victim-pseudonym": "Yerlan",
                                           "type": "threats", "once": "a" * 24})
    assert response.status_code == 302 and response["Location"] == url + "#act-first"
    assert (Act.objects.count(), Person.objects.count()) == before


def test_a_spent_form_never_sends_the_person_off_the_site(client, chingiz, event):
    """SpentForm rows carry no MAC: a database writer who points one at another site must not
    turn the back button or a reload into a redirect to a page of theirs (a look-alike
    login). The form is then treated as never saved."""
    from django.utils import timezone

    from kalkan.records.models import SpentForm

    url = f"{EVENTS}{event.pk}/"
    for target in ("https://kalkan-login.example/en/staff/login/", "//kalkan.example/",
                   "/\\kalkan.example/"):
        SpentForm.objects.all().delete()
        SpentForm.objects.create(token="b" * 24, by=chingiz.user, target=target,
                                 at=timezone.now())
        log_in(client, chingiz)
        response = client.post(url + "acts/", {"victim": "new", "victim-pseudonym": "Yerlan",
                                               "type": "threats", "once": "b" * 24})
        assert "example" not in response.get("Location", ""), target
