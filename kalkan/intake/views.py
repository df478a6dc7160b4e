"""Public pages. Titles stay neutral: a page left open on a phone should not say what it is."""

from __future__ import annotations

import time

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from kalkan.intake import limits
from kalkan.intake.forms import FollowUpForm, ReportForm
from kalkan.intake.services import (
    add_follow_up,
    find_mailbox,
    replies_for_reporter,
    submit_report,
)
from kalkan.intake.uploads import (
    ImageTooLarge,
    SealedUploadHandler,
    body_cut_short,
    image_too_large_message,
    with_sealed_uploads,
)
from kalkan.vault import authentic


def start(request: HttpRequest) -> HttpResponse:
    return render(request, "intake/start.html")


@require_http_methods(["GET", "POST"])
@limits.paced
@with_sealed_uploads
def report(request: HttpRequest, handler: SealedUploadHandler, urgent: str = "") -> HttpResponse:
    """The reporting form; `urgent` is "detained" or "danger" for the two urgent paths."""
    if request.method != "POST":
        return render(request, "intake/report.html", {"form": ReportForm(urgent=urgent)})
    if body_cut_short(request):
        return _report_again(request, urgent, _incomplete(), 400)
    form = ReportForm(request.POST, urgent=urgent)
    # Someone detained or in danger is never told to wait because this browser sent much
    # before (the per-visitor limit binds only those who keep their cookie: no attacker).
    verdict = limits.check(request, "submission", per_visitor=not urgent)
    problem, status = "", 200
    if not verdict.allowed:
        problem, status = _busy(verdict), 429
    elif handler.problems.too_large:
        problem, status = _(
            "A file is too large (at most %(file)d MB each, %(total)d MB together). Nothing "
            "was saved. Please send smaller files, or fewer."
        ) % {
            "file": settings.INTAKE_MAX_FILE_BYTES // 1048576,
            "total": settings.INTAKE_MAX_REPORT_BYTES // 1048576,
        }, 413
    elif handler.problems.too_many:
        problem, status = _("Please attach at most %(count)d files. Nothing was saved.") % {
            "count": settings.INTAKE_MAX_FILES
        }, 413
    if problem or not form.is_valid():
        # Whatever the refusal, the typed answers come back in the form; files cannot.
        return render(
            request,
            "intake/report.html",
            {"form": form, "problem": problem, "files_dropped": _had_files(handler)},
            status=status,
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
            {"form": form, "problem": _unavailable(refused), "files_dropped": _had_files(handler)},
            status=503,
        )
    except ImageTooLarge:
        return render(
            request,
            "intake/report.html",
            {"form": form, "problem": image_too_large_message(), "files_dropped": True},
            status=413,
        )
    handler.keep()
    limits.spend(request, "submission")
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


def _busy(verdict: limits.Verdict) -> str:
    if verdict.everyone:
        return _(
            "Very many messages are arriving right now. Nothing was sent yet: please try "
            "again in a minute or two."
        )
    return ngettext(
        "This browser has sent a lot in a short time. Nothing was sent yet: please try "
        "again in %(minutes)d minute.",
        "This browser has sent a lot in a short time. Nothing was sent yet: please try "
        "again in %(minutes)d minutes.",
        verdict.wait_minutes,
    ) % {"minutes": verdict.wait_minutes}


def refused_by_csrf(request: HttpRequest) -> HttpResponse | None:
    """An expired form (the CSRF cookie gone: Tor Browser's "new identity", cookies cleared)
    on the report or mailbox form: the same form comes back with what was typed and a fresh
    token. None for other pages. Showing a cross-site request's text back gives nothing
    away: anyone may send these anonymous forms directly."""
    if body_cut_short(request):
        # The token may simply not have arrived: say what really happened.
        return _refused(request, _incomplete(), 400)
    problem = _(
        "For your safety, forms stop working after some time or when cookies were cleared. "
        "Nothing was saved."
    )
    return _refused(request, problem, 403)


def _incomplete() -> str:
    return _(
        "Your report did not arrive complete, so nothing of it was stored. The text that "
        "arrived is below: please check it and send it again."
    )


def _refused(request: HttpRequest, problem: str, status: int) -> HttpResponse | None:
    """The report or mailbox form again, with what was typed and why nothing was saved;
    None for other pages."""
    match = request.resolver_match
    if match is None or match.app_name != "intake":
        return None
    if match.url_name in ("report", "report_urgent", "report_danger"):
        return _report_again(request, match.kwargs.get("urgent", ""), problem, status)
    if match.url_name == "mailbox":
        return _mailbox_again(request, problem, status)
    return None


def _report_again(request: HttpRequest, urgent: str, problem: str, status: int) -> HttpResponse:
    form = ReportForm(request.POST, urgent=urgent)
    context = {"form": form, "problem": problem, "files_dropped": bool(request.FILES)}
    return render(request, "intake/report.html", context, status=status)


def _mailbox_again(request: HttpRequest, problem: str, status: int) -> HttpResponse:
    context = {
        "receipt": request.POST.get("receipt", "")[:60],
        "follow_up": request.POST.get("follow_up", ""),
        "files_dropped": bool(request.FILES),
        "problem": problem,
    }
    return render(request, "intake/mailbox_open.html", context, status=status)


def _had_files(handler: SealedUploadHandler) -> bool:
    """Whether files came with a refused form (they are removed, and must be chosen again)."""
    problems = handler.problems
    return bool(problems.stored) or problems.too_large or problems.too_many


@require_http_methods(["GET", "POST"])
@limits.paced
@with_sealed_uploads
def mailbox(request: HttpRequest, handler: SealedUploadHandler) -> HttpResponse:
    """Open the mailbox with the receipt: the team's replies, and a form to add more. The
    report itself is never shown back."""
    if request.method != "POST":
        return render(request, "intake/mailbox_open.html", {})
    if body_cut_short(request):
        # Before the receipt is tried: a cut body costs the visitor no receipt attempt.
        return _mailbox_again(request, _incomplete(), 400)
    typed = request.POST.get("receipt", "")[:60]
    # Refused or not opened: the receipt and any follow-up text come back on the page.
    kept = {
        "receipt": typed,
        "follow_up": request.POST.get("follow_up", ""),
        "files_dropped": _had_files(handler),
    }
    verdict = limits.check(request, "receipt")
    if not verdict.allowed:
        return render(
            request, "intake/mailbox_open.html", {**kept, "problem": _busy(verdict)}, status=429
        )
    found = find_mailbox(typed)
    if found is None:
        limits.spend(request, "receipt")
        # The same answer, after the same pause, for any wrong or malformed receipt.
        time.sleep(settings.RECEIPT_FAILURE_DELAY)
        problem = _("No mailbox opens with this receipt. Check the digits and try again.")
        return render(
            request, "intake/mailbox_open.html", {**kept, "problem": problem}, status=404
        )
    box, unlock_key = found
    form = FollowUpForm(request.POST)
    refused_files = handler.problems.too_large or handler.problems.too_many
    sent = False
    problem = ""
    status = 200
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
            problem, status = _unavailable(refused), 503
        except ImageTooLarge:
            problem, status = image_too_large_message(), 413
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
        status=status,
    )
