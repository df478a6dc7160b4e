"""The canary test of security.md over the documentation model: persons (pseudonyms, real
names, SOGIESC self-descriptions), events, acts and their subformats, involvements,
sources, interventions, chains, consent statements, evidence items, local vocabulary
terms, vocabulary use and saved searches; staff search and the working set is snapshotted;
then every byte on disk (and the PostgreSQL dump) is searched for every planted string."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from kalkan.records import consent, evidence, local_terms, services
from kalkan.vault import workingset
from kalkan.vault.tests.test_canary import canary, find_leaks
from kalkan.vault.workingset import Query

pytestmark = pytest.mark.django_db(transaction=True)


def test_nothing_the_records_hold_is_readable_on_disk(amir, chingiz, caplog):
    planted = {name: canary(name) for name in (
        "pseudonym", "real-name", "contact", "self-described", "title", "description",
        "place-detail", "stated-reason", "handle", "capture-url", "involvement-notes",
        "source-notes", "intervention-notes", "chain-notes", "consent-how", "evidence-title",
        "local-term", "saved-name", "saved-query",
    )}
    text = {name: value.decode() for name, value in planted.items()}
    keys = chingiz.keyring()
    victim = services.new_person(
        keys, pseudonym=text["pseudonym"],
        profile={"gender_identity": {"code": "self_described",
                                     "self_described": text["self-described"]}},
        identity={"names": [text["real-name"]], "contacts": [text["contact"]]},
    )
    perpetrator = services.new_person(keys, pseudonym="Unit 9", profile={"kind": "organisation"})
    term = local_terms.add("act_types", parent="digital", keyring=keys,
                           labels={lang: f"{text['local-term']} {lang}"
                                   for lang in ("en", "ru", "ky", "kk")})
    event = services.new_event(
        keys, chingiz.user, title=text["title"], description=text["description"],
        details={"start": {"year": 2025, "month": 2}, "violation_status": "confirmed",
                 "place": {"code": "kz.almaty-city", "detail": text["place-detail"]}},
    )
    act = services.add_act(event, keys, victim=victim, details={
        "type": term.code, "stated_reason": text["stated-reason"],
        "digital": {"platform": "telegram", "handles": [text["handle"]],
                    "url": text["capture-url"]},
    })
    services.add_act(event, keys, victim=victim, details={"type": "threats"})
    services.add_involvement(act, keys, perpetrator=perpetrator,
                             details={"perpetrator_types": ["online_accounts"],
                                      "notes": text["involvement-notes"]})
    services.add_information(event, keys, source=victim,
                             details={"source_type": "interview", "reliability": "high",
                                      "notes": text["source-notes"]})
    services.add_intervention(event, keys, victim=victim,
                              details={"type": "urgent_appeal",
                                       "notes": text["intervention-notes"]})
    later = services.new_event(keys, chingiz.user, title="later")
    services.link_events(event, later, keys, relation="causes", notes=text["chain-notes"])
    consent.record(victim, "statistics", given=True, on=date(2025, 3, 1),
                   how=text["consent-how"], keyring=keys, by=chingiz.user)
    evidence.describe(keys, chingiz.user, title=text["evidence-title"], description="",
                      held_by="the lawyer", events=[event])

    # Staff log in through the real form, search, and save a search.
    client = Client()
    assert client.post("/en/staff/login/", {"username": "chingiz",
                                             "passphrase": chingiz.passphrase,
                                             "code": chingiz.code()}).status_code == 302
    page = client.get("/en/staff/search/", {"q": text["pseudonym"]}).content.decode()
    assert text["pseudonym"] in page
    client.post("/en/staff/search/save/", {"name": text["saved-name"],
                                           "query": f"q={text['saved-query']}"})
    working = workingset.for_session(str(client.session.session_key), chingiz.keyring())
    assert working.find(Query(kind="act", words=text["stated-reason"])).total == 1
    assert working.find(Query(kind="act", filters={"act_type": ["digital"]})).total == 1
    workingset.save_snapshot(working, chingiz.keyring())

    assert find_leaks(planted) == []
    assert not any(value in caplog.text for value in text.values())
