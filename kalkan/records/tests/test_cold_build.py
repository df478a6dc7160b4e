"""A working set built from the records in one pass (each record decrypted once, rows loaded
in bulk, indexed at the end: kalkan.vault.workingset.build_from_records) holds and finds
exactly what the record-by-record build (catch_up into an empty set) does, on a generated
corpus with a few changes, and a removal."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kalkan.records.generator import generate
from kalkan.records.indexing import ACT_FACETS
from kalkan.records.models import Act, Event, Person
from kalkan.records.names import alternatives
from kalkan.records.services import opened
from kalkan.vault import workingset
from kalkan.vault.records import open_content_key, remove_sealed, write
from kalkan.vault.workingset import Query

ACTS = 150


def _record_by_record(keys) -> workingset.WorkingSet:
    """The build as it was: every source read with model objects, 2,000 at a time."""
    working = workingset.WorkingSet.empty()
    workingset.catch_up(working, keys)
    return working


@pytest.fixture
def corpus(chingiz):
    keys = chingiz.keyring()
    generate(keys, acts=ACTS, seed=5, by=chingiz.user)
    # A changed act and event (newer revisions, out of generation order), and a removal.
    act = Act.objects.select_related("content_key").order_by("revision")[3]
    fields = opened(act, keys)
    fields["details"]["notes"] = "Свидетель видел задержание у рынка Ош"

    write(act, open_content_key(act.content_key, keys),
          details=json.dumps(fields["details"], ensure_ascii=False))
    event = Event.objects.select_related("content_key").order_by("revision")[1]
    write(event, open_content_key(event.content_key, keys), title="Задержание у рынка")
    remove_sealed([Act.objects.order_by("revision")[10]])
    return keys


def _contents(working: workingset.WorkingSet) -> tuple[list, list, list]:
    db = working.db
    records = db.execute("SELECT id, kind, revision, fields FROM records ORDER BY n").fetchall()
    facets = sorted(db.execute(
        "SELECT records.id, name, value FROM facets JOIN records USING (n)").fetchall())
    texts = sorted(db.execute("SELECT records.id, text FROM texts JOIN records USING (n)"))
    return records, facets, texts


QUERIES: list[dict[str, Any]] = [
    {},
    {"words": "задержание"},
    {"words": "рынка Ош"},
    {"words": '"у рынка"'},
    {"words": "police"},
    {"filters": {"act_type": ["detention"]}},
    {"filters": {"country": ["kz"], "hrd": ["yes"]}},
    {"ranges": {"date": ("2018", "2022-99-99")}},
    {"words": "телефон", "filters": {"country": ["kg"]}},
    {"sort": "newest"},
    {"sort": "oldest", "filters": {"perpetrator_type": ["police"]}},
]


def test_the_one_pass_build_finds_and_counts_what_the_old_build_did(corpus):
    old = _record_by_record(corpus)
    new = workingset.build_from_records(corpus)
    assert new.count("act") == ACTS - 1
    assert _contents(new) == _contents(old)
    assert new.revision == old.revision
    for asked in QUERIES:
        query = Query(kind="act", facets=(*ACT_FACETS, "people"), limit=ACTS,
                      alternatives=alternatives, **asked)
        want, got = old.find(query), new.find(query)
        assert got.ids == want.ids, asked
        assert got.total == want.total, asked
        assert got.facets == want.facets, asked
    name = opened(Person.objects.select_related("content_key")[0], corpus)["pseudonym"]
    for kind in ("person", "event"):
        assert new.search(name, kind) == old.search(name, kind)


def test_the_one_pass_build_catches_up_as_any_set(corpus):
    new = workingset.build_from_records(corpus)
    act = Act.objects.select_related("content_key").order_by("revision")[0]
    fields = opened(act, corpus)
    fields["details"]["notes"] = "Zhanybek saw it from the bus stop"

    write(act, open_content_key(act.content_key, corpus),
          details=json.dumps(fields["details"], ensure_ascii=False))
    assert workingset.catch_up(new, corpus) == 1
    assert new.search("bus stop", "act") == [str(act.pk)]
    assert new.count("act") == ACTS - 1  # replaced, not added
