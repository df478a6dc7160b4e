"""Search correctness on a small known corpus: words, phrases, names across scripts, words
in another language, filters at any level, facet counts, date ranges, sorting, saved
searches, roles and restricted cases."""

from __future__ import annotations

import pytest
from django.test import Client

from kalkan.core.testing import log_in
from kalkan.desk import services as desk
from kalkan.intake.models import Report
from kalkan.intake.services import Submission, submit_report
from kalkan.records import search, services
from kalkan.records.models import SavedSearch
from kalkan.records.names import alternatives
from kalkan.records.vocabularies import vocabulary
from kalkan.vault import workingset
from kalkan.vault.workingset import Query

SEARCH = "/en/staff/search/"


def _date(year: int, month: int | None = None) -> dict[str, object]:
    return {"year": year, "month": month, "day": None,
            "precision": "month" if month else "year"}


@pytest.fixture
def corpus(amir, bota, chingiz):
    keys = chingiz.keyring()
    aliev = services.new_person(keys, pseudonym="Алиев", profile={"characteristics": ["hrd"]})
    dilnaz = services.new_person(keys, pseudonym="Dilnaz")
    aigerim = services.new_person(keys, pseudonym="Aigerim")
    police = services.new_person(keys, pseudonym="Patrol unit 7", profile={"kind": "organisation"})
    family = services.new_person(keys, pseudonym="Her brothers", profile={"kind": "group"})
    raid = services.new_event(
        keys, chingiz.user, title="Raid on the community centre",
        description="Officers broke the door during a film evening.",
        details={"start": _date(2025, 3), "place": {"code": "kg.bishkek", "detail": ""},
                 "violation_status": "confirmed"},
    )
    detained = services.add_act(raid, keys, victim=aliev, details={"type": "detention"})
    services.add_involvement(detained, keys, perpetrator=police,
                             details={"perpetrator_types": ["police.district"]})
    beaten = services.add_act(raid, keys, victim=dilnaz, details={"type": "assault"})
    services.add_involvement(beaten, keys, perpetrator=police,
                             details={"perpetrator_types": ["police"]})
    home = services.new_event(
        keys, chingiz.user, title="Locked in at home",
        details={"start": _date(2024), "place": {"code": "kz.almaty-city", "detail": ""},
                 "violation_status": "likely"},
    )
    locked = services.add_act(home, keys, victim=aigerim, details={"type": "family_violence"})
    services.add_involvement(locked, keys, perpetrator=family,
                             details={"perpetrator_types": ["family"]})

    # A third event comes from a report in a case restricted to Bota alone.
    submit_report(Submission(narrative="Threats to Nurlan after the trial"), [])
    report = Report.objects.select_related("content_key").get()
    bota_keys = bota.keyring()
    case = desk.open_case([report], bota_keys, bota.user)
    desk.restrict(case, [bota.user], bota_keys, bota.user)
    report = Report.objects.select_related("content_key").get(pk=report.pk)
    bota_keys = bota.keyring()
    nurlan = services.new_person(bota_keys, pseudonym="Nurlan",
                                 compartment=report.content_key.compartment)
    hidden = services.new_event(bota_keys, bota.user, title="Threats after the trial",
                                reports=[report])
    services.add_act(hidden, bota_keys, victim=nurlan, details={"type": "threats"})
    return keys


def _find(keys, **asked) -> tuple[int, dict]:
    working = workingset.for_session("search-test", keys)
    found = working.find(Query(kind="act", alternatives=alternatives,
                               facets=("act_type", "country", "hrd"), **asked))
    return found.total, found.facets


def test_words_phrases_and_names_in_any_script(corpus):
    assert _find(corpus, words="raid")[0] == 2
    assert _find(corpus, words='"community centre"')[0] == 2
    assert _find(corpus, words='"centre community"')[0] == 0
    assert _find(corpus, words="Aliyev")[0] == 1  # indexed as Алиев
    assert _find(corpus, words="Айгерим")[0] == 1  # indexed as Aigerim
    assert _find(corpus, words="raid Dilnaz")[0] == 1


def test_a_word_in_another_language_finds_the_act_through_its_type(corpus):
    for language in ("ru", "ky", "kk"):
        word = vocabulary("act_types").label("family_violence", language).split()[0]
        total, _facets = _find(corpus, words=word)
        assert total >= 1, (language, word)


