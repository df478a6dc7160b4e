"""Uploads: streamed straight into encryption, names made harmless, images re-encoded.

`SealedUploadHandler` replaces Django's handlers for the public forms, so no upload ever
lands in memory whole or in a temporary file: each chunk is encrypted as it arrives into the
vault's file store, under the content key of a new evidence record. Limits per file and per
request stop the upload; the view then stores nothing and says why.
"""

from __future__ import annotations

import io
import threading
import unicodedata
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.core.handlers.wsgi import LimitedStream
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from PIL import Image, UnidentifiedImageError

from kalkan.core.bodies import takes_files
from kalkan.core.csrf import csrf_protect
from kalkan.vault.authentic import Untrusted
from kalkan.vault.files import SealedFileWriter, StoredFile, delete_file
from kalkan.vault.models import ContentKey
from kalkan.vault.records import new_content_key

# Decompression bombs: a few kilobytes of PNG can decode to gigabytes of pixels. Pillow only
# warns between MAX_IMAGE_PIXELS and twice that, so the size is checked from the header
# before any pixel is decoded (reencode_image), and Pillow's own check backs it up.
MAX_IMAGE_PIXELS = 50_000_000
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
warnings.simplefilter("error", Image.DecompressionBombWarning)
# The working copy's longest side: JPEGs are decoded at a reduced scale (draft mode) when
# larger, so a 50 MP photo costs a quarter of its full size in memory.
WORKING_COPY_MAX_SIDE = 4096
# At most this many images are decoded at once in a process: each may take a few hundred MB
# (50 MP × 4 bytes, and its RGB copy); more at once only queue for the same two cores.
_DECODING = threading.BoundedSemaphore(2)
_IMAGE_SIGNATURES = {
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
}


def safe_name(name: str, limit: int = 100) -> str:
    """A file name that cannot traverse paths, hide its extension or break a page."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    # Control characters and bidirectional overrides (which can disguise "exe.jpg") go.
    kept = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    kept = kept.strip().lstrip(".") or "file"
    return kept[:limit]


def sniff_image(head: bytes) -> str | None:
    """The image type from the file's first bytes (never from what the browser claims)."""
    for signature, content_type in _IMAGE_SIGNATURES.items():
        if head.startswith(signature):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


class ImageTooLarge(Exception):
    """An image whose pixels would not fit in bounded memory (a decompression bomb)."""


# What a form says when an image is refused as too large in pixels.
IMAGE_TOO_LARGE = gettext_lazy(
    "An image has too many pixels to be processed safely (at most %(megapixels)d megapixels). "
    "Nothing was saved. Please send a smaller image, or put it in a ZIP archive."
)


