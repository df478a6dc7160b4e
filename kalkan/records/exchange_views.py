"""The import and export page of the documentation records (kalkan.records.exchange).

An export is sent as an attachment straight from memory: Kalkan never writes it to disk.
Real names and contacts go into it only when asked for, after a fresh passphrase and code.
An imported file is read into memory by an upload handler of its own (Django's would put a
larger upload in a plaintext temporary file) and is never stored. Every export and import is
in the audit log with its counts, never its content; the counts of a restricted case's
records are sealed to that case's members.
"""

from __future__ import annotations

import base64
import binascii
import io
from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import InMemoryUploadedFile, UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from kalkan.accounts.decorators import (
    acting_user,
    capability_required,
    recent_auth_required,
    staff_required,
)
from kalkan.accounts.roles import Capability
from kalkan.audit.services import record
from kalkan.core.bodies import takes_files
from kalkan.core.csrf import csrf_protect
from kalkan.records import archive, consent, exchange, import_jobs
from kalkan.vault.models import Compartment
from kalkan.vault.session import keyring_required

# The largest file an import takes; it is held in memory while it is checked.
MAX_IMPORT_BYTES = 50 * 1024 * 1024
# How many old → new ids the page lists after an import.
SHOWN_IDS = 500

FORMATS = [("json", gettext_lazy("JSON (one file)")),
           ("csv", gettext_lazy("CSV tables in a ZIP file (for spreadsheets)"))]
INTERNAL = "internal"
TABLE_LABELS = {
    "events": gettext_lazy("Events"),
    "acts": gettext_lazy("Acts"),
    "involvements": gettext_lazy("Involvements of perpetrators"),
    "persons": gettext_lazy("Persons"),
    "sources": gettext_lazy("Sources of information"),
    "interventions": gettext_lazy("Interventions"),
    "links": gettext_lazy("Links between events"),
    "consents": gettext_lazy("Consent statements"),
    "evidence": gettext_lazy("Evidence items"),
    "custody": gettext_lazy("Chain of custody entries"),
    "laws": gettext_lazy("Laws"),
    "law_stages": gettext_lazy("Stages of laws"),
    "law_deadlines": gettext_lazy("Deadlines"),
    "law_links": gettext_lazy("Links to laws"),
    "local_terms": gettext_lazy("Local vocabulary terms"),
    "merged_events": gettext_lazy("Events merged into others"),
    "merged_persons": gettext_lazy("Persons merged into others"),
}


# What an archive import is doing (kalkan.records.archive.Progress), as its page says it.
IMPORT_STAGES = {
    "opening": gettext_lazy("Decrypting and checking the archive's files"),
    "checking": gettext_lazy("Checking every row and every link between rows"),
    "storing": gettext_lazy("Storing the records, sealed"),
    "files": gettext_lazy("Storing the evidence files, sealed"),
}