def test_filters_at_any_level_date_ranges_and_facet_counts(corpus):
    assert _find(corpus, filters={"act_type": ["detention"]})[0] == 1
    assert _find(corpus, filters={"perpetrator_type": ["police"]})[0] == 2  # incl. district
    assert _find(corpus, filters={"country": ["kg"]})[0] == 2
    assert _find(corpus, filters={"region": ["kg.bishkek"]})[0] == 2
    assert _find(corpus, filters={"hrd": ["yes"]})[0] == 1
    assert _find(corpus, ranges={"date": ("2025", "2025-99-99")})[0] == 2
    assert _find(corpus, ranges={"date": ("2024", "2024-99-99")})[0] == 1
    assert _find(corpus, words="raid", filters={"act_type": ["assault"]})[0] == 1
    total, facets = _find(corpus)
    assert total == 3  # the restricted act is not in this keyring's working set
    assert dict(facets["country"]) == {"kg": 2, "kz": 1}
    assert dict(facets["hrd"]) == {"yes": 1, "no": 2}
    top = [code for code in dict(facets["act_type"])
           if not vocabulary("act_types").ancestors(code)]
    assert sum(dict(facets["act_type"])[code] for code in top) == total


def test_the_page_sorts_filters_and_links_facets(client, chingiz, corpus):
    log_in(client, chingiz)
    page = client.get(SEARCH, {"q": "raid", "sort": "newest"}).content.decode()
    assert "2 acts" in page and "Raid on the community centre" in page
    assert "Patrol unit 7" not in page  # perpetrators are shown by type, not by pseudonym
    filtered = client.get(SEARCH, {"country": "kz"}).content.decode()
    assert "1 act" in filtered and "Aigerim" in filtered and "Dilnaz" not in filtered
    oldest = client.get(SEARCH, {"sort": "oldest"}).content.decode()
    assert oldest.index("Aigerim") < oldest.index("Dilnaz")
    bad = client.get(SEARCH, {"from": "March"}).content.decode()
    assert "Write dates as a year" in bad


def test_restricted_acts_only_for_members(client, bota, chingiz, dana, corpus):
    assert _find(corpus, words="Nurlan")[0] == 0
    assert _find(bota.keyring(), words="Nurlan")[0] == 1
    log_in(client, dana)
    page = client.get(SEARCH, {"q": "Nurlan"}).content.decode()
    results = page.split("<tbody>")[1].split("</tbody>")[0]
    assert "0 acts" in page and "Nurlan" not in results and "Nothing found." in results


def test_who_may_search(client, bota, dana, erlan, corpus):
    assert Client().get(SEARCH)["Location"].startswith("/en/staff/login/")
    assert log_in(Client(), dana).get(SEARCH).status_code == 200
    assert log_in(Client(), bota).get(SEARCH).status_code == 403
    assert log_in(Client(), erlan).get(SEARCH).status_code in (302, 403)


def test_saved_searches_are_sealed_and_personal(client, chingiz, amir, corpus):
    log_in(client, chingiz)
    client.post(SEARCH + "save/", {"name": "Raids in Bishkek", "query": "q=raid&region=kg.bishkek"})
    item = SavedSearch.objects.get()
    assert b"Bishkek" not in bytes(item.name) and b"raid" not in bytes(item.query)
    page = client.get(SEARCH).content.decode()
    assert "Raids in Bishkek" in page and "?q=raid&amp;region=kg.bishkek" in page
    assert "Raids in Bishkek" not in log_in(Client(), amir).get(SEARCH).content.decode()
    client.post(f"{SEARCH}saved/{item.pk}/forget/")
    assert not SavedSearch.objects.exists()


def test_results_turn_pages_and_a_page_past_the_end_is_the_last(
    client, chingiz, corpus, monkeypatch
):
    monkeypatch.setattr(search, "PAGE", 1)
    log_in(client, chingiz)
    first = client.get(SEARCH, {"q": "raid", "sort": "newest"}).content.decode()
    assert "Page 1 of 2" in first and 'href="?q=raid&amp;sort=newest&amp;page=2"' in first
    late = client.get(SEARCH, {"q": "raid", "sort": "newest", "page": "999"})
    assert late.status_code == 302 and late["Location"].endswith("?q=raid&sort=newest&page=2")
    last = client.get(late["Location"]).content.decode()
    assert "Page 2 of 2" in last and 'rel="next"' not in last
    assert client.get(SEARCH, {"q": "raid", "page": "x"}).status_code == 200
