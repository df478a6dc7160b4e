"""New reports, urgent first; reading one (with its follow-ups) and replying to the reporter.

Every opening of a report and every reply is in the audit log. The full desk (cases, risk,
tasks, alerts) is the response-desk issue; this is the round trip intake needs.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseNotAllowed,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kalkan.accounts.decorators import capability_required, recent_auth_required
from kalkan.accounts.roles import Capability
from kalkan.audit.services import record
from kalkan.core.pages import page_of
from kalkan.desk import labels
from kalkan.desk.case_views import glance
from kalkan.desk.forms import ReplyForm, SetAsideForm
from kalkan.desk.models import CaseReport
from kalkan.desk.services import mark_read
from kalkan.intake.forms import OnBehalfForm
from kalkan.intake.models import Evidence, Message, Report
from kalkan.intake.services import reply, submit_report
from kalkan.intake.uploads import (
    ImageTooLarge,
    SealedUploadHandler,
    image_too_large_message,
    with_sealed_uploads,
)
from kalkan.vault import workingset
from kalkan.vault.files import open_file
from kalkan.vault.records import open_content_key, read, readable_by
from kalkan.vault.session import keyring_of


@capability_required(Capability.READ_REPORTS)
def reports(request: HttpRequest) -> HttpResponse:
    keyring = keyring_of(request)
    rows = readable_by(Report.objects.all(), keyring).exclude(
        status__in=[Report.Status.SPAM, Report.Status.DUPLICATE]
    ).order_by(
        "-urgent", "-created_on", "-revision", "pk"
    )
    page = page_of(request, rows)
    # The start of each story, from the person's unlocked working set (in memory only),
    # as the inbox shows it: for the shown page's rows only.
    # While the working set is being built, the list shows without the stories' starts.
    working = workingset.if_ready(str(request.session.session_key), keyring) if keyring \
        else None
    return render(request, "desk/reports.html", {
        "reports": [(report, glance(working.fields(str(report.pk))) if working else {})
                    for report in page],
        "page": page,
        "today": timezone.now().date(),  # as created_on is stamped (vault.records)
    })


@capability_required(Capability.READ_REPORTS)
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest, pk: str) -> HttpResponse:
    keyring = keyring_of(request)
    item = get_object_or_404(
        readable_by(Report.objects.all(), keyring).select_related("content_key", "mailbox"), pk=pk
    )
    form = ReplyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and item.mailbox.is_closed:
        # The form is not shown for a closed mailbox; a page opened before it closed.
        messages.error(request, _("The reporter's mailbox is closed: nothing was sent."))
        return redirect("desk:report", pk=item.pk)
    if request.method == "POST" and form.is_valid() and keyring is not None:
        reply(item.mailbox, keyring, form.cleaned_data["text"])
        record("report.reply", actor_id=request.user.pk, object_id=str(item.pk),
               compartment=item.content_key.compartment)
        messages.success(request, _("Your reply is waiting in the reporter's mailbox."))
        return redirect("desk:report", pk=item.pk)
    fields: dict[str, str] | None = None
    thread = []
    files = []
    if keyring is not None:
        try:
            fields = read(item, open_content_key(item.content_key, keyring))
        except PermissionError:
            fields = None
        if fields is not None:
            for message in Message.objects.filter(mailbox=item.mailbox).select_related(
                "content_key"
            ):
                text = read(message, open_content_key(message.content_key, keyring))["body"]
                thread.append((message, text))
            for evidence in Evidence.objects.filter(report=item).select_related("content_key"):
                meta = read(evidence, open_content_key(evidence.content_key, keyring))["meta"]
                files.append((evidence, json.loads(meta)))
    new: set[object] = set()
    if fields is not None:
        # Opening the report reads its follow-ups (kalkan.desk.services.mark_read).
        new = mark_read([item])
    if item.status == Report.Status.NEW and fields is not None:  # never undoes a later state
        Report.objects.filter(pk=item.pk).update(status=Report.Status.SEEN)
    record("report.view", actor_id=request.user.pk, object_id=str(item.pk),
           compartment=item.content_key.compartment)
    link = CaseReport.objects.filter(report=item).first()
    answers = json.loads(fields["answers"]) if fields and fields.get("answers") else {}
    contact = json.loads(fields["contact"]) if fields and fields.get("contact") else {}
    consent = json.loads(fields["consent"]) if fields and fields.get("consent") else {}
    return render(
        request,
        "desk/report.html",
        {
            "item": item,
            "fields": fields,
            "answers": labels.answer_rows(answers),
            "contact": labels.answer_rows(contact),
            "consent": labels.consent_labels(consent),
            "thread": thread,
            "new": new,
            "files": files,
            "form": form,
            "case_id": link.case_id if link else None,
            "set_aside_form": SetAsideForm(),
        },
    )


def _evidence(request: HttpRequest, pk: str) -> tuple[Evidence, bytes, dict[str, Any]]:
    """The evidence item, its opened key and its metadata, if this person's keys open it."""
    keyring = keyring_of(request)
    item = get_object_or_404(
        readable_by(Evidence.objects.all(), keyring).select_related("content_key"), pk=pk
    )
    if keyring is None:
        raise Http404
    try:
        key = open_content_key(item.content_key, keyring)
    except PermissionError:
        raise Http404 from None
    return item, key, json.loads(read(item, key)["meta"])


