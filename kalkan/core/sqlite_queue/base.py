"""Django's SQLite backend with one queue of writers per process.

SQLite lets one transaction write at a time, and every Kalkan transaction begins IMMEDIATE
(it takes the write lock at BEGIN). When the lock is taken, SQLite's busy handler makes the
waiting thread sleep in growing steps (1, 2, 5, 10 … 100 ms) and try again, so with twenty
reporters sending at once most of the time went to sleeping past a lock that had long been
free: seven reports a second where the disk allows hundreds. `kalkan serve` is one process
with threads, so its transactions queue on a lock of its own instead and each starts the
moment the one before it commits. Other processes (timers, commands) still meet SQLite's
busy handler, as before; the order and durability of writes are unchanged.
"""

from __future__ import annotations

import threading
from typing import Any

from django.db import OperationalError
from django.db.backends.sqlite3 import base

_queues: dict[str, threading.Lock] = {}
_queues_guard = threading.Lock()


def _queue(name: str) -> threading.Lock:
    with _queues_guard:
        return _queues.setdefault(name, threading.Lock())


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._holds_queue: threading.Lock | None = None

    def _start_transaction_under_autocommit(self) -> None:
        queue = _queue(str(self.settings_dict["NAME"]))
        # As long as SQLite's own wait would have been, and the same error after it.
        if not queue.acquire(timeout=float(self.settings_dict["OPTIONS"].get("timeout", 5))):
            raise OperationalError("database is locked")
        self._holds_queue = queue
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # private in the stubs
        except BaseException:
            self._leave_queue()
            raise

    def _leave_queue(self) -> None:
        queue, self._holds_queue = self._holds_queue, None
        if queue is not None:
            queue.release()

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]  # private in the stubs
        finally:
            self._leave_queue()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]  # private in the stubs
        finally:
            self._leave_queue()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]  # private in the stubs
        finally:
            self._leave_queue()