class ExportForm(forms.Form):
    format = forms.ChoiceField(label=gettext_lazy("Format"), choices=FORMATS, initial="json")
    purpose = forms.ChoiceField(
        label=gettext_lazy("What the export is for"),
        choices=[(INTERNAL, gettext_lazy("Internal: all records, whatever the consent")),
                 *consent.PURPOSES],
        initial=INTERNAL,
        help_text=gettext_lazy(
            "For a purpose, the persons who do not consent to it now are left out, with the "
            "acts they suffered; the file says how many. What remains is not anonymised: "
            "stories, places and notes go out in full."),
    )
    include_identity = forms.BooleanField(
        label=gettext_lazy("Include real names and contacts"), required=False,
        help_text=gettext_lazy(
            "Only if the file must carry them: an export is not encrypted. You will be asked "
            "for your passphrase and a code again."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("include_identity") and data.get("purpose") in exchange.ANONYMISED_PURPOSES:
            raise forms.ValidationError(
                _("Real names never go into an anonymised export. Untick the box or choose "
                  "another purpose."))
        return data


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Export file (.json or .zip)"),
        help_text=gettext_lazy(
            "Every row is checked first. If anything is wrong, nothing is stored and the "
            "page lists the problems."),
    )


LOCKS = [
    ("partner", gettext_lazy("Sealed to a partner's public key: only their secret key opens it")),
    ("passphrase", gettext_lazy("Locked with a passphrase: tell it to the recipient by another "
                                "channel")),
    ("none", gettext_lazy("Not encrypted: anyone who gets the file reads everything (you will "
                          "be asked for your passphrase and a code again)")),
]


class ArchiveExportForm(forms.Form):
    lock = forms.ChoiceField(label=gettext_lazy("How the archive is locked"), choices=LOCKS,
                             initial="partner", widget=forms.RadioSelect)
    public_key = forms.CharField(
        label=gettext_lazy("The partner's public key"), required=False,
        help_text=gettext_lazy("The text their key tool printed. Compare the fingerprint with "
                               "them by phone after the download."))
    passphrase = forms.CharField(
        label=gettext_lazy("Archive passphrase (at least 12 characters)"), required=False,
        widget=forms.PasswordInput, strip=False)
    include_identity = forms.BooleanField(
        label=gettext_lazy("Include real names and contacts"), required=False,
        help_text=gettext_lazy("Only if the archive must carry them. You will be asked for "
                               "your passphrase and a code again."))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lock = data.get("lock")
        try:
            if lock == "partner":
                key = base64.b64decode(data.get("public_key", "").strip(), validate=True)
                data["archive_lock"] = archive.Lock.partner(key)
            elif lock == "passphrase":
                data["archive_lock"] = archive.Lock.with_passphrase(data.get("passphrase", ""))
            elif lock == "none":
                data["archive_lock"] = archive.Lock.plaintext()
        except (binascii.Error, ValueError):
            raise forms.ValidationError(
                _("A partner's public key is 44 characters of base64 text.") if lock == "partner"
                else _("The archive passphrase needs at least 12 characters.")) from None
        return data


class ArchiveImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Complete archive (.kalkan)"))
    passphrase = forms.CharField(label=gettext_lazy("Archive passphrase, if it has one"),
                                 required=False, widget=forms.PasswordInput, strip=False)
    secret_key = forms.CharField(
        label=gettext_lazy("Your secret key, if the archive was sealed to you"),
        required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("The text of your key file. It is used for this import only "
                               "and not kept."))

    def clean_secret_key(self) -> bytes | None:
        text = self.cleaned_data.get("secret_key", "")
        if not text.strip():
            return None
        try:
            return archive.read_key_file(text)
        except ValueError:
            raise forms.ValidationError(_("This is not the text of a key file.")) from None


# --- uploads held in memory only ---------------------------------------------------------------


class MemoryOnlyUpload(FileUploadHandler):
    """Keeps one uploaded file in memory up to a limit; never a temporary file on disk."""

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.buffer: io.BytesIO | None = None
        self.too_large = False
        self.files = 0

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.files += 1
        if self.files > 1:
            raise StopUpload(connection_reset=False)
        self.buffer = io.BytesIO()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        if self.buffer is None:
            return None
        if start + len(raw_data) > self.limit:
            self.buffer = None
            self.too_large = True
            raise StopUpload(connection_reset=False)
        self.buffer.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if self.buffer is None:
            return None
        self.buffer.seek(0)
        received = InMemoryUploadedFile(
            self.buffer, self.field_name, self.file_name, self.content_type, file_size,
            self.charset, self.content_type_extra,
        )
        self.buffer = None
        return received


def memory_upload(limit: int | Callable[[], int]) -> Callable[[Callable[..., HttpResponse]],
                                                              Callable[..., HttpResponseBase]]:
    """A view that takes one file of at most `limit` bytes (or `limit()`, read at each
    request), held in memory only; the view
    gets the handler after the request (its `too_large` says when the file was cut off).

    The handler goes in before anything reads the body, and Django's CSRF check reads it:
    so the view is exempt outside and checked inside, exactly as the middleware would (as
    kalkan.intake.uploads does for reports). It goes innermost, after the role check, so that
    nobody without the right reaches the point where the body is read; `wraps` carries the
    exemption out to the URL's view."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponseBase]:
        protected = csrf_protect(view)

        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            handler = MemoryOnlyUpload(request, limit() if callable(limit) else limit)
            request.upload_handlers = [handler]
            return protected(request, handler, *args, **kwargs)

        return takes_files(wrapper)

    return decorator


# The module's limit as it is when a request comes (a deployment or a test may change it).
_with_memory_upload = memory_upload(lambda: MAX_IMPORT_BYTES)


# --- the page ----------------------------------------------------------------------------------


def _exchange_page(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """For people who may export or import records."""

    @staff_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = acting_user(request)
        if not (user.can(Capability.EXPORT_RECORDS) or user.can(Capability.CODE_RECORDS)):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _page(
    request: HttpRequest,
    *,
    export_form: ExportForm | None = None,
    import_form: ImportForm | None = None,
    result: exchange.ImportResult | None = None,
    archive_export_form: ArchiveExportForm | None = None,
    archive_import_form: ArchiveImportForm | None = None,
    archive_result: archive.ArchiveImport | None = None,
    problem: str = "",
    status: int = 200,
) -> HttpResponse:
    user = acting_user(request)
    shown: list[tuple[str, str, str]] = []
    if result is not None and result.ok:
        for table in exchange.TABLES:
            shown += [(str(TABLE_LABELS[table]), old, new)
                      for old, new in result.ids.get(table, {}).items()]
    return render(
        request,
        "records/exchange.html",
        {
            "may_export": user.can(Capability.EXPORT_RECORDS),
            "may_import": user.can(Capability.CODE_RECORDS),
            "export_form": export_form or ExportForm(),
            "import_form": import_form or ImportForm(),
            "result": result,
            "created": [(TABLE_LABELS[table], n)
                        for table, n in (result.created if result else {}).items()],
            "shown_ids": shown[:SHOWN_IDS],
            "more_ids": max(0, len(shown) - SHOWN_IDS),
            "problem": problem,
            "archive_export_form": archive_export_form or ArchiveExportForm(),
            "archive_import_form": archive_import_form or ArchiveImportForm(),
            "archive_result": archive_result,
            "archive_created": [(TABLE_LABELS.get(table, table), n) for table, n in (
                archive_result.created if archive_result else {}).items()],
        },
        status=status,
    )


@_exchange_page
@require_GET
def exchange_page(request: HttpRequest) -> HttpResponse:
    return _page(request)


def _fresh_when_identity(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Real names and contacts, and an archive not encrypted, need a fresh passphrase and
    code; other exports do not."""
    guarded = recent_auth_required(view)

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        wants_identity = request.POST.get("include_identity") in ("on", "true", "1")
        in_the_clear = request.POST.get("lock") == "none"
        return (guarded if wants_identity or in_the_clear else view)(request, *args, **kwargs)

    return wrapper


def _log_by_family(
    action: str, request: HttpRequest, families: Any,
    details_of: Callable[[str | None], dict[str, str | int | bool]],
    **common: str | int | bool,
) -> None:
    """One entry with the organisation's counts; one per restricted compartment touched,
    sealed to its members, so that others do not even learn how many of its records moved."""
    record(action, actor_id=request.user.pk, details={**common, **details_of(None)})
    for compartment in Compartment.objects.filter(pk__in=[f for f in families if f]):
        record(action, actor_id=request.user.pk, object_id="",
               details={**common, **details_of(str(compartment.pk))}, compartment=compartment)


@capability_required(Capability.EXPORT_RECORDS)
@require_POST
@_fresh_when_identity
def export(request: HttpRequest) -> HttpResponseBase:
    form = ExportForm(request.POST)
    if not form.is_valid():
        return _page(request, export_form=form, status=400)
    keyring = keyring_required(request)
    chosen = form.cleaned_data["format"]
    purpose = None if form.cleaned_data["purpose"] == INTERNAL else form.cleaned_data["purpose"]
    make = exchange.export_json if chosen == "json" else exchange.export_csv
    data, report = make(keyring, purpose=purpose,
                        include_identity=form.cleaned_data["include_identity"])
    _log_by_family("records.export", request, report.counts, report.audit_details,
                   format=chosen)
    name = f"kalkan-records-{timezone.localdate():%Y-%m-%d}-{purpose or INTERNAL}"
    response = HttpResponse(
        data, content_type="application/json" if chosen == "json" else "application/zip"
    )
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"{name}.{'json' if chosen == 'json' else 'zip'}"
    )
    return response


