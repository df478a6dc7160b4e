"""Large bodies never reach the temporary directory: only the report and follow-up forms
(and staff entering a report, and the records import) take files, through handlers that
stream into encryption; every other page refuses a large body before reading it."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.core.files import temp as django_temp
from django.core.files import uploadedfile
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from kalkan.core.testing import log_in
from kalkan.intake.models import Evidence
from kalkan.intake.tests.test_report import STORY, receipt_on

# Over Django's FILE_UPLOAD_MAX_MEMORY_SIZE (2.5 MB): its default handlers write such a file
# to the temporary directory, in plaintext, as soon as the CSRF check reads the form.
FOUR_MB = b"CANARY-BODY " * (4 * 1024 * 1024 // 12)


@pytest.fixture
def temp_files(monkeypatch, tmp_path) -> list[str]:
    """Every temporary upload file Django makes, and a temporary directory to watch."""
    made: list[str] = []
    real = django_temp.NamedTemporaryFile

    def spy(*args: Any, **kwargs: Any) -> Any:
        handle = real(*args, **{**kwargs, "dir": tmp_path})
        made.append(handle.name)
        return handle

    monkeypatch.setattr(django_temp, "NamedTemporaryFile", spy)
    return made


def _multipart(fields: dict[str, Any]) -> bytes:
    return encode_multipart(BOUNDARY, fields)


def _assert_refused(response: Any) -> None:
    assert response.status_code == 413
    page = response.content.decode()
    assert "The request was too large" in page
    assert "Nothing was saved" in page


def _file(name: str = "big.bin") -> uploadedfile.SimpleUploadedFile:
    return uploadedfile.SimpleUploadedFile(name, FOUR_MB, "application/octet-stream")


@pytest.mark.parametrize("path", ["/en/staff/login/", "/en/report/saved/", "/ru/staff/login/",
                                  "/kk/staff/logout/", "/en/"])
def test_a_large_multipart_to_a_page_without_files_is_refused_unread(
    csrf_client, organisation, temp_files, path
):
    # A visitor with a CSRF cookie (any page gives one) but no token in the form: the CSRF
    # check reads the form to look for it, so the body must be refused before that.
    csrf_client.get("/en/staff/login/")
    assert settings.CSRF_COOKIE_NAME in csrf_client.cookies
    response = csrf_client.post(path, {"username": "bota", "file": _file()})
    assert temp_files == []
    assert response.status_code == 413
    if path.startswith("/en/"):
        _assert_refused(response)


def test_a_large_body_to_a_staff_page_is_refused_for_staff_too(
    organisation, bota, temp_files, monkeypatch
):
    client = log_in(Client(), bota)
    response = client.post("/en/staff/cases/new/", {"title": "x", "file": _file()})
    _assert_refused(response)
    assert temp_files == []


def test_a_declared_200_mb_body_is_not_read_at_all(csrf_client, organisation, temp_files):
    # The body says 200 MB but carries only a few bytes: a page that read it would fail
    # (the test client refuses to read past what was sent) instead of answering 413.
    body = _multipart({"username": "bota"})
    response = csrf_client.generic(
        "POST", "/en/staff/login/", body, content_type=MULTIPART_CONTENT,
        CONTENT_LENGTH=str(200 * 1024 * 1024),
    )
    _assert_refused(response)


@pytest.mark.parametrize("length", ["", "chunked", "-1", "12"])
def test_a_body_without_a_true_length_leaves_nothing_on_disk(
    csrf_client, organisation, temp_files, length
):
    """Chunked (no Content-Length), a length that does not parse, or one far smaller than
    the body: the page reads at most the declared bytes, and no file part reaches memory or
    the temporary directory."""
    body = _multipart({"username": "bota", "passphrase": "x", "code": "000000",
                       "file": _file()})
    response = csrf_client.generic(
        "POST", "/en/staff/login/", body, content_type=MULTIPART_CONTENT,
        CONTENT_LENGTH=length, HTTP_TRANSFER_ENCODING="chunked",
    )
    assert response.status_code in (400, 403)
    assert temp_files == []


def test_a_small_file_sent_to_a_page_without_files_is_dropped_unbuffered(
    client, organisation, temp_files, monkeypatch
):
    from django.core.files.uploadhandler import MemoryFileUploadHandler

    buffered: list[bytes] = []
    real = MemoryFileUploadHandler.receive_data_chunk

    def spy(self: Any, raw_data: bytes, start: int) -> Any:
        buffered.append(raw_data)
        return real(self, raw_data, start)

    monkeypatch.setattr(MemoryFileUploadHandler, "receive_data_chunk", spy)
    small = uploadedfile.SimpleUploadedFile("note.txt", b"CANARY-small-file", "text/plain")
    response = client.post("/en/staff/login/", {"username": "bota", "passphrase": "x",
                                                "code": "000000", "file": small})
    # The login page again, with its usual refusal: the file was skipped, not kept.
    assert response.status_code == 403
    assert "The username, passphrase or code is not right" in response.content.decode()
    assert buffered == [] and temp_files == []


def test_the_report_and_follow_up_forms_still_take_files_streamed_sealed(
    client, organisation, temp_files
):
    """They take files (no 413), straight into encryption: nothing in the temporary
    directory."""
    response = client.post("/en/report/", dict(STORY, files=[_file("photo.bin")]))
    assert response.status_code == 200
    receipt = receipt_on(response.content)
    follow_up = client.post("/en/mailbox/", {"receipt": receipt, "follow_up": "One more",
                                             "files": [_file("second.bin")]})
    assert follow_up.status_code == 200
    assert temp_files == []
    assert Evidence.objects.count() == 2
