"""Public pages. Titles stay neutral: a page left open on a phone should not say what it is."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from kalkan.core.csrf import csrf_protect
from kalkan.intake import limits
from kalkan.intake.forms import MAX_NARRATIVE, ReportForm
from kalkan.intake.services import (
    Submission,
    add_follow_up,
    find_mailbox,
    replies_for_reporter,
    submit_report,
)
from kalkan.intake.uploads import SealedUploadHandler


def start(request: HttpRequest) -> HttpResponse:
    return render(request, "intake/start.html")


def install_sealed_uploads(request: HttpRequest) -> SealedUploadHandler:
    """Install the sealing upload handler. It must happen before anything reads the body,
    the CSRF check included: hence csrf_exempt outside and csrf_protect inside."""
    handler = SealedUploadHandler(
        request,
        max_file_bytes=settings.INTAKE_MAX_FILE_BYTES,
        max_total_bytes=settings.INTAKE_MAX_REPORT_BYTES,
        max_files=settings.INTAKE_MAX_FILES,
    )
    # Every uploaded byte goes through this handler straight into encryption: Django's own
    # handlers would keep files in memory or in a plaintext temporary file.
    request.upload_handlers = [handler]
    return handler


def _answers(form: ReportForm, channel: str = "web") -> dict[str, Any]:
    data = form.cleaned_data
    answers: dict[str, Any] = {
        name: data.get(name)
        for name in ("reporter_role", "acts", "perpetrators", "when", "fuzzy_date", "country",
                     "region", "place", "help_wanted")
    }
    if form.urgent:
        answers["urgent"] = {
            name: data.get(name) for name in ("where_now", "since_when", "lawyer", "reach_now")
        }
    answers["channel"] = channel
    answers["language"] = get_language()
    return answers


@csrf_exempt  # checked below, once the upload handler is in place (Django's own advice)
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest, urgent: bool = False) -> HttpResponseBase:
    handler = install_sealed_uploads(request)
    try:
        return _report(request, handler, urgent)
    finally:
        handler.abandon_unless_kept()


@csrf_protect
def _report(request: HttpRequest, handler: SealedUploadHandler, urgent: bool) -> HttpResponse:
    if request.method != "POST":
        return render(request, "intake/report.html", {"form": ReportForm(urgent=urgent)})
    if not limits.allow(request, "submission"):
        request.POST  # noqa: B018 (read the body so its files can be discarded)
        handler.discard_all()
        return _busy(request, "intake/report.html", {"form": ReportForm(urgent=urgent)})
    form = ReportForm(request.POST, urgent=urgent)
    problem = ""
    if handler.problems.too_large:
        problem = _(
            "A file is too large (at most %(file)d MB each, %(total)d MB together). Nothing "
            "was saved. Please send smaller files, or fewer."
        ) % {
            "file": settings.INTAKE_MAX_FILE_BYTES // 1048576,
            "total": settings.INTAKE_MAX_REPORT_BYTES // 1048576,
        }
    elif handler.problems.too_many:
        problem = _("Please attach at most %(count)d files. Nothing was saved.") % {
            "count": settings.INTAKE_MAX_FILES
        }
    if problem or not form.is_valid():
        handler.discard_all()
        return render(
            request,
            "intake/report.html",
            {"form": form, "problem": problem, "files_dropped": bool(request.FILES)},
            status=413 if problem else 200,
        )
    receipt = submit_report(submission_from(form), handler.problems.stored)
    handler.keep()
    # Shown in the response to the POST only: never stored, never in a URL, never cached.
    return render(request, "intake/receipt.html", {"receipt": receipt})


def submission_from(form: ReportForm, channel: str = "web") -> Submission:
    """The validated form as what the intake service stores (also used by staff entry)."""
    data = form.cleaned_data
    return Submission(
        narrative=data["narrative"],
        answers=_answers(form, channel),
        contact={
            name: data.get(name) or ""
            for name in ("contact_method", "contact_details", "safe_times", "code_word")
        },
        consent={purpose: purpose in data.get("consent", []) for purpose, _label in
                 ReportForm.base_fields["consent"].choices},  # type: ignore[attr-defined]
        urgent=form.urgent,
    )


@require_http_methods(["POST"])
def receipt_saved(request: HttpRequest) -> HttpResponse:
    """The reporter confirms they saved the receipt; without the tick it is shown again."""
    receipt = request.POST.get("receipt", "")[:40]
    if not request.POST.get("saved"):
        return render(
            request, "intake/receipt.html", {"receipt": receipt, "not_confirmed": True}
        )
    return render(request, "intake/thanks.html")


def _busy(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    context["problem"] = _(
        "Too many tries in a short time. Please wait a few minutes and try again."
    )
    return render(request, template, context, status=429)


@csrf_exempt  # checked below, once the upload handler is in place (Django's own advice)
@require_http_methods(["GET", "POST"])
def mailbox(request: HttpRequest) -> HttpResponseBase:
    """Open the mailbox with the receipt: the team's replies, and a form to add more. The
    report itself is never shown back."""
    handler = install_sealed_uploads(request)
    try:
        return _mailbox(request, handler)
    finally:
        handler.abandon_unless_kept()


@csrf_protect
def _mailbox(request: HttpRequest, handler: SealedUploadHandler) -> HttpResponse:
    if request.method != "POST":
        return render(request, "intake/mailbox_open.html", {})
    typed = request.POST.get("receipt", "")[:60]
    if not limits.allow(request, "receipt"):
        handler.discard_all()
        return _busy(request, "intake/mailbox_open.html", {})
    found = find_mailbox(typed)
    if found is None:
        handler.discard_all()
        # The same answer, after the same pause, for any wrong or malformed receipt.
        time.sleep(settings.RECEIPT_FAILURE_DELAY)
        return render(
            request,
            "intake/mailbox_open.html",
            {"problem": _("No mailbox opens with this receipt. Check the digits and try again.")},
            status=404,
        )
    box, unlock_key = found
    sent = False
    follow_up = request.POST.get("follow_up", "").strip()
    if handler.problems.too_large or handler.problems.too_many:
        handler.discard_all()
    elif follow_up or handler.problems.stored:
        add_follow_up(box, follow_up[:MAX_NARRATIVE], handler.problems.stored)
        handler.keep()
        sent = True
    return render(
        request,
        "intake/mailbox.html",
        {
            "receipt": typed,
            "entries": replies_for_reporter(box, unlock_key),
            "sent": sent,
            "refused_files": handler.problems.too_large or handler.problems.too_many,
        },
    )
