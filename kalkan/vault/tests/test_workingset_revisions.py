"""Search never silently loses a record: records committed by other connections while a
working set catches up are found by the next catch-up, and snapshots saved by the code that
could skip records are checked and repaired when loaded.

Transactional tests: the other writer is a thread with its own database connection, and
what it commits must really be committed (SQLite file and PostgreSQL alike)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from kalkan.intake.models import Report
from kalkan.intake.services import Submission, submit_report
from kalkan.vault import workingset
from kalkan.vault.models import Revision
from kalkan.vault.records import new_sealed, write
from kalkan.vault.tests.sealed_notes.models import Note

pytestmark = pytest.mark.django_db(transaction=True)


def add_note(keyring, title: str, body: str) -> Note:
    note, key = new_sealed(Note, keyring)
    write(note, key, title=title, body=body)
    return note


def in_another_connection(work: Callable[[], Any]) -> None:
    """Run `work` in a thread of its own (its own database connection) and wait for it."""
    failures: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as e:  # noqa: BLE001 (reported to the test below)
            failures.append(e)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert not failures, failures


def one_report(ids: list[str]) -> bool:
    return len(ids) == 1 and Report.objects.filter(pk=ids[0]).exists()


def test_a_record_committed_into_a_source_already_read_is_found_later(
    organisation, bota, monkeypatch
):
    """Reports are read first, notes second. While the reports are indexed, another
    connection commits a report and then a note (a higher revision). The note must not move
    the set past the report."""
    keyring = bota.keyring()
    submit_report(Submission(narrative="the first report, before anyone looked"), [])
    committed: list[bool] = []

    def commit_meanwhile(batch, ring):
        if not committed:
            committed.append(True)
            in_another_connection(lambda: (
                submit_report(Submission(narrative="a detention reported meanwhile"), []),
                add_note(None, "later", "a note committed after that report"),
            ))
        return [workingset.Indexed(dict(fields), "\n".join(fields.values()))
                for _record, fields in batch]

    monkeypatch.setattr(workingset, "SOURCES", [
        workingset.Source(Report, "report", ("narrative",), commit_meanwhile),
        workingset.Source(Note, "note", ("title", "body")),
    ])
    working = workingset.WorkingSet.empty()
    workingset.catch_up(working, keyring)
    assert committed
    workingset.catch_up(working, keyring)

    assert one_report(working.search("detention"))
    assert len(working.search("committed after")) == 1
    assert working.count("report") == 2
    # And what is saved says so too: the next unlock finds it in the snapshot.
    workingset.save_snapshot(working, keyring)
    assert one_report(workingset.build(keyring).search("detention"))


def test_a_revision_taken_but_not_yet_committed_is_not_passed(organisation, bota, monkeypatch):
    """A writer has taken its revision number and not committed yet when the set catches
    up: the set must not move past that number, or the record is skipped when it commits."""
    keyring = bota.keyring()
    add_note(None, "before", "an older note")
    taken, go_on = threading.Event(), threading.Event()
    original_save = Note.save

    def slow_save(self, *args, **kwargs):
        taken.set()  # the revision is taken (write() takes it just before saving)
        assert go_on.wait(30)
        return original_save(self, *args, **kwargs)

    monkeypatch.setattr(Note, "save", slow_save)
    def write_slowly() -> None:
        try:
            add_note(None, "slow", "a raid written slowly")
        finally:
            connection.close()

    writer = threading.Thread(target=write_slowly)
    writer.start()
    try:
        assert taken.wait(30)
        working = workingset.WorkingSet.empty()
        workingset.catch_up(working, keyring)
        assert working.search("raid") == []  # not committed yet: not seen
    finally:
        go_on.set()
        writer.join()
    monkeypatch.setattr(Note, "save", original_save)
    workingset.catch_up(working, keyring)
    assert len(working.search("raid")) == 1
    assert working.count("note") == 2


def test_a_snapshot_that_lost_a_record_is_repaired_when_loaded(organisation, bota):
    """A snapshot saved by the old catch-up (format 3) whose revision passed a record it
    never indexed: it is not trusted, the set is built again from the database, and the
    snapshot saved then is of the new format."""
    keyring = bota.keyring()
    add_note(None, "one", "kept in the snapshot")
    working = workingset.build(keyring)
    lost = add_note(None, "two", "a beating in a police station")
    add_note(None, "three", "another note")
    # What the old code could save: the revision moved past "two" and "three" without them.
    last = Revision.objects.get(pk=1).last
    with working.db:
        working.db.execute("UPDATE state SET revision = ?", (last,))
        working.db.execute("PRAGMA user_version = 3")
    workingset.save_snapshot(working, keyring)
    workingset.drop_all()

    repaired = workingset.build(keyring)
    assert repaired.search("police") == [str(lost.id)]
    assert repaired.count("note") == 3  # "three" was lost the same way
    reloaded = workingset.load_snapshot(keyring)
    assert reloaded is not None
    assert reloaded.db.execute("PRAGMA user_version").fetchone()[0] == workingset.SCHEMA_VERSION
    assert reloaded.search("police") == [str(lost.id)]
