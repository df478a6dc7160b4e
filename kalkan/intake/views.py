"""Public pages. Titles stay neutral: a page left open on a phone should not say what it is."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kalkan.intake import limits
from kalkan.intake.forms import FollowUpForm, ReportForm
from kalkan.intake.services import (
    add_follow_up,
    find_mailbox,
    replies_for_reporter,
    submit_report,
)
from kalkan.intake.uploads import SealedUploadHandler, with_sealed_uploads
from kalkan.vault import authentic


def start(request: HttpRequest) -> HttpResponse:
    return render(request, "intake/start.html")


@require_http_methods(["GET", "POST"])
@with_sealed_uploads
def report(
    request: HttpRequest, handler: SealedUploadHandler, urgent: bool = False
) -> HttpResponse:
    if request.method != "POST":
        return render(request, "intake/report.html", {"form": ReportForm(urgent=urgent)})
    if not limits.allow(request, "submission"):
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
        return render(
            request,
            "intake/report.html",
            {"form": form, "problem": problem, "files_dropped": bool(request.FILES)},
            status=413 if problem else 200,
        )
    try:
        if handler.problems.unavailable is not None:
            raise handler.problems.unavailable
        receipt = submit_report(form.submission(), handler.problems.stored)
    except authentic.Untrusted as refused:
        # Nothing is stored (the transaction rolled back; the files go with the handler).
        return render(
            request,
            "intake/report.html",
            {"form": form, "problem": _unavailable(refused), "files_dropped": bool(request.FILES)},
            status=503,
        )
    handler.keep()
    # Shown in the response to the POST only: never stored, never in a URL, never cached.
    return render(request, "intake/receipt.html", {"receipt": receipt})


@require_http_methods(["POST"])
def receipt_saved(request: HttpRequest) -> HttpResponse:
    """The reporter confirms they saved the receipt; without the tick it is shown again."""
    receipt = request.POST.get("receipt", "")[:40]
    if not request.POST.get("saved"):
        return render(
            request, "intake/receipt.html", {"receipt": receipt, "not_confirmed": True}
        )
    return render(request, "intake/thanks.html")


def _unavailable(refused: authentic.Untrusted) -> str:
    """The organisation's key failed its check (kalkan.vault.authentic): logged and audited;
    the person keeps what they typed."""
    authentic.report(refused)
    return _("The service is unavailable right now. Your text is kept on this page: please "
             "try again later.")


def _busy(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    context["problem"] = _(
        "Too many tries in a short time. Please wait a few minutes and try again."
    )
    return render(request, template, context, status=429)


@require_http_methods(["GET", "POST"])
@with_sealed_uploads
def mailbox(request: HttpRequest, handler: SealedUploadHandler) -> HttpResponse:
    """Open the mailbox with the receipt: the team's replies, and a form to add more. The
    report itself is never shown back."""
    if request.method != "POST":
        return render(request, "intake/mailbox_open.html", {})
    typed = request.POST.get("receipt", "")[:60]
    if not limits.allow(request, "receipt"):
        return _busy(request, "intake/mailbox_open.html", {})
    found = find_mailbox(typed)
    if found is None:
        # The same answer, after the same pause, for any wrong or malformed receipt.
        time.sleep(settings.RECEIPT_FAILURE_DELAY)
        return render(
            request,
            "intake/mailbox_open.html",
            {"problem": _("No mailbox opens with this receipt. Check the digits and try again.")},
            status=404,
        )
    box, unlock_key = found
    form = FollowUpForm(request.POST)
    refused_files = handler.problems.too_large or handler.problems.too_many
    sent = False
    problem = ""
    if form.is_valid() and not refused_files:
        text = form.cleaned_data["follow_up"]
        try:
            if handler.problems.unavailable is not None:
                raise handler.problems.unavailable
            if text or handler.problems.stored:
                add_follow_up(box, text, handler.problems.stored)
                handler.keep()
                sent = True
                form = FollowUpForm()
        except authentic.Untrusted as refused:
            problem = _unavailable(refused)
    # Refused files or a text too long: the typed text comes back, nothing is lost.
    return render(
        request,
        "intake/mailbox.html",
        {
            "receipt": typed,
            "entries": replies_for_reporter(box, unlock_key),
            "sent": sent,
            "refused_files": refused_files,
            "form": form,
            "problem": problem,
        },
        status=503 if problem else 200,
    )