def _download(request: HttpRequest, item: Evidence, key: bytes, kind: str,
              meta: dict[str, Any]) -> HttpResponseBase:
    """Always as an attachment, never shown in the browser; every opening is audit-logged."""
    stored = item.working_file if kind == "working" else item.original_file
    if not stored:
        raise Http404
    record(f"evidence.{kind}", actor_id=request.user.pk, object_id=str(item.pk),
           compartment=item.content_key.compartment)
    name = str(meta.get("name") or "file")
    if kind == "working":
        name = name.rsplit(".", 1)[0] + "-cleaned.jpg"
    response = StreamingHttpResponse(
        open_file(key, str(item.pk), item.content_key.sealed_in_epoch, stored),
        content_type="application/octet-stream",
    )
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
    return response


@capability_required(Capability.READ_REPORTS)
@require_http_methods(["GET", "POST"])
def evidence_file(request: HttpRequest, pk: str, kind: str) -> HttpResponseBase:
    """Download an evidence file. The cleaned copy (re-encoded from pixels, nothing else)
    downloads at once; the original goes through original_file."""
    if kind == "original":
        return original_file(request, pk)
    if kind != "working":
        raise Http404
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    item, key, meta = _evidence(request, pk)
    return _download(request, item, key, kind, meta)


@capability_required(Capability.READ_REPORTS)
@require_http_methods(["GET", "POST"])
def original_file(request: HttpRequest, pk: str) -> HttpResponseBase:
    """An original may still carry where and when a photo was taken (GPS) and the phone: first
    a page that says so and offers the cleaned copy; the download itself is a POST that
    needs a fresh passphrase and code, and is audit-logged."""
    item, key, meta = _evidence(request, pk)
    if request.method == "POST":
        return _download_original(request, item, key, meta)
    return render(request, "desk/evidence_original.html", {"evidence": item, "file": meta,
                                                           "back": request.path})


@recent_auth_required
def _download_original(request: HttpRequest, item: Evidence, key: bytes,
                       meta: dict[str, Any]) -> HttpResponseBase:
    return _download(request, item, key, "original", meta)


@capability_required(Capability.READ_REPORTS)
@require_http_methods(["GET", "POST"])
@with_sealed_uploads
def enter_on_behalf(
    request: HttpRequest, handler: SealedUploadHandler, urgent: bool = False
) -> HttpResponse:
    form = OnBehalfForm(request.POST if request.method == "POST" else None, urgent=urgent)
    keyring = keyring_of(request)
    if request.method == "POST" and form.is_valid() and keyring is not None and not (
        handler.problems.too_large or handler.problems.too_many
    ):
        try:
            receipt = submit_report(
                form.submission(form.cleaned_data["channel"]),
                handler.problems.stored,
                keyring,
            )
        except ImageTooLarge:
            form.add_error(None, image_too_large_message())
        else:
            handler.keep()
            record("report.enter", actor_id=request.user.pk)
            return render(request, "desk/receipt.html", {"receipt": receipt})
    return render(request, "desk/enter.html", {"form": form, "urgent": urgent})
