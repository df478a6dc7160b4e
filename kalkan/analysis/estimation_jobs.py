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

import logging
import multiprocessing
import secrets
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from kalkan.analysis import estimation

LOG = logging.getLogger(__name__)
KEPT = 16  # finished jobs kept for their pages
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
                                        mp_context=multiprocessing.get_context("spawn"))
        return _pool


def _forget_pool() -> None:
    global _pool
    with _lock:
        broken, _pool = _pool, None
    if broken is not None:
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
        finished = [key for key, other in _jobs.items() if other.finished.is_set()]
        for key in finished[:max(0, len(finished) - KEPT)]:
            del _jobs[key]
    if settings.ESTIMATE_IN_BACKGROUND:
        try:
            future = _executor().submit(_worker, tables, strata)
        except BrokenProcessPool:  # the worker died (killed, out of memory): a new one
            _forget_pool()
            future = _executor().submit(_worker, tables, strata)
        future.add_done_callback(lambda done: _finish(job, done))
    else:
        try:
            job.found = compute(tables, strata)
        except estimation.CountsError as e:
            job.refused = e
        job.finished.set()
    return job


def _finish(job: Job, future: Future[Found | tuple[str, str, dict[str, object]]]) -> None:
    try:
        outcome = future.result()
    except Exception as problem:  # noqa: BLE001 (the page must say it stopped, whatever it was)
        LOG.error("analysis: an estimate stopped (%s)", type(problem).__name__)
        if isinstance(problem, BrokenProcessPool):
            _forget_pool()
        job.failed = True
    else:
        if isinstance(outcome, tuple):
            code, message, params = outcome
            job.refused = estimation.CountsError(code, message)
            job.refused.params = params
        else:
            job.found = outcome
    job.finished.set()


def of(job_id: str, user_id: int) -> Job | None:
    """The job, for the analyst who started it only."""
    with _lock:
        job = _jobs.get(job_id)
    return job if job is not None and job.user_id == user_id else None
