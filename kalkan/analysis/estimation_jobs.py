"""Estimates computed away from the web server's process: the estimates page answers at once
and leads to a page that refreshes itself (no JavaScript) until the result is there.

    job = estimation_jobs.start(tables, strata, user_id)
    job = estimation_jobs.of(job.id, user_id)   # None: not this user's, or forgotten

Why: LCMCR's sampler takes seconds a table, and a table per stratum multiplies that. Inside a
request it held one of the server's threads, and Python's interpreter lock with it, for the
whole run: the public form answered slower while an analyst estimated. In one worker process
of its own it does neither, and estimates queue there one after another.

What goes to the worker are counts of people on combinations of lists, never people. Jobs
live in this process's memory; a restarted server forgets them (the page says to estimate
again). Tests compute in the request (settings.ESTIMATE_IN_BACKGROUND = False).
"""

from __future__ import annotations

import functools
import logging
import multiprocessing
import os
import re
import secrets
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from kalkan.analysis import estimation

LOG = logging.getLogger(__name__)
KEPT = 8  # finished jobs kept for their pages, per person
MOST_WAITING = 2  # unfinished estimates per person

Found = estimation.Estimate | estimation.Stratified


@dataclass
class Job:
    id: str
    user_id: int
    started: datetime
    tables: dict[str, estimation.CaptureTable]
    strata: str | None
    found: Found | None = None
    refused: estimation.CountsError | None = None
    failed: bool = False
    finished: threading.Event = field(default_factory=threading.Event)


_lock = threading.Lock()
_jobs: dict[str, Job] = {}
_pool: ProcessPoolExecutor | None = None


def compute(tables: dict[str, estimation.CaptureTable], strata: str | None) -> Found:
    """The estimate of the tables (one, or one per stratum with their total)."""
    if strata is None:
        return estimation.estimate(tables[""])
    return estimation.estimate_strata(tables)


def _worker(tables: dict[str, estimation.CaptureTable],
            strata: str | None) -> Found | tuple[str, str, dict[str, object]]:
    # A refusal crosses back as plain values: CountsError's own arguments do not pickle.
    try:
        return compute(tables, strata)
    except estimation.CountsError as e:
        return (e.code, str(e), e.params)


def _executor() -> ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            # "spawn": a fresh interpreter that imports only the estimation code; forking a
            # server with running threads could copy a lock held by one of them.
            _pool = ProcessPoolExecutor(max_workers=1,
                                        mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_outlive_nobody, initargs=(os.getpid(),))
        return _pool


def _outlive_nobody(server: int) -> None:
    """In the worker: end when the server that started it is gone. A server stopped by a
    signal runs no exit handlers, and the worker, waiting for its next estimate, would
    otherwise stay behind for good (holding its memory) after every restart outside
    systemd."""
    def watch() -> None:
        while os.getppid() == server:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, name="kalkan-estimate-watch", daemon=True).start()


def _forget_pool(broken: ProcessPoolExecutor) -> None:
    """A new worker for the next estimate: only if `broken` is still the current pool (a
    later one, healthy, may have replaced it already)."""
    global _pool
    with _lock:
        if _pool is not broken:
            return
        _pool = None
    broken.shutdown(wait=False, cancel_futures=True)


def start(tables: dict[str, estimation.CaptureTable], strata: str | None,
          user_id: int) -> Job | None:
    """The new job; None while this person already has MOST_WAITING estimates unfinished
    (one person's clicks must not fill the queue that every analyst's estimates wait in)."""
    job = Job(id=secrets.token_urlsafe(16), user_id=user_id, started=timezone.now(),
              tables=tables, strata=strata)
    with _lock:
        waiting = sum(1 for other in _jobs.values()
                      if other.user_id == user_id and not other.finished.is_set())
        if waiting >= MOST_WAITING:
            return None
        _jobs[job.id] = job
        # Each person's last KEPT finished estimates stay (one busy colleague's must not
        # push out another's result before they have read it).
        finished = [key for key, other in _jobs.items()
                    if other.finished.is_set() and other.user_id == user_id]
        for key in finished[:max(0, len(finished) - KEPT)]:
            del _jobs[key]
    if not settings.ESTIMATE_IN_BACKGROUND:
        try:
            job.found = compute(tables, strata)
        except estimation.CountsError as e:
            job.refused = e
        except Exception as problem:  # noqa: BLE001 (the page must say it stopped)
            _log(problem)
            job.failed = True
        job.finished.set()
        return job
    for attempt in (1, 2):
        pool = _executor()
        try:
            future = pool.submit(_worker, tables, strata)
        except Exception as problem:  # noqa: BLE001 (broken or shut down: a new worker once)
            _forget_pool(pool)
            if attempt == 2:
                _log(problem)
                job.failed = True
                job.finished.set()
        else:
            future.add_done_callback(functools.partial(_finish, job, pool=pool))
            break
    return job


def _finish(job: Job, future: Future[Found | tuple[str, str, dict[str, object]]], *,
            pool: ProcessPoolExecutor) -> None:
    try:
        outcome = future.result()
    except Exception as problem:  # noqa: BLE001 (the page must say it stopped, whatever it was)
        _log(problem)
        if isinstance(problem, BrokenProcessPool):
            _forget_pool(pool)
        job.failed = True
    else:
        if isinstance(outcome, tuple):
            code, message, params = outcome
            job.refused = estimation.CountsError(code, message)
            job.refused.params = params
        else:
            job.found = outcome
    job.finished.set()


def _log(problem: BaseException) -> None:
    """The kind of error and where the worker was: enough for an administrator to report,
    and no counts (the message itself is left out)."""
    remote = str(getattr(problem.__cause__, "tb", ""))
    where = re.findall(r'File "([^"]+)", line (\d+), in (\w+)', remote)
    place = " at {}:{} in {}".format(*where[-1]) if where else ""
    LOG.error("analysis: an estimate stopped (%s%s)", type(problem).__name__, place)


def of(job_id: str, user_id: int) -> Job | None:
    """The job, for the analyst who started it only."""
    with _lock:
        job = _jobs.get(job_id)
    return job if job is not None and job.user_id == user_id else None
