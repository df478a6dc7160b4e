"""The legislation tracker: laws and bills with their stages, deadlines that remind the desk,
links from events to laws (never showing a restricted case's event to a non-member), the
read API for reports and dashboards, who may do what, and nothing typed readable on disk.
All laws, people and places here are invented."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from kalkan.analysis import laws
from kalkan.analysis.models import Law, LawDeadline, LawLink, LawStage
from kalkan.audit.models import AuditEntry
from kalkan.core.testing import csrf_token_in, log_in
from kalkan.desk import services as desk
from kalkan.intake.models import Report
from kalkan.intake.services import Submission, submit_report
from kalkan.records import services as records
from kalkan.records.models import Event
from kalkan.vault.tests.test_canary import canary, find_leaks

LAWS = "/en/staff/laws/"
INBOX = "/en/staff/cases/inbox/"


def _law_form(**extra: str) -> dict[str, str]:
    return {"country": "kg", "type": "foreign_agents",
            "title": "Bill on “foreign representatives”", "reference": "No. 6-0000/26",
            "summary": "NGOs with foreign funding must register.",
            "link": "https://example.org/bill", "notes": "Ask the lawyers' network.", **extra}


@pytest.fixture
def law(chingiz) -> Law:
    return laws.new_law(chingiz.keyring(), chingiz.user, title="Amendments on “propaganda”",
                        details={"country": "kz", "type": "propaganda"})


def _days(n: int):
    return timezone.localdate() + timedelta(days=n)


# --- laws and their stages ------------------------------------------------------------------


def test_it_records_a_law_and_its_stages_and_knows_the_current_one(client, chingiz):
    log_in(client, chingiz)
    response = client.post(LAWS + "new/", _law_form())
    law = Law.objects.get()
    url = f"{LAWS}{law.pk}/"
    assert response.status_code == 302 and response["Location"] == url
    for stage, date in (("introduced", "2025-06"), ("second_reading", "2025-10-15"),
                        ("first_reading", "2025-09-10"), ("passed", "2025-10"),
                        ("third_reading", "2025-10-30")):
        response = client.post(url + "stages/", {"stage": stage, "date": date,
                                                 "note": f"note on {stage}"})
        assert response.status_code == 302 and response["Location"] == url + "#timeline"

    (view,) = laws.laws_for("KG", chingiz.keyring())
    assert view.title == "Bill on “foreign representatives”" and view.country == "kg"
    assert view.type == "foreign_agents" and view.reference == "No. 6-0000/26"
    # In October, "passed" is known only to the month: the readings come first there.
    assert [code for _date, code, _label in view.stages] == [
        "introduced", "first_reading", "second_reading", "third_reading", "passed"]
    assert view.stages[0] == ("2025-06", "introduced", "Introduced")
    assert (view.current_stage, view.current_since) == ("passed", "2025-10")
    assert laws.laws_for("kz", chingiz.keyring()) == []

    page = client.get(url).content.decode()
    timeline = page.split('id="timeline"')[1].split("</section>")[0]
    assert timeline.index("Introduced") < timeline.index("First reading") < timeline.index(
        "Passed by parliament")
    assert "current stage" in timeline and "note on second_reading" in timeline
    facts = page.split('class="facts"')[1].split("</dl>")[0]
    assert "Kyrgyzstan" in facts and "“Foreign agents” or “foreign representatives” law" in facts
    assert "Passed by parliament · 2025-10" in facts and "No. 6-0000/26" in facts
    assert "https://example.org/bill" in page and 'href="https://example.org' not in page
    assert AuditEntry.objects.filter(action="law.add_stage").count() == 5
    assert AuditEntry.objects.filter(action="law.view", object_id=str(law.pk)).exists()


def test_a_later_exact_date_beats_an_earlier_one(chingiz, law):
    keys = chingiz.keyring()
    laws.add_stage(law, keys, stage="signed", date=laws.month_date(2025, 3, 20))
    laws.add_stage(law, keys, stage="challenged", date=laws.month_date(2025, 3, 2))
    laws.add_stage(law, keys, stage="in_force", date=laws.month_date(2025, 4, 1))
    (view,) = laws.laws_for(None, keys)
    assert [code for _d, code, _l in view.stages] == ["challenged", "signed", "in_force"]
    assert view.current_stage == "in_force"
    assert laws.stage_label("in_force", "ru") == "Вступил в силу"
    assert laws.stage_label("first_reading", "kk") == "Бірінші оқылым"


def test_bad_input_gives_a_clear_message_and_saves_nothing(client, chingiz, law):
    log_in(client, chingiz)
    url = f"{LAWS}{law.pk}/"
    for date, message in (("2025-02-30", "This date does not exist."),
                          ("14.03.2025", "Write the date as 2026-03-14"),
                          ("2025-13", "This date does not exist."),
                          (str(_days(3)), "This date is in the future"),
                          ("", "This field is required.")):
        response = client.post(url + "stages/", {"stage": "first_reading", "date": date})
        assert response.status_code == 400, date
        assert message in response.content.decode(), date
    response = client.post(url + "stages/", {"stage": "nonsense", "date": "2025-03"})
    assert response.status_code == 400 and "Select a valid choice." in response.content.decode()
    assert LawStage.objects.count() == 0

    response = client.post(url + "deadlines/", {"due": "2026-02-31", "what": "Signature"})
    assert response.status_code == 400
    assert "Write the date as 2026-03-14." in response.content.decode()
    assert LawDeadline.objects.count() == 0

    before = laws.law_fields(law, chingiz.keyring())
    response = client.post(url + "edit/", _law_form(title="", link="not a link"))
    assert response.status_code == 400
    page = response.content.decode()
    assert "This field is required." in page and "Enter the whole address" in page
    assert laws.law_fields(Law.objects.get(pk=law.pk), chingiz.keyring()) == before

    response = client.post(LAWS + "new/", _law_form(country="ru", title="x\x00y"))
    assert response.status_code == 400 and Law.objects.count() == 1
    assert client.get(LAWS + "not-a-law/").status_code == 404
    assert client.get(f"{LAWS}00000000-0000-4000-8000-000000000000/").status_code == 404
    assert client.post(f"{url}deadlines/00000000-0000-4000-8000-000000000000/done/"
                       ).status_code == 404


def test_a_stage_entered_by_mistake_can_be_removed(client, chingiz, law):
    keys = chingiz.keyring()
    laws.add_stage(law, keys, stage="introduced", date=laws.month_date(2025, 1))
    wrong = laws.add_stage(law, keys, stage="vetoed", date=laws.month_date(2025, 2, 1))
    log_in(client, chingiz)
    response = client.post(f"{LAWS}{law.pk}/stages/{wrong.pk}/remove/")
    assert response.status_code == 302
    (view,) = laws.laws_for(None, keys)
    assert view.current_stage == "introduced" and LawStage.objects.count() == 1


def test_the_list_filters_by_country_type_and_current_stage(client, dana, chingiz, law):
    keys = chingiz.keyring()
    laws.add_stage(law, keys, stage="first_reading", date=laws.month_date(2025, 5))
    other = laws.new_law(keys, chingiz.user, title="NGO reporting rules",
                         details={"country": "kg", "type": "ngo"})
    laws.add_stage(other, keys, stage="signed", date=laws.month_date(2025, 6, 2))
    log_in(client, dana)
    page = client.get(LAWS).content.decode()
    assert "2 laws" in page and "NGO reporting rules" in page and "First reading" in page
    page = client.get(LAWS, {"country": "kz"}).content.decode()
    assert "Amendments on" in page and "NGO reporting rules" not in page
    page = client.get(LAWS, {"type": "ngo"}).content.decode()
    assert "NGO reporting rules" in page and "Amendments on" not in page
    page = client.get(LAWS, {"stage": "signed"}).content.decode()
    assert "NGO reporting rules" in page and "Amendments on" not in page
    # An unknown filter value is ignored, not an error.
    response = client.get(LAWS, {"country": "zz", "stage": "<b>"})
    assert response.status_code == 200 and "2 laws" in response.content.decode()
    page = client.get("/ru/staff/laws/").content.decode()
    assert "Первое чтение" in page and "Казахстан" in page


# --- deadlines on the desk ------------------------------------------------------------------


def test_a_deadline_due_soon_is_on_the_desk_until_it_is_done(client, bota, chingiz, dana, law):
    keys = chingiz.keyring()
    soon = laws.add_deadline(law, keys, due=_days(10), what="The president has 30 days to sign")
    laws.add_deadline(law, keys, due=_days(40), what="Comments on the draft")
    laws.add_deadline(law, keys, due=_days(-2), what="Hearing in the constitutional court")

    responder = log_in(Client(), bota)
    inbox = responder.get(INBOX).content.decode()
    box = inbox.split('id="law-deadlines"')[1].split("</section>")[0]
    assert "Legislation deadlines" in inbox
    assert "The president has 30 days to sign" in box and str(_days(10)) in box
    assert "Hearing in the constitutional court" in box and "overdue" in box
    assert "Comments on the draft" not in box
    assert "Amendments on" in box and f"{LAWS}{law.pk}/" not in box  # no link for bota
    listing = log_in(Client(), dana).get(LAWS).content.decode()
    assert "The president has 30 days to sign" in listing.split('id="filters"')[0]
    assert f"{LAWS}{law.pk}/#deadlines" in listing

    analyst = log_in(Client(), dana)
    response = analyst.post(f"{LAWS}{law.pk}/deadlines/{soon.pk}/done/")
    assert response.status_code == 302
    assert LawDeadline.objects.get(pk=soon.pk).done_by == dana.user
    box = responder.get(INBOX).content.decode().split('id="law-deadlines"')[1]
    assert "The president has 30 days to sign" not in box.split("</section>")[0]
    page = analyst.get(f"{LAWS}{law.pk}/").content.decode()
    assert "<s>" in page and "The president has 30 days to sign" in page
    assert AuditEntry.objects.filter(action="law.deadline_done").count() == 1
    # Marking it done again changes nothing and logs nothing.
    assert analyst.post(f"{LAWS}{law.pk}/deadlines/{soon.pk}/done/").status_code == 302
    assert AuditEntry.objects.filter(action="law.deadline_done").count() == 1

    response = analyst.post(f"{LAWS}{law.pk}/deadlines/", {"due": str(_days(3)),
                                                          "what": "Second reading vote"})
    assert response.status_code == 302
    assert "Second reading vote" in responder.get(INBOX).content.decode()


def test_the_inbox_has_no_legislation_box_when_nothing_is_due(client, bota, law):
    log_in(client, bota)
    assert "Legislation deadlines" not in client.get(INBOX).content.decode()


# --- links from events ----------------------------------------------------------------------


def _report(keys, words: str) -> Report:
    submit_report(Submission(narrative=words, answers={"country": "KG"}), [])
    for report in Report.objects.select_related("content_key"):
        if words in desk.open_fields(report, keys)["narrative"]:
            return report
    raise AssertionError(words)


def _restricted_event(bota, chingiz, title: str) -> Event:
    """An event coded from a report in a case restricted to Bota and Chingiz."""
    report = _report(bota.keyring(), f"Report behind {title}")
    case = desk.open_case([report], bota.keyring(), bota.user, title="Restricted")
    desk.restrict(case, [chingiz.user], bota.keyring(), bota.user)
    report = Report.objects.select_related("content_key").get(pk=report.pk)  # its key moved
    event = records.new_event(chingiz.keyring(), chingiz.user, title=title, reports=[report])
    assert event.content_key.compartment_id == case.compartment_id
    return event


def test_linked_events_are_listed_only_for_those_whose_keys_open_them(
    client, bota, chingiz, dana, law
):
    keys = chingiz.keyring()
    fined = records.new_event(keys, chingiz.user, title="Fined for a rainbow flag in Aral-Köl")
    act = records.add_act(fined, keys, victim=records.new_person(keys, pseudonym="Nurbek"),
                          details={"type": "threats"})
    hidden = _restricted_event(bota, chingiz, "Detained at the Tulpar office")

    log_in(client, chingiz)
    event_page = client.get(f"/en/staff/records/events/{fined.pk}/").content.decode()
    assert 'id="laws"' in event_page and "Amendments on" in event_page  # offered
    response = client.post(f"{LAWS}events/{fined.pk}/link/", {
        "law": str(law.pk), "relation": "charged_under", "act": str(act.pk)})
    assert response.status_code == 302
    assert response["Location"] == f"/en/staff/records/events/{fined.pk}/#laws"
    assert client.post(f"{LAWS}events/{hidden.pk}/link/", {
        "law": str(law.pk), "relation": "justified_by"}).status_code == 302
    hidden_link = LawLink.objects.get(event=hidden)
    assert hidden_link.content_key.compartment_id == hidden.content_key.compartment_id

    event_page = client.get(f"/en/staff/records/events/{fined.pk}/").content.decode()
    laws_box = event_page.split('id="laws"')[1].split("</section>")[0]
    assert "Charged or fined under" in laws_box and "act 1" in laws_box
    member_page = client.get(f"{LAWS}{law.pk}/").content.decode()
    assert "Fined for a rainbow flag" in member_page and "Detained at the Tulpar" in member_page

    analyst = log_in(Client(), dana)
    page = analyst.get(f"{LAWS}{law.pk}/").content.decode()
    assert "Fined for a rainbow flag" in page and "Charged or fined under" in page
    assert "Detained at the Tulpar" not in page and str(hidden.pk) not in page
    assert f"/en/staff/records/events/{fined.pk}/" not in page  # dana does not code records
    (view,) = laws.laws_for(None, dana.keyring())
    assert view.linked_events == [str(fined.pk)]
    (view,) = laws.laws_for(None, chingiz.keyring())
    assert sorted(view.linked_events) == sorted([str(fined.pk), str(hidden.pk)])

    # Unlinking from the event page.
    link = LawLink.objects.get(event=fined)
    assert client.post(f"{LAWS}events/{fined.pk}/links/{link.pk}/remove/").status_code == 302
    assert not LawLink.objects.filter(event=fined).exists()
    assert AuditEntry.objects.filter(action="event.unlink_law").count() == 1


def test_a_bad_link_shows_the_event_page_with_the_error(client, chingiz, law):
    event = records.new_event(chingiz.keyring(), chingiz.user, title="Raid on a birthday party")
    log_in(client, chingiz)
    response = client.post(f"{LAWS}events/{event.pk}/link/", {"law": "", "relation": "x"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Raid on a birthday party" in page and "This field is required." in page
    assert client.post(f"{LAWS}events/{event.pk}/link/", {
        "law": "00000000-0000-4000-8000-000000000000", "relation": "related"}
    ).status_code == 400
    assert client.post(f"{LAWS}events/{event.pk}/link/", {
        "law": str(law.pk), "relation": "related", "act": "not-an-act"}).status_code == 400
    assert not LawLink.objects.exists()


def test_restricting_a_case_later_seals_its_events_law_links_too(bota, chingiz, dana, law):
    report = _report(bota.keyring(), "Fined at the Kök-Jar market")
    event = records.new_event(chingiz.keyring(), chingiz.user, title="Fined at the market",
                              reports=[report])
    laws.link_event(law, event, chingiz.keyring(), chingiz.user, relation="charged_under")
    assert laws.laws_for(None, dana.keyring())[0].linked_events == [str(event.pk)]
    case = desk.open_case([report], bota.keyring(), bota.user, title="Market")
    desk.restrict(case, [chingiz.user], bota.keyring(), bota.user)
    link = LawLink.objects.select_related("content_key").get()
    assert link.content_key.compartment_id == case.compartment_id
    assert laws.laws_for(None, dana.keyring())[0].linked_events == []
    assert laws.laws_for(None, chingiz.keyring())[0].linked_events == [str(event.pk)]


# --- who may do what ------------------------------------------------------------------------


def _urls(law, event, stage, deadline, link) -> list[tuple[str, str, dict[str, str]]]:
    u = f"{LAWS}{law.pk}/"
    return [
        ("get", LAWS, {}),
        ("get", LAWS + "new/", {}),
        ("post", LAWS + "new/", {"country": "kg", "type": "ngo", "title": "Another"}),
        ("get", u, {}),
        ("post", u + "edit/", {"country": "kz", "type": "propaganda", "title": "Renamed"}),
        ("post", u + "stages/", {"stage": "introduced", "date": "2025-01"}),
        ("post", u + f"stages/{stage.pk}/remove/", {}),
        ("post", u + "deadlines/", {"due": "2026-01-01", "what": "Vote"}),
        ("post", u + f"deadlines/{deadline.pk}/done/", {}),
    ]


def _event_urls(law, event, link) -> list[tuple[str, str, dict[str, str]]]:
    return [
        ("post", f"{LAWS}events/{event.pk}/link/", {"law": str(law.pk), "relation": "related"}),
        ("post", f"{LAWS}events/{event.pk}/links/{link.pk}/remove/", {}),
    ]


@pytest.fixture
def world(chingiz, law):
    keys = chingiz.keyring()
    event = records.new_event(keys, chingiz.user, title="Threats after a hearing")
    stage = laws.add_stage(law, keys, stage="first_reading", date=laws.month_date(2025, 2))
    deadline = laws.add_deadline(law, keys, due=_days(5), what="Signature")
    link = laws.link_event(law, event, keys, chingiz.user, relation="justified_by")
    return law, event, stage, deadline, link


def _state() -> list[int]:
    return [Law.objects.count(), LawStage.objects.count(),
            LawDeadline.objects.filter(done_at__isnull=True).count(), LawLink.objects.count()]


@pytest.mark.parametrize("who,tracks,codes", [("amir", True, True), ("chingiz", True, True),
                                              ("dana", True, False), ("bota", False, False)])
def test_role_matrix_for_every_legislation_view(client, request, world, who, tracks, codes):
    log_in(client, request.getfixturevalue(who))
    law, event, stage, deadline, link = world
    for method, url, data in _urls(*world):
        response = getattr(client, method)(url, data)
        expected = (200, 302) if tracks else (403,)
        assert response.status_code in expected, (who, url, response.status_code)
    for method, url, data in _event_urls(law, event, link):
        response = getattr(client, method)(url, data)
        expected = (200, 302) if codes else (403,)
        assert response.status_code in expected, (who, url, response.status_code)


def test_strangers_are_sent_to_log_in_and_csrf_is_enforced(csrf_client, world, chingiz):
    law, event, _stage, _deadline, link = world
    before = _state()
    for method, url, data in [*_urls(*world), *_event_urls(law, event, link)]:
        response = getattr(Client(), method)(url, data)
        assert response.status_code == 302 and "/staff/login/" in response["Location"], url
    log_in(csrf_client, chingiz)
    for method, url, data in [*_urls(*world), *_event_urls(law, event, link)]:
        if method == "post":
            assert csrf_client.post(url, data).status_code == 403, url
    assert _state() == before
    token = csrf_token_in(csrf_client.get(f"{LAWS}{law.pk}/").content.decode())
    response = csrf_client.post(f"{LAWS}{law.pk}/stages/", {
        "stage": "second_reading", "date": "2025-04-02", "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and LawStage.objects.count() == before[1] + 1


def test_the_menu_shows_legislation_to_those_who_track_it(client, bota, dana):
    log_in(client, dana)
    assert f'href="{LAWS}"' in client.get("/en/staff/").content.decode()
    log_in(client, bota)
    assert f'href="{LAWS}"' not in client.get("/en/staff/").content.decode()


# --- nothing readable on disk ---------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_nothing_typed_about_a_law_is_readable_on_disk(bota, chingiz, caplog):
    planted = {name: canary(name) for name in (
        "law-title", "summary", "reference", "link", "law-notes", "stage-note", "deadline",
    )}
    text = {name: value.decode() for name, value in planted.items()}
    client = Client()
    assert client.post("/en/staff/login/", {"username": "chingiz",
                                             "passphrase": chingiz.passphrase,
                                             "code": chingiz.code()}).status_code == 302
    response = client.post(LAWS + "new/", {
        "country": "kz", "type": "ngo", "title": text["law-title"], "summary": text["summary"],
        "reference": text["reference"], "link": f"https://example.org/{text['link']}",
        "notes": text["law-notes"]})
    assert response.status_code == 302
    url = response["Location"]
    assert client.post(url + "stages/", {"stage": "introduced", "date": "2025-05",
                                         "note": text["stage-note"]}).status_code == 302
    assert client.post(url + "deadlines/", {"due": str(_days(2)),
                                            "what": text["deadline"]}).status_code == 302
    event = records.new_event(chingiz.keyring(), chingiz.user, title="Registration refused")
    assert client.post(f"{LAWS}events/{event.pk}/link/", {
        "law": url.rstrip("/").rsplit("/", 1)[1], "relation": "justified_by"}
    ).status_code == 302
    # Staff read it everywhere it shows.
    assert text["stage-note"] in client.get(url).content.decode()
    assert text["deadline"] in client.get(LAWS).content.decode()
    assert text["law-title"] in client.get(f"/en/staff/records/events/{event.pk}/").content.decode()
    assert text["deadline"] in log_in(Client(), bota).get(INBOX).content.decode()

    assert find_leaks(planted) == []
    assert not any(value in caplog.text for value in text.values())
