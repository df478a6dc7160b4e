"""The working set: built at unlock, searchable, shared by sessions, dropped with the last
one, and saved only as an encrypted snapshot that the next unlock catches up from."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from kalkan.vault import services as vault
from kalkan.vault import workingset
from kalkan.vault.records import new_sealed, write
from kalkan.vault.tests.sealed_notes.models import Note


def add_note(keyring, title: str, body: str) -> Note:
    note, key = new_sealed(Note, keyring)
    write(note, key, title=title, body=body)
    return note


def log_in_by_form(person) -> Client:
    client = Client()
    response = client.post(
        "/en/staff/login/",
        {"username": person.username, "passphrase": person.passphrase, "code": person.code()},
    )
    assert response.status_code == 302
    return client


def current_set(person) -> workingset.WorkingSet:
    keyring = person.keyring()
    return workingset._sets[workingset._fingerprint(keyring)]


def test_unlocking_builds_a_searchable_working_set(organisation, bota):
    intake = add_note(None, "Задержание", "Его задержали у кафе в Оше, телефон забрали")
    staff = add_note(bota.keyring(), "Outing", "A video outing three activists was posted")
    log_in_by_form(bota)
    assert workingset.loaded() == 1
    ws = current_set(bota)
    assert ws.count() == 2
    assert ws.search("задержали") == [str(intake.id)]
    assert ws.search("outing activ") == [str(staff.id)]
    assert ws.search("телефон Оше") == [str(intake.id)]
    assert ws.search("nothing-like-this") == []
    assert ws.fields(str(intake.id)) == {
        "title": "Задержание",
        "body": "Его задержали у кафе в Оше, телефон забрали",
    }


def test_sessions_share_it_and_the_last_logout_drops_it(organisation, amir, bota):
    add_note(None, "one", "first")
    first = log_in_by_form(bota)
    second = log_in_by_form(amir)
    assert workingset.loaded() == 1  # same organisation keys: one set in memory
    first.post("/en/staff/logout/")
    assert workingset.loaded() == 1
    second.post("/en/staff/logout/")
    assert workingset.loaded() == 0


def test_the_snapshot_is_encrypted_and_the_next_unlock_catches_up(organisation, bota):
    add_note(None, "one", "CANARY-snapshot-text in the first note")
    client = log_in_by_form(bota)
    client.post("/en/staff/logout/")
    snapshots = list((settings.DATA_DIR / "workingset").glob("*.snap"))
    assert len(snapshots) == 1
    assert b"CANARY-snapshot-text" not in snapshots[0].read_bytes()
    later = add_note(bota.keyring(), "two", "written while nobody was logged in")
    log_in_by_form(bota)
    ws = current_set(bota)
    assert ws.count() == 2
    assert ws.search("nobody") == [str(later.id)]


def test_a_damaged_snapshot_is_rebuilt_from_the_records(organisation, bota):
    add_note(None, "one", "kept safe")
    log_in_by_form(bota).post("/en/staff/logout/")
    snapshot = next((settings.DATA_DIR / "workingset").glob("*.snap"))
    data = bytearray(snapshot.read_bytes())
    data[100] ^= 0xFF
    snapshot.write_bytes(bytes(data))
    log_in_by_form(bota)
    assert current_set(bota).search("kept") != []


def test_records_of_an_epoch_the_person_lacks_stay_out(organisation, amir, bota, dana):
    from kalkan.accounts.services import disable_staff

    dana_old = dana.keyring()
    disable_staff(dana.user, actor=amir.user, keyring=amir.keyring())
    add_note(amir.keyring(), "after", "written after dana left")
    ws = workingset.build(dana_old)
    assert ws.search("dana") == []


def test_panic_drops_every_working_set(organisation, bota):
    add_note(None, "one", "first")
    log_in_by_form(bota)
    assert workingset.loaded() == 1
    vault.panic()
    assert workingset.loaded() == 0


def test_a_changed_record_is_reindexed(organisation, bota):
    note = add_note(None, "one", "originally about a raid")
    ws = workingset.build(bota.keyring())
    assert ws.search("raid") == [str(note.id)]
    stored = Note.objects.get(pk=note.pk)
    from kalkan.vault.records import open_content_key

    write(stored, open_content_key(stored.content_key, bota.keyring()), body="now about a fine")
    assert workingset.catch_up(ws, bota.keyring()) == 1
    assert ws.search("raid") == []
    assert ws.search("fine") == [str(note.id)]
    assert ws.count() == 1


def test_after_a_new_epoch_the_old_snapshot_is_carried_over_and_resealed(
    organisation, amir, bota, dana
):
    from kalkan.accounts.services import disable_staff

    add_note(None, "one", "before the epoch changed")
    workingset.build(bota.keyring())
    folder = settings.DATA_DIR / "workingset"
    assert [p.name for p in folder.glob("*.snap")] == ["1.snap"]
    disable_staff(dana.user, actor=amir.user, keyring=amir.keyring())
    add_note(amir.keyring(), "two", "after the epoch changed")
    ws = workingset.build(bota.keyring())
    assert ws.count() == 2
    assert ws.search("after") and ws.search("before")
    # Resealed under the new epoch; the old snapshot is gone.
    assert [p.name for p in folder.glob("*.snap")] == ["1-2.snap"]


def test_sessions_that_ended_without_a_logout_let_go(organisation, bota):
    from django.contrib.sessions.models import Session

    add_note(None, "one", "first")
    log_in_by_form(bota)
    assert workingset.loaded() == 1
    Session.objects.all().delete()  # expired, or removed by `kalkan panic` in another process
    workingset.sweep()
    assert workingset.loaded() == 0


def _counts_by_sql(working, kind: str, name: str) -> list[tuple[str, int]]:
    rows = working.db.execute(
        "SELECT f.value, count(*) FROM facets f JOIN records r ON r.n = f.n "
        "WHERE r.kind = ? AND f.name = ? GROUP BY f.value ORDER BY count(*) DESC, f.value",
        (kind, name),
    ).fetchall()
    return [(value, count) for value, count in rows]


def test_filters_counts_and_sorting_follow_every_change():
    """The NumPy mirror of the facets answers filters and counts; it must say what the facets
    table says after adds, replacements, removals, a rolled-back write and a snapshot copy."""
    working = workingset.WorkingSet.empty()

    def entry(colour: str, date: str, text: str = "") -> workingset.Indexed:
        return workingset.Indexed({"t": text or colour}, text or colour,
                                  {"colour": [colour], "date": [date]})

    working.put_many([("a", "thing", 1, entry("red", "2021-05-01")),
                      ("b", "thing", 2, entry("red", "2023-01-01")),
                      ("c", "thing", 3, entry("blue", "2022-01-01")),
                      ("d", "other", 4, entry("red", "2020-01-01"))])
    query = workingset.Query(kind="thing", facets=("colour",), sort="newest")
    assert working.find(query).facets["colour"] == [("red", 2), ("blue", 1)]
    assert working.find(query).ids == ["b", "c", "a"]

    working.put_many([("a", "thing", 5, entry("blue", "2024-01-01"))])  # replaced
    working.remove("b")
    found = working.find(query)
    assert found.facets["colour"] == _counts_by_sql(working, "thing", "colour") == [("blue", 2)]
    assert found.ids == ["a", "c"]
    assert working.find(workingset.Query(kind="thing", filters={"colour": ["red"]})).total == 0
    assert working.find(workingset.Query(
        kind="thing", ranges={"date": ("2022", "2022-99")})).ids == ["c"]

    def broken():
        yield ("e", "thing", 6, entry("green", "2025-01-01"))
        raise RuntimeError("a failure in the middle of a write")

    with pytest.raises(RuntimeError):
        working.put_many(broken())
    assert working.find(query).facets["colour"] == [("blue", 2)]  # "green" rolled back

    copy = workingset.WorkingSet.from_bytes(working.to_bytes())
    assert copy.find(query) == working.find(query)
    assert copy.find(workingset.Query(kind="other", words="red")).ids == ["d"]


def test_tabulate_gives_one_value_per_record_and_dimension():
    working = workingset.WorkingSet.empty()
    working.put_many([
        ("a", "act", 1, workingset.Indexed({}, "a", {"type": ["violence", "violence.torture"],
                                                      "perp": ["police"]})),
        ("b", "act", 2, workingset.Indexed({}, "b", {"type": ["liberty"],
                                                      "perp": ["police", "family"]})),
        ("c", "act", 3, workingset.Indexed({}, "c", {"type": ["liberty"]})),
        ("d", "event", 4, workingset.Indexed({}, "d", {"type": ["liberty"]})),
    ])
    top_level = {"violence": None, "liberty": None}
    ids, rows = working.tabulate(workingset.Query(kind="act"),
                                 {"type": lambda v: v in top_level, "perp": None})
    assert ids == ["a", "b", "c"]
    assert rows == [("violence", "police"), ("liberty", "*"), ("liberty", "")]
    ids, rows = working.tabulate(workingset.Query(kind="act", filters={"perp": ["family"]}),
                                 {"type": None})
    assert (ids, rows) == (["b"], [("liberty",)])


def test_fields_of_many_records():
    working = workingset.WorkingSet.empty()
    working.put_many([("a", "act", 1, {"type": "torture", "event": "e1"}),
                      ("b", "act", 2, {"type": "outing"})])
    assert working.fields_of(["a", "b", "zz"], ("type", "event")) == {
        "a": ("torture", "e1"), "b": ("outing", "")}
