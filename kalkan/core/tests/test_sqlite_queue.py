"""The SQLite backend's writer queue (kalkan.core.sqlite_queue): transactions of one process
wait for each other on a lock instead of SQLite's sleeping busy handler. What must hold: the
queue is left however a transaction ends (commit, rollback, a dropped connection), a writer
that waits too long gets SQLite's own "database is locked", and concurrent writers all land.
Runs on its own SQLite file whatever database the suite uses."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.utils import ConnectionHandler


def connections_to(path: Path, count: int, timeout: float = 20) -> ConnectionHandler:
    """Aliases w0 … w<count-1> to one file; a connection belongs to the thread that asks."""
    settings = {
        "ENGINE": "kalkan.core.sqlite_queue",
        "NAME": str(path),
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": timeout},
    }
    return ConnectionHandler({"default": settings, **{f"w{i}": settings for i in range(count)}})


def in_thread(work: Callable[[], object]) -> object:
    """What `work()` returned (or raised) in a thread of its own."""
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(work())
        except Exception as error:  # noqa: BLE001 (the outcome is what the test checks)
            outcome.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return outcome[0]


def begin(connection: BaseDatabaseWrapper) -> None:
    connection.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)


def end(connection: BaseDatabaseWrapper, *, commit: bool = True) -> None:
    connection.commit() if commit else connection.rollback()
    connection.set_autocommit(True)


@pytest.fixture(autouse=True)
def _own_database_file(django_db_blocker):
    # Not the suite's database: a file of this module's own.
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "queue.sqlite3"
    setup = connections_to(path, 1)["w0"]
    with setup.cursor() as cursor:
        cursor.execute("CREATE TABLE note (n INTEGER)")
    setup.close()
    return path


def count(connection: BaseDatabaseWrapper) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM note")
        return int(cursor.fetchone()[0])


def write_one(connection: BaseDatabaseWrapper) -> int:
    begin(connection)
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO note VALUES (2)")
    end(connection)
    rows = count(connection)
    connection.close()
    return rows


def test_a_waiting_writer_is_told_the_database_is_locked(database):
    handler = connections_to(database, 2, timeout=0.5)
    first = handler["w0"]
    begin(first)
    refused = in_thread(lambda: write_one(handler["w1"]))
    assert isinstance(refused, OperationalError) and "locked" in str(refused)
    end(first)
    assert in_thread(lambda: write_one(handler["w1"])) == 1  # the queue is free again


@pytest.mark.parametrize("ending", ["commit", "rollback", "connection dropped"])
def test_every_way_a_transaction_ends_frees_the_queue(database, ending):
    handler = connections_to(database, 2)
    first = handler["w0"]
    begin(first)
    with first.cursor() as cursor:
        cursor.execute("INSERT INTO note VALUES (1)")
    if ending == "connection dropped":
        first.close()
    else:
        end(first, commit=ending == "commit")
    # The other writer gets in (it would wait and be refused if the queue were still held).
    assert in_thread(lambda: write_one(handler["w1"])) == (2 if ending == "commit" else 1)


def test_twenty_concurrent_writers_all_land(database):
    handler = connections_to(database, 20)
    failures: list[BaseException] = []

    def write(alias: str) -> None:
        connection = handler[alias]
        try:
            for n in range(10):
                begin(connection)
                with connection.cursor() as cursor:
                    cursor.execute("INSERT INTO note VALUES (%s)", [n])
                end(connection)
        except BaseException as error:  # noqa: BLE001 (collected for the assertion)
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(f"w{i}",)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert count(connections_to(database, 1)["w0"]) == 200
