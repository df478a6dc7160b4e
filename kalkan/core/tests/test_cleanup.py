"""What a crash leaves half-written is removed at the next start (and by `kalkan cleanup`):
orphan encrypted files and content keys go, acknowledged reports keep every byte, and an
upload still arriving (a young orphan) is left alone."""

from __future__ import annotations

import io
import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from kalkan.core import cleanup
from kalkan.intake.models import Evidence, Report
from kalkan.intake.tests.test_faults import named, photo
from kalkan.intake.tests.test_report import STORY
from kalkan.intake.uploads import SealedUploadHandler
from kalkan.vault.files import SealedFileWriter, files_dir, open_file, store_file
from kalkan.vault.models import ContentKey
from kalkan.vault.records import new_content_key, open_content_key, read

pytestmark = pytest.mark.django_db

HOUR = 3600


@pytest.fixture(autouse=True)
def own_files(settings, tmp_path):
    """A data directory of this test's own: other tests leave files whose rows rolled back."""
    settings.DATA_DIR = tmp_path


def crash_leftovers(age_seconds: float) -> tuple[Path, Path, str]:
    """What a kill -9 between the file and the record leaves: a complete encrypted file,
    a cut-off `.partial` and a committed key row, none of them used by any record."""
    row, key = new_content_key(None)  # saved: how uploads stored their keys before
    done = files_dir() / store_file(key, "lost", row.sealed_in_epoch, [b"half a story"]).name
    writer = SealedFileWriter(key, "lost", row.sealed_in_epoch)
    writer.write(b"cut off")
    writer.out.flush()
    then = time.time() - age_seconds
    for path in (done, writer.partial):
        os.utime(path, (then, then))
    return done, writer.partial, str(row.pk)


def acknowledged_report() -> None:
    response = Client().post(
        "/en/report/", {**STORY, "files": named(photo(120, 80, seed=3), "yard.jpg")}
    )
    assert response.status_code == 200


def everything_acknowledged_reads(bota) -> None:
    keyring = bota.keyring()
    report = Report.objects.get()
    assert read(report, open_content_key(report.content_key, keyring))["narrative"] == (
        STORY["narrative"]
    )
    evidence = Evidence.objects.get()
    key = open_content_key(evidence.content_key, keyring)
    for name in (evidence.original_file, evidence.working_file):
        assert b"".join(open_file(key, str(evidence.id), evidence.content_key.sealed_in_epoch,
                                  name))


def test_old_orphans_go_and_acknowledged_reports_keep_everything(organisation, bota):
    acknowledged_report()
    kept_files = set(files_dir().iterdir())
    done, partial, key_id = crash_leftovers(age_seconds=7 * HOUR)

    cleaned = cleanup.clean_orphans(timedelta(0))

    assert (cleaned.files, cleaned.keys) == (2, 1)
    assert not done.exists() and not partial.exists()
    assert not ContentKey.objects.filter(pk=key_id).exists()
    assert set(files_dir().iterdir()) == kept_files
    everything_acknowledged_reads(bota)


def test_young_orphans_are_kept_as_an_upload_may_still_be_arriving(organisation, bota,
                                                                  monkeypatch):
    acknowledged_report()
    done, partial, key_id = crash_leftovers(age_seconds=60)

    first = cleanup.clean_orphans(timedelta(hours=1))
    assert (first.files, first.keys, first.kept_young) == (0, 0, 3)
    assert done.exists() and partial.exists()
    assert ContentKey.objects.filter(pk=key_id).exists()

    # Two hours later the same leftovers are past the grace period.
    later = time.time() + 2 * HOUR
    monkeypatch.setattr(cleanup.time, "time", lambda: later)
    second = cleanup.clean_orphans(timedelta(hours=1))
    assert (second.files, second.keys, second.kept_young) == (2, 1, 0)
    assert not ContentKey.objects.filter(pk=key_id).exists()
    everything_acknowledged_reads(bota)


def test_a_crash_before_the_record_now_leaves_no_key_row(organisation, monkeypatch):
    def crash(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # stands for the process dying mid-write

    monkeypatch.setattr("kalkan.intake.services.write", crash)
    # A killed process runs no clean-up of its own either.
    monkeypatch.setattr(SealedUploadHandler, "abandon_unless_kept", lambda self: None)
    with pytest.raises(KeyboardInterrupt):
        Client().post("/en/report/", {**STORY, "files": named(photo(60, 40, seed=4), "a.jpg")})
    assert ContentKey.objects.count() == 0 and Report.objects.count() == 0


def test_the_command_says_what_it_removed(organisation):
    crash_leftovers(age_seconds=7 * HOUR)
    out = io.StringIO()
    call_command("cleanup", stdout=out)
    assert out.getvalue().strip() == (
        "Removed 2 orphan files and 0 orphan keys; 1 younger than the grace period kept."
    )
    out = io.StringIO()
    call_command("cleanup", grace_hours=0, stdout=out)
    assert "Removed 0 orphan files and 1 orphan keys" in out.getvalue()


def test_server_start_cleans_everything_when_no_other_server_runs(organisation, monkeypatch):
    done, partial, key_id = crash_leftovers(age_seconds=1)
    monkeypatch.setattr(cleanup, "_held_lock", None)
    cleaned = cleanup.clean_at_start()
    assert (cleaned.files, cleaned.keys) == (2, 1)
    assert not done.exists() and not ContentKey.objects.filter(pk=key_id).exists()
