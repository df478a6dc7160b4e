"""Archive imports as background jobs: the page that took the archive answers at once and
leads to a page that says how far the import is (it refreshes itself, no JavaScript), then
shows its result.

    job = import_jobs.start(upload, keyring, user, secret_key=..., passphrase=..., language="ru")
    job = import_jobs.of(job.id)   # its page: for whoever may import records

Why: importing a community's whole archive (100,000 acts and their files) takes minutes;
in one request it outlives a browser's or a proxy's patience, and the person is left not
knowing whether anything was stored. The import itself is all-or-nothing
(kalkan.records.archive.import_archive): a job that fails or a server that stops half-way
stores nothing.

One import runs at a time: each writes a whole archive in one transaction, and a second
would only wait behind it (or, on SQLite, for the database's single writer). Jobs live in
this process's memory with the uploaded archive (itself encrypted, unless a plaintext one
was asked for after a fresh login); the last few finished ones are kept for their pages.
"""

from __future__ import annotations

import logging
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO

from django.conf import settings
from django.db import connections
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kalkan.accounts.models import User
from kalkan.audit.services import record
from kalkan.records import archive
from kalkan.vault.keyring import Keyring

LOG = logging.getLogger(__name__)
KEPT = 16  # finished jobs kept for their result pages


@dataclass
class Job:
    id: str
    user_id: int
    started: datetime
    stage: str = "opening"  # archive.Progress's stages, then "done"
    done: int = 0
    total: int = 0
    result: archive.ArchiveImport | None = None
    finished: threading.Event = field(default_factory=threading.Event)

    def advance(self, stage: str, done: int, total: int) -> None:
        self.stage, self.done, self.total = stage, done, total


_lock = threading.Lock()
_jobs: dict[str, Job] = {}


def running() -> Job | None:
    with _lock:
        return next((job for job in _jobs.values() if not job.finished.is_set()), None)


def start(source: IO[bytes], keyring: Keyring, by: User, *, secret_key: bytes | None,
          passphrase: str | None, language: str) -> Job | None:
    """Start importing the archive (in a thread when settings.IMPORT_IN_BACKGROUND, else
    now); None when another import is running."""
    with _lock:
        if any(not job.finished.is_set() for job in _jobs.values()):
            return None
        job = Job(id=secrets.token_urlsafe(16), user_id=by.pk, started=timezone.now())
        _jobs[job.id] = job
        finished = [key for key, other in _jobs.items() if other.finished.is_set()]
        for key in finished[:max(0, len(finished) - KEPT)]:
            del _jobs[key]
    arguments = (job, source, keyring, by, secret_key, passphrase, language)
    if settings.IMPORT_IN_BACKGROUND:
        threading.Thread(target=_in_background, args=arguments, name="kalkan-archive-import",
                         daemon=True).start()
    else:
        _run(*arguments)
    return job


def of(job_id: str) -> Job | None:
    """The job. Its page is for whoever may import records (the view checks): a colleague
    can see how far an import is, or why it was refused; what it shows are counts, stages
    and the archive's problems, as the importer sees them."""
    with _lock:
        return _jobs.get(job_id)


def _in_background(*arguments: object) -> None:
    try:
        _run(*arguments)  # type: ignore[arg-type]
    finally:
        connections.close_all()  # this thread's database connections


def _run(job: Job, source: IO[bytes], keyring: Keyring, by: User, secret_key: bytes | None,
         passphrase: str | None, language: str) -> None:
    try:
        with translation.override(language):  # its messages in the language of the page
            result = archive.import_archive(source, keyring, by, secret_key=secret_key,
                                            passphrase=passphrase, progress=job.advance)
            record("records.archive_import", actor_id=by.pk, details={
                "ok": result.ok, "files": result.files,
                **{table: n for table, n in result.created.items() if n}})
    except Exception as problem:  # noqa: BLE001 (the page must say it stopped, whatever it was)
        # The kind only: a message could quote what was being imported.
        LOG.error("records: an archive import stopped (%s)", type(problem).__name__)
        with translation.override(language):
            result = archive.ArchiveImport(errors=[_(
                "the import stopped and stored nothing: an error on the server (%(kind)s)")
                % {"kind": type(problem).__name__}])
    job.result = result
    job.stage = "done"
    job.finished.set()
