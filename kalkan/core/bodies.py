"""Request bodies: only the views that take files read large ones, and no file ever lands in
the temporary directory.

Django's default upload handlers keep a multipart file in memory up to 2.5 MB and write
larger ones, in plaintext, to the system's temporary directory, as soon as anything reads
request.POST: the CSRF check does so before the view runs, whoever sends it, token or not.
Here:

- the default handler refuses files (`RefuseFiles`): a part with a file name is skipped,
  never buffered or written;
- the views that take files (report and follow-up forms, staff entering a report, the
  records import) say so with `takes_files`, and install their own handlers, which stream
  into encryption (kalkan.intake.uploads) or keep an encrypted package in memory;
- every other view refuses a declared body over KALKAN_MAX_BODY_BYTES before anything
  reads it (`BodyLimitMiddleware`, ahead of the CSRF check), with a 413 page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render

from kalkan.core.gates import ViewGateMiddleware

V = TypeVar("V", bound=Callable[..., Any])


def takes_files(view: V) -> V:
    """Mark a view that installs its own upload handlers (functools.wraps carries the mark
    through the decorators outside it)."""
    view.takes_files = True  # type: ignore[attr-defined]
    return view


class RefuseFiles(FileUploadHandler):
    """The default upload handler: files are skipped unread into memory or disk."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        raise SkipFile

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        return None

    def file_complete(self, file_size: int) -> None:
        return None


def declared_length(request: HttpRequest) -> int:
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0  # Django reads nothing of a body whose length it cannot parse


def too_large(request: HttpRequest) -> HttpResponse:
    return render(request, "errors/413.html", status=413)


class BodyLimitMiddleware(ViewGateMiddleware):
    def refuse(
        self, request: HttpRequest, view: Callable[..., HttpResponseBase]
    ) -> HttpResponseBase | None:
        if getattr(view, "takes_files", False):
            return None
        if declared_length(request) > settings.MAX_BODY_BYTES:
            return too_large(request)
        return None