@capability_required(Capability.CODE_RECORDS)
@require_POST
@_with_memory_upload
def import_records(request: HttpRequest, upload: MemoryOnlyUpload) -> HttpResponse:
    form = ImportForm(request.POST, request.FILES)
    if upload.too_large:
        return _page(request, import_form=ImportForm(), status=400, problem=_(
            "The file is larger than %(mb)s MB. Split the export into smaller ones."
        ) % {"mb": MAX_IMPORT_BYTES // (1024 * 1024)})
    if not form.is_valid():
        return _page(request, import_form=form, status=400)
    keyring = keyring_required(request)
    data = form.cleaned_data["file"].read()
    # The content decides, not the name: a ZIP starts with "PK".
    is_zip = data[:4] == b"PK\x03\x04"
    importer = exchange.import_csv if is_zip else exchange.import_json
    result = importer(data, keyring, acting_user(request))
    _log_by_family("records.import", request, result.counts, result.audit_details,
                   format="csv" if is_zip else "json")
    return _page(request, result=result, status=200 if result.ok else 400)


# --- the complete archive (kalkan.records.archive) ---------------------------------------------


@capability_required(Capability.EXPORT_RECORDS)
@require_POST
@_fresh_when_identity
def archive_export(request: HttpRequest) -> HttpResponseBase:
    form = ArchiveExportForm(request.POST)
    if not form.is_valid():
        return _page(request, archive_export_form=form, status=400)
    keyring = keyring_required(request)
    lock: archive.Lock = form.cleaned_data["archive_lock"]
    record("records.archive_export", actor_id=request.user.pk, details={
        "lock": lock.kind, "identity": form.cleaned_data["include_identity"]})
    # Sent as it is made: each piece is encrypted before it leaves, none is stored.
    response = StreamingHttpResponse(
        archive.archive_chunks(keyring, acting_user(request), lock=lock,
                               include_identity=form.cleaned_data["include_identity"]),
        content_type="application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"kalkan-archive-{timezone.localdate():%Y-%m-%d}.kalkan")
    return response


@capability_required(Capability.CODE_RECORDS)
@require_POST
@_with_memory_upload
def archive_import(request: HttpRequest, upload: MemoryOnlyUpload) -> HttpResponse:
    form = ArchiveImportForm(request.POST, request.FILES)
    if upload.too_large:
        return _page(request, archive_import_form=ArchiveImportForm(), status=400, problem=_(
            "The file is larger than %(mb)s MB. Import it with the command "
            "“kalkan records import” on the server."
        ) % {"mb": MAX_IMPORT_BYTES // (1024 * 1024)})
    if not form.is_valid():
        return _page(request, archive_import_form=form, status=400)
    keyring = keyring_required(request)
    archive_file = form.cleaned_data["file"]
    secret_key = form.cleaned_data["secret_key"]
    passphrase = form.cleaned_data["passphrase"] or None
    try:
        # A wrong key, a foreign or a newer archive is said at once; the rest in the job.
        archive.open_archive(archive_file, secret_key=secret_key, passphrase=passphrase,
                             members=False)
    except archive.ArchiveError as refused:
        return _page(request, archive_result=archive.ArchiveImport(errors=[str(refused)]),
                     status=400)
    archive_file.seek(0)
    # The job's own copy: Django closes the uploaded file when this request ends.
    job = import_jobs.start(io.BytesIO(archive_file.read()), keyring, acting_user(request),
                            secret_key=secret_key, passphrase=passphrase,
                            language=get_language())
    if job is None:
        return _page(request, archive_import_form=ArchiveImportForm(), status=409, problem=_(
            "Another archive is being imported. Try again when it has finished: two imports "
            "at once would only wait for each other."))
    return redirect("exchange:archive_import_job", job_id=job.id)


@capability_required(Capability.CODE_RECORDS)
@require_GET
def archive_import_job(request: HttpRequest, job_id: str) -> HttpResponse:
    """How far an archive import is (the page refreshes itself), then its result."""
    job = import_jobs.of(job_id)
    if job is None:
        # Jobs live in the server's memory: after a restart the page says so, in words.
        return _page(request, status=404, problem=_(
            "This import is not known here (the server may have restarted during it). An "
            "import that did not finish stored nothing: import the archive again."))
    if job.result is None:
        return render(request, "records/archive_import_job.html", {
            "job": job, "stage": IMPORT_STAGES.get(job.stage, ""),
            "refresh": request.get_full_path()})
    # 200 either way: the page answers; a refused archive is its content, not a bad request.
    return _page(request, archive_result=job.result)