def image_too_large_message() -> str:
    return str(IMAGE_TOO_LARGE) % {"megapixels": MAX_IMAGE_PIXELS // 1_000_000}


def reencode_image(data: bytes) -> bytes | None:
    """A copy made from the pixels alone: no EXIF, GPS, XMP, ICC or thumbnails survive.
    None when the image cannot be read; ImageTooLarge when it has more than
    MAX_IMAGE_PIXELS pixels (checked before decoding them)."""
    with _DECODING:
        try:
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise ImageTooLarge(f"{width}x{height}")
                # JPEG only: decode at 1/2, 1/4 or 1/8 scale when that is still big enough.
                image.draft("RGB", (WORKING_COPY_MAX_SIDE, WORKING_COPY_MAX_SIDE))
                image.load()
                # Shrunk in its own mode before any RGB copy is made, so a large image is
                # held once at full size (1 byte a pixel for bilevel and grey, 3–4 for colour).
                frame: Image.Image = image
                if frame.mode == "1":
                    frame = frame.convert("L")
                elif frame.mode not in ("RGB", "RGBA", "L", "LA"):
                    frame = frame.convert("RGB")
                frame.thumbnail((WORKING_COPY_MAX_SIDE, WORKING_COPY_MAX_SIDE))
                rgb = frame.convert("RGB")
                del frame
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
            raise ImageTooLarge(str(e)) from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
            return None
        # Rebuilt from raw pixels so that nothing of the source's metadata can ride along.
        pixels = Image.frombytes("RGB", rgb.size, rgb.tobytes())
        del rgb
        out = io.BytesIO()
        pixels.save(out, format="JPEG", quality=90)
        return out.getvalue()


@dataclass
class SealedUpload:
    """One uploaded file as the view sees it: already encrypted, with its evidence id and key."""

    evidence_id: uuid.UUID
    content_key: ContentKey
    # The key, the reporter's file name and the file's first bytes stay out of repr (logs,
    # tracebacks).
    key: bytes = field(repr=False)
    name: str = field(repr=False)
    content_type: str = field(repr=False)
    stored: StoredFile | None = None
    head: bytes = field(default=b"", repr=False)
    # The re-encoded working copy's file, made before the record's transaction.
    working: StoredFile | None = None


@dataclass
class UploadProblems:
    too_large: bool = False
    too_many: bool = False
    stored: list[SealedUpload] = field(default_factory=list)
    # The organisation's key failed its check (kalkan.vault.authentic): nothing is sealed.
    unavailable: Untrusted | None = None


class _Received(UploadedFile):
    """What Django puts in request.FILES: a marker pointing at the sealed upload."""

    def __init__(self, upload: SealedUpload) -> None:
        super().__init__(file=io.BytesIO(b""), name=upload.name, size=0)
        self.sealed = upload


class SealedUploadHandler(FileUploadHandler):
    def __init__(
        self, request: HttpRequest, *, max_file_bytes: int, max_total_bytes: int, max_files: int
    ) -> None:
        super().__init__(request)
        self.max_file_bytes = max_file_bytes
        self.max_total_bytes = max_total_bytes
        self.max_files = max_files
        self.total = 0
        self.problems = UploadProblems()
        self.writer: SealedFileWriter | None = None
        self.current: SealedUpload | None = None
        self.kept = False

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        if len(self.problems.stored) >= self.max_files:
            self.problems.too_many = True
            raise StopUpload(connection_reset=False)
        if self.problems.unavailable is not None:
            return
        try:
            # The key row is saved only with the evidence record (one short transaction
            # after the body has arrived): a crash or a broken upload leaves no key row.
            row, key = new_content_key(None, save=False)
        except Untrusted as problem:
            # The rest of the body is still read (the typed text comes back); this file is
            # skipped, never sealed to a key the vault cannot vouch for.
            self.problems.unavailable = problem
            return
        evidence_id = uuid.uuid4()
        self.current = SealedUpload(
            evidence_id, row, key, safe_name(self.file_name or ""), self.content_type or ""
        )
        self.writer = SealedFileWriter(key, str(evidence_id), row.sealed_in_epoch)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        if self.writer is None or self.current is None:
            return None
        self.total += len(raw_data)
        if start + len(raw_data) > self.max_file_bytes or self.total > self.max_total_bytes:
            self._abort_current()
            self.problems.too_large = True
            raise StopUpload(connection_reset=False)
        if start == 0:
            self.current.head = raw_data[:16]
        self.writer.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if self.writer is None or self.current is None:
            return None
        self.current.stored = self.writer.close()
        self.problems.stored.append(self.current)
        received = _Received(self.current)
        self.writer, self.current = None, None
        return received

    def upload_interrupted(self) -> None:
        """The connection broke (a truncated body): nothing of this file stays."""
        self._abort_current()

    def _abort_current(self) -> None:
        if self.writer is not None:
            self.writer.abort()
        self.writer, self.current = None, None

    def keep(self) -> None:
        """The files now belong to a stored report or message."""
        self.kept = True

    def abandon_unless_kept(self) -> None:
        """After the view, whatever happened (invalid form, CSRF failure, a connection that
        broke mid-body): files nobody kept are removed (their keys were never saved)."""
        if not self.kept:
            self._abort_current()
            self.discard_all()

    def discard_all(self) -> None:
        """The submission failed: remove every file this request made (their key rows were
        never saved, or went with the rolled-back transaction)."""
        for upload in self.problems.stored:
            for stored in (upload.stored, upload.working):
                if stored is not None:
                    delete_file(stored.name)
        self.problems.stored.clear()


_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def body_cut_short(request: HttpRequest) -> bool:
    """Whether a form's body ended before its Content-Length said (a dropped Tor circuit, a
    connection closed half-way). Django's parsers take such a body as if complete (a cut
    narrative, a report without its second file); once they have run, a complete body has
    been read to its last byte."""
    stream = getattr(request, "_stream", None)
    if request.method != "POST" or not isinstance(stream, LimitedStream):
        return False
    if request.content_type not in _FORM_TYPES:
        return False
    request.POST  # noqa: B018 (parses the body, through the sealing handler, if not yet)
    return int(vars(stream)["_pos"]) < stream.limit


def install_sealed_uploads(request: HttpRequest) -> SealedUploadHandler:
    """Every uploaded byte of this request goes through the sealing handler straight into
    encryption: Django's own handlers would keep files in memory or a plaintext temp file."""
    handler = SealedUploadHandler(
        request,
        max_file_bytes=settings.INTAKE_MAX_FILE_BYTES,
        max_total_bytes=settings.INTAKE_MAX_REPORT_BYTES,
        max_files=settings.INTAKE_MAX_FILES,
    )
    request.upload_handlers = [handler]
    return handler


UploadView = Callable[..., HttpResponse]


def with_sealed_uploads(view: UploadView) -> Callable[..., HttpResponseBase]:
    """For views that take files: `view(request, uploads, *args)`.

    The handler must be installed before anything reads the body, and Django's CSRF check
    reads it; so the view is CSRF-exempt outside, the handler goes in, and then the same
    check as the middleware's runs (Django's advice for changing upload handlers). Files
    that the view did not `keep()` (invalid form, CSRF failure, a connection that broke)
    are removed afterwards, with their keys.
    """
    protected = csrf_protect(view)

    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        uploads = install_sealed_uploads(request)
        try:
            return protected(request, uploads, *args, **kwargs)
        finally:
            uploads.abandon_unless_kept()

    return takes_files(wrapper)
