"""Administrators add local terms in four languages and retire terms; nothing is deleted,
local labels are sealed, and acts coded with a local term are found by its parent."""

from __future__ import annotations

from django.test import Client

from kalkan.core.testing import log_in
from kalkan.records import local_terms, services
from kalkan.records.models import LocalTerm
from kalkan.vault import workingset
from kalkan.vault.workingset import Query

PAGE = "/en/staff/vocabularies/act_types/"
LABELS = {"en": "Forced 'medical' examination", "ru": "Принудительный «медосмотр»",
          "ky": "Мажбурлап «медициналык» текшерүү", "kk": "Мәжбүрлі «медициналық» тексеру"}


def test_an_admin_adds_a_local_term_and_retires_another(client, amir, chingiz):
    log_in(client, amir)
    response = client.post(PAGE, {"parent": "violence", **LABELS})
    assert response.status_code == 302
    term = LocalTerm.objects.get()
    assert term.code.startswith("violence.x_") and b"medical" not in bytes(term.labels)
    page = client.get(PAGE).content.decode()
    assert "Forced &#x27;medical&#x27; examination" in page and "local" in page
    client.post(PAGE + "switch/", {"code": term.code, "active": "0"})
    keys = chingiz.keyring()
    assert not local_terms.current("act_types", keys).is_active(term.code)
    assert term.code not in dict(local_terms.current("act_types", keys).choices())
    client.post(PAGE + "switch/", {"code": "threats", "active": "0"})
    assert "threats" not in dict(local_terms.current("act_types", keys).choices())
    client.post(PAGE + "switch/", {"code": "threats", "active": "1"})
    assert "threats" in dict(local_terms.current("act_types", keys).choices())


def test_a_label_missing_in_one_language_is_refused(client, amir):
    log_in(client, amir)
    response = client.post(PAGE, {**LABELS, "kk": ""})
    assert response.status_code == 400 and not LocalTerm.objects.exists()


def test_only_admins_keep_vocabularies(chingiz, dana, bota):
    assert Client().get(PAGE)["Location"].startswith("/en/staff/login/")
    for person in (chingiz, dana, bota):
        assert log_in(Client(), person).get(PAGE).status_code == 403
        assert log_in(Client(), person).post(PAGE, LABELS).status_code == 403


def test_acts_with_a_local_term_are_found_by_its_parent(amir, chingiz):
    keys = chingiz.keyring()
    term = local_terms.add("act_types", parent="violence", labels=LABELS, keyring=keys)
    victim = services.new_person(keys, pseudonym="Ilyas")
    event = services.new_event(keys, chingiz.user, title="Examined by force")
    services.add_act(event, keys, victim=victim, details={"type": term.code})
    found = workingset.for_session("local", keys).find(
        Query(kind="act", filters={"act_type": ["violence"]}))
    assert found.total == 1
    found = workingset.for_session("local", keys).find(Query(kind="act", words="медосмотр"))
    assert found.total == 1
